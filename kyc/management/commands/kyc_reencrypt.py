"""Re-encrypt everything encrypted with FIELD_ENCRYPTION_KEYS (personal data, webhook secrets, staff TOTP
secrets and recovery-code seeds) with the newest key.

Rotation: prepend the new key to FIELD_ENCRYPTION_KEYS, deploy, run this command, then drop the old key.
Prints one JSON object on its last line with the counts.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kyc.encryption import reencrypt_all


class Command(BaseCommand):
    help = (
        "Re-encrypt personal data, webhook secrets and second-factor secrets with the newest key (after a key "
        "rotation)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        counts = reencrypt_all(batch_size=options["batch_size"])
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} rows re-encrypted")
        self.stdout.write(json.dumps({**counts, "seconds": round(time.monotonic() - started, 3)}))
