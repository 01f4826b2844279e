"""`manage.py sanctions_import SOURCE ...`: import a sanctions list as its publisher ships it.

sanctions_import ofac --sdn sdn.csv [--alt alt.csv] [--add add.csv] [--comments sdn_comments.csv]
sanctions_import ofac-cons --sdn cons_prim.csv [--alt ...] [--add ...] [--comments ...]
sanctions_import un consolidated.xml
sanctions_import uk UK_Sanctions_List.csv        (or the reshaped directory)
sanctions_import csv entities.csv                (columns documented in screening/README.md)
sanctions_import address-list addresses.csv      (an `address` column, or one address per line)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from screening.importers import ListFormatError
from screening.models import ListSource
from screening.services import list_import


class Command(BaseCommand):
    help = "Import a sanctions list (a new versioned snapshot; a bad file leaves the active version untouched)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="source", required=True)
        for source in (ListSource.OFAC, ListSource.OFAC_CONS):
            p = sub.add_parser(source.value, help=f"{source.label}: OFAC CSV files")
            p.add_argument("--sdn", required=True, help="primary records (sdn.csv / cons_prim.csv)")
            p.add_argument("--alt", help="aliases (alt.csv / cons_alt.csv)")
            p.add_argument("--add", help="addresses (add.csv / cons_add.csv)")
            p.add_argument("--comments", help="remarks overflow (sdn_comments.csv / cons_comments.csv)")
            p.add_argument(
                "--allow-missing-eof",
                action="store_true",
                help="accept files without OFAC's trailing \\x1a byte (hand-made excerpts)",
            )
        for source in (
            ListSource.UN,
            ListSource.UK,
            ListSource.CSV,
            ListSource.ADDRESS_LIST,
            ListSource.OPENSANCTIONS_PEP,
        ):
            p = sub.add_parser(source.value, help=source.label)
            p.add_argument("file")
        parser.add_argument("--label", default="", help="free text kept with the version")
        parser.add_argument("--no-monitoring", action="store_true", help="do not re-screen subjects after import")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["source"]
        if source in (ListSource.OFAC, ListSource.OFAC_CONS):
            files = {k: options[k] for k in ("sdn", "alt", "add", "comments") if options.get(k)}
        else:
            files = {"file": options["file"]}
        for option, value in files.items():
            if not Path(value).exists():
                raise CommandError(f"--{option}: {value} does not exist.")
        try:
            outcome = list_import(
                source=source,
                files={k: Path(v) for k, v in files.items()},
                label=options["label"],
                require_eof_marker=not options.get("allow_missing_eof", False),
                monitor=not options["no_monitoring"],
            )
        except ListFormatError as exc:
            raise CommandError(f"Import failed, the active version is unchanged: {exc}") from exc
        version = outcome.version
        summary = {
            "source": source,
            "version": version.number,
            "created": outcome.created,
            "checksum": version.checksum,
            "counts": version.counts,
        }
        if not outcome.created:
            self.stdout.write(f"{source}: identical to the active version {version.number}; nothing imported.")
        else:
            self.stdout.write(
                f"{source}: version {version.number} active; {version.counts.get('entities', 0)} entities, "
                f"{version.counts.get('addresses', 0)} addresses; +{version.counts.get('added', 0)} "
                f"-{version.counts.get('removed', 0)} ~{version.counts.get('changed', 0)}."
            )
        self.stdout.write(json.dumps(summary))
