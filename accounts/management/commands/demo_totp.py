from __future__ import annotations

import time
from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.totp import current_totp_code, totp_seconds_left
from core.crypto import decrypt_str

# A code about to expire is useless by the time someone has typed it: wait for the next window instead.
FRESH_SECONDS = 5


class Command(BaseCommand):
    help = (
        "Print the current TOTP code of a demo staff account (waiting for the next window when the current one "
        f"ends within {FRESH_SECONDS} s). DEBUG only."
    )
    # The system checks import every URLconf and with it web3 and py_ecc (seconds of CPU); a code lookup needs none
    # of them, and `make run` has run the checks already.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_totp runs only with DEBUG on.")
        auth = Authenticator.objects.filter(user__email__iexact=options["email"], type=Authenticator.Type.TOTP).first()
        if auth is None:
            raise CommandError(f"{options['email']} has no TOTP authenticator.")
        secret = decrypt_str(auth.data["secret"])
        now = time.time()
        left = totp_seconds_left(now)
        if left < FRESH_SECONDS:
            self.stderr.write(f"The current code ends in {left:.0f} s: waiting for the next one.")
            time.sleep(left + 0.05)
            now = time.time()
            left = totp_seconds_left(now)
        self.stdout.write(current_totp_code(secret, at=now))
        self.stderr.write(f"valid for {left:.0f} more seconds")
