"""`manage.py sanctions_download SOURCE [SOURCE ...]`: fetch the official files from the configured URLs
(SCREENING_*_URL) and import them as a new version."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.exceptions import ApplicationError
from screening.importers import ListFormatError
from screening.models import ListSource
from screening.services import list_download_and_import


class Command(BaseCommand):
    help = "Download sanctions lists from their configured URLs and import them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sources", nargs="+", choices=[s.value for s in ListSource if s != ListSource.CSV])

    def handle(self, *args: Any, **options: Any) -> None:
        results = {}
        for source in options["sources"]:
            try:
                outcome = list_download_and_import(source=source)
            except (ApplicationError, ListFormatError) as exc:
                raise CommandError(f"{source}: {exc}; the active version is unchanged.") from exc
            results[source] = {"version": outcome.version.number, "created": outcome.created}
            self.stdout.write(
                f"{source}: version {outcome.version.number} ({'new' if outcome.created else 'unchanged'})."
            )
        self.stdout.write(json.dumps(results))
