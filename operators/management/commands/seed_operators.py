from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from operators.demo import seed_operators


class Command(BaseCommand):
    help = "Create demo node operators with validators and score history (idempotent). DEBUG only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--allow-non-debug", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_non_debug"]:
            raise CommandError("seed_operators writes demo data; it runs only with DEBUG on.")
        operators = seed_operators()
        self.stdout.write(self.style.SUCCESS(f"{len(operators)} demo operators ready."))
