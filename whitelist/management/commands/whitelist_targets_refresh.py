"""manage.py whitelist_targets_refresh: derive every address's whitelist target again from the approved cases and
queue what differs (after an upgrade that introduced derived targets, or to heal a target left wrong)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from whitelist.config import list_keys
from whitelist.services import whitelist_targets_refresh


class Command(BaseCommand):
    help = "Re-derive the whitelist target of every address and queue the differences in the outbox."

    def handle(self, *args: Any, **options: Any) -> None:
        queued = {
            key: whitelist_targets_refresh(list_key=key, actor=None, reason="Target re-derived from the approved cases")
            for key in list_keys()
        }
        self.stdout.write(json.dumps({"changes_queued": queued}, sort_keys=True))
