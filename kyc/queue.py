"""The review queue (selectors): filters, sorts, search, counts per status and service-level due dates.

One query for the page of cases (assignee and company joined), one for the counts: the page costs the same
number of queries whatever its size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, DateTimeField, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from kyc.models import Application, RiskLevel

S = Application.Status
# Cases a reviewer still has to act on (the service-level clock runs on them).
OPEN_STATUSES = (S.SUBMITTED, S.SCREENING, S.READY_FOR_REVIEW, S.IN_REVIEW, S.RESUBMITTED, S.PENDING_SECOND_APPROVAL)
SORTS = {
    "age": "submitted_at",
    "-age": "-submitted_at",
    "due": "due_at",
    "-due": "-due_at",
    "risk": "risk_score",
    "-risk": "-risk_score",
}


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    risk_level: str = ""
    subject_type: str = ""
    country: str = ""
    assignee: str = ""  # "me", "none" or a user id
    overdue: bool = False
    q: str = ""
    sort: str = "due"

    @classmethod
    def from_params(cls, params: Any) -> QueueFilters:
        sort = params.get("sort", "due")
        return cls(
            status=params.get("status", "") if params.get("status", "") in S.values else "",
            risk_level=params.get("risk_level", "") if params.get("risk_level", "") in RiskLevel.values else "",
            subject_type=params.get("type", ""),
            country=params.get("country", "").upper()[:2],
            assignee=params.get("assignee", ""),
            overdue=params.get("overdue") in ("1", "on", "true"),
            q=params.get("q", "").strip()[:200],
            sort=sort if sort in SORTS else "due",
        )


def _sla_days(level: str) -> int:
    return int(settings.KYC_SLA_DAYS.get(level, settings.KYC_SLA_DAYS["medium"]))


def with_due(qs: QuerySet[Application]) -> QuerySet[Application]:
    """Annotate `due_at`: the clock's start (submission, moved by paused time) plus the service level of the
    case's risk level (medium if unscored)."""
    start = Coalesce(F("sla_started_at"), F("submitted_at"))
    whens = [
        When(risk_level=level, then=start + Value(dt.timedelta(days=_sla_days(level))))
        for level in (RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.PROHIBITED)
    ]
    return qs.annotate(
        due_at=Case(
            *whens,
            default=start + Value(dt.timedelta(days=_sla_days("medium"))),
            output_field=DateTimeField(),
        )
    )


def queue_cases(filters: QueueFilters, *, user: Any) -> QuerySet[Application]:
    qs = with_due(Application.objects.exclude(status=S.DRAFT)).select_related("assignee", "company", "applicant")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.risk_level:
        qs = qs.filter(risk_level=filters.risk_level)
    if filters.subject_type:
        qs = qs.filter(subject_type=filters.subject_type)
    if filters.country:
        qs = qs.filter(Q(company__jurisdiction=filters.country) | Q(people__country_of_residence=filters.country))
    if filters.assignee == "me":
        qs = qs.filter(assignee=user)
    elif filters.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        qs = qs.filter(assignee_id=int(filters.assignee))
    if filters.overdue:
        qs = qs.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now())  # type: ignore[misc]
    if filters.q:
        q = filters.q
        qs = qs.filter(
            Q(reference__iexact=q)
            | Q(company__legal_name__icontains=q)
            | Q(company__lei__iexact=q)
            | Q(wallets__address__iexact=q)
            | Q(people__legal_name__icontains=q)
        )
    if filters.country or filters.q:
        qs = qs.distinct()
    return qs.order_by(SORTS[filters.sort], "pk")


def queue_counts() -> list[tuple[str, str, int]]:
    """(status, label, number of cases) for every status but draft, in workflow order."""
    rows = Application.objects.exclude(status=S.DRAFT).values("status").annotate(n=Count("pk")).order_by()
    found = {r["status"]: r["n"] for r in rows}
    return [(value, label, found.get(value, 0)) for value, label in S.choices if value != S.DRAFT]


def is_overdue(application: Application) -> bool:
    due = getattr(application, "due_at", None)
    return bool(due and application.status in OPEN_STATUSES and due < timezone.now())
