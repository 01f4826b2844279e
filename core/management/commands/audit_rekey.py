"""Seal the audit rows that the newest AUDIT_HMAC_KEYS key did not hash, so an older key can be retired.

Rotation: prepend the new key to AUDIT_HMAC_KEYS and deploy everywhere (new rows use it at once), run this
command, check with `audit_verify`, then drop the old key. Every row is verified before it is sealed; a bad
row stops the command, names the row and seals nothing. Prints one JSON object on its last line.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.audit import AuditRekeyError, audit_keys, audit_rekey


class Command(BaseCommand):
    help = "Seal every audit row not hashed with the newest AUDIT_HMAC_KEYS key (after a key rotation)."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            counts = audit_rekey()
        except AuditRekeyError as exc:
            raise CommandError(f"Nothing was sealed. {exc}") from None
        newest = audit_keys()[0][0]
        self.stdout.write(f"{counts['sealed']} rows sealed with key {newest}; {counts['rows']} rows verified.")
        self.stdout.write(json.dumps({**counts, "key_id": newest, "seconds": round(time.monotonic() - started, 3)}))
