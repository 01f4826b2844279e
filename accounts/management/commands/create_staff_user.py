from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.roles import StaffRole
from accounts.services import staff_user_create
from core.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Create a compliance staff account with one or more roles. Prints a one-time initial password; the "
        "person must set up two-factor authentication at first login before any staff page opens."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="", help="Full name.")
        parser.add_argument(
            "--role", action="append", required=True, choices=StaffRole.values, help="Repeat for several roles."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user, password = staff_user_create(
                email=options["email"], full_name=options["name"], roles=options["role"], by=None
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Created {user.email} with roles: {', '.join(sorted(options['role']))}"))
        self.stdout.write(f"Initial password (shown once): {password}")
        self.stdout.write("At first login they will be asked to set up an authenticator app (TOTP).")
