"""manage.py compliance_verify: every whitelisted address traced to its approval, every removal to its reason.

Prints each violation, then a JSON summary on the last line; exits 1 on any violation."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from assurance.services import verification_run


class Command(BaseCommand):
    help = "Check the whitelist against the case records; non-zero exit on any violation."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-record", action="store_true", help="Do not store the run (read-only check).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["no_record"]:
            from assurance.verify import compliance_verify

            report = compliance_verify()
            rows, summary = report.violations, report.summary()
            for v in rows:
                self.stdout.write(f"VIOLATION {v.list} {v.address} {v.kind}: {v.detail} {v.reference}".rstrip())
        else:
            run = verification_run(trigger="command")
            summary = run.summary
            for row in run.violations:
                line = f"VIOLATION {row['list']} {row['address']} {row['kind']}: {row['detail']} {row['reference']}"
                self.stdout.write(line.rstrip())
        self.stdout.write(json.dumps(summary, sort_keys=True))
        if summary["violations"]:
            raise CommandError(f"{summary['violations']} violation(s)", returncode=1)
