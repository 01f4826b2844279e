"""Seed the FATF black and grey lists shipped in kyc/data (source named in kyc/data/README.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the FATF lists shipped with the portal into the country risk table (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        from kyc.risk import fatf_lists_load

        changed = fatf_lists_load()
        self.stdout.write(f"FATF lists loaded: {changed} listing(s) changed.")
