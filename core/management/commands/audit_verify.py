from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the whole audit chain and name the first row that was edited, deleted or reordered."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if report.problem is not None:
            raise CommandError(f"Audit chain BROKEN after checking {report.checked} rows. {report.problem.message}")
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain intact: {report.checked} rows; head #{report.head_seq} {report.head_hash}")
        )
