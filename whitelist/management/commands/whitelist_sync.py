from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from whitelist.chain import ChainUnavailable, Misconfigured
from whitelist.config import runtime
from whitelist.sync import whitelist_sync


class Command(BaseCommand):
    help = "Run one whitelist sync pass now (what the Celery task does) and print what it did."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = whitelist_sync(runtime())
        except (Misconfigured, ChainUnavailable) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(report))
