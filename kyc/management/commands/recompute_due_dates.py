"""Recompute every case's stored service-level due date (`Application.due_at`) after `KYC_SLA_DAYS` changed.

`Application.save` keeps the date right whenever the clock or the risk level changes; a change of the settings
changes no row, so this command applies it: one set-based UPDATE per risk level, in one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Value
from django.db.models.functions import Coalesce

from kyc.models import Application


class Command(BaseCommand):
    help = "Recompute the stored service-level due date of every case from KYC_SLA_DAYS (run after changing it)."

    def handle(self, *args: Any, **options: Any) -> None:
        days = settings.KYC_SLA_DAYS
        start = Coalesce(F("sla_started_at"), F("submitted_at"))

        def due(n: int) -> ExpressionWrapper:
            return ExpressionWrapper(start + Value(dt.timedelta(days=int(n))), output_field=DateTimeField())

        known = [level for level in days if level != "medium"]
        changed = 0
        with transaction.atomic():
            for level in known:
                changed += Application.objects.filter(risk_level=level).update(due_at=due(days[level]))
            changed += Application.objects.exclude(risk_level__in=known).update(due_at=due(days["medium"]))
        self.stdout.write(f"Recomputed the due date of {changed} cases from KYC_SLA_DAYS {dict(days)}.")
