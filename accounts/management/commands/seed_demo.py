from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.demo import DEMO_PASSWORD, current_totp_code, seed_demo_accounts


class Command(BaseCommand):
    help = "Create the demo applicants and staff (idempotent) and print how to log in as each. DEBUG only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-non-debug",
            action="store_true",
            help="Seed even with DEBUG off (for a demo server; never production: the passwords are printed).",
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=0,
            metavar="N",
            help="Also add N realistic review cases across every state (bulk insert; each run adds N more).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_non_debug"]:
            raise CommandError("seed_demo creates accounts with published passwords; it runs only with DEBUG on.")
        if options["cases"] < 0:
            raise CommandError(f"--cases must be 0 or more, not {options['cases']}.")
        # The apps' own demo seeders, in dependency order: accounts, applications, risk lists, operators.
        from kyc.demo import seed_demo_cases, seed_kyc_demo
        from kyc.risk import fatf_lists_load
        from operators.demo import seed_operators
        from screening.demo import seed_demo_lists

        accounts = seed_demo_accounts()
        applications = seed_kyc_demo()
        fatf_lists_load()
        lists = seed_demo_lists()
        operators = seed_operators()
        out = self.stdout
        out.write(self.style.SUCCESS("Demo accounts ready. Every password is: " + DEMO_PASSWORD))
        for application in applications:
            out.write(
                f"Demo application {application.reference}: {application.get_subject_type_display()}, "
                f"{application.get_status_display().lower()}"
            )
        out.write(f"Demo node operators: {len(operators)} created this run (see /operators/diversity/).")
        if lists:
            out.write(
                f"Sanctions lists: the shipped excerpts of {', '.join(lists)} imported (see /staff/screening/lists/)."
            )
        if options["cases"]:
            seeded = seed_demo_cases(options["cases"])
            from kyc.models import Application

            statuses = ", ".join(f"{status} {n}" for status, n in sorted(seeded.by_status.items()))
            out.write(
                f"Added {seeded.cases} demo cases in {seeded.seconds:.1f} s (run {seeded.run}; a further run adds "
                f"{seeded.cases} more, it never replaces): {statuses}. The database now holds "
                f"{Application.objects.count()} applications. One audit entry records the seeding."
            )
        out.write("")
        out.write("Applicants (no second factor):")
        for acc in accounts:
            if acc.role is None:
                out.write(f"  {acc.email:<36} {acc.full_name}")
        out.write("")
        out.write("Staff (two-factor required). Add the TOTP secret to an authenticator app, or run")
        out.write("  python manage.py demo_totp EMAIL    to print the current 6-digit code.")
        for acc in accounts:
            if acc.role is not None:
                code = current_totp_code(acc.totp_secret) if acc.totp_secret else "-"
                out.write(
                    f"  {acc.email:<36} {acc.role:<16} TOTP secret {acc.totp_secret}  "
                    f"(code now {code}; one recovery code {acc.recovery_code})"
                )
