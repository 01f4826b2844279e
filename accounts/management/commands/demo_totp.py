from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.demo import current_totp_code
from core.crypto import decrypt_str


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo staff account. DEBUG only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_totp runs only with DEBUG on.")
        auth = Authenticator.objects.filter(user__email__iexact=options["email"], type=Authenticator.Type.TOTP).first()
        if auth is None:
            raise CommandError(f"{options['email']} has no TOTP authenticator.")
        self.stdout.write(current_totp_code(decrypt_str(auth.data["secret"])))
