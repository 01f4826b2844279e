"""The review queue (selectors): filters, sorts, search, counts per status and service-level due dates.

One query for the page of cases (assignee and company joined, "has open hits" as a correlated subquery), one
for the paginator's count and one for the counts: the page costs the same number of queries whatever its size.
Filters on related rows (country, search, open screening hits) are EXISTS subqueries rather than joins, so no
DISTINCT is needed over the whole queue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone

from kyc.models import Application, CompanyProfile, HitAdjudication, Person, RiskLevel, SubjectType, WalletAddress

S = Application.Status
# Cases a reviewer still has to act on (the service-level clock runs on them).
OPEN_STATUSES = (S.SUBMITTED, S.SCREENING, S.READY_FOR_REVIEW, S.IN_REVIEW, S.RESUBMITTED, S.PENDING_SECOND_APPROVAL)
SORTS = {
    "due": "due_at",
    "-due": "-due_at",
    "age": "submitted_at",
    "-age": "-submitted_at",
    "-risk": "-risk_score",
    "risk": "risk_score",
}
SORT_LABELS = {
    "due": "due date, soonest first",
    "-due": "due date, latest first",
    "age": "oldest first",
    "-age": "newest first",
    "-risk": "highest risk first",
    "risk": "lowest risk first",
}


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    risk_level: str = ""
    subject_type: str = ""
    country: str = ""
    assignee: str = ""  # "me", "none" or a user id
    open_hits: bool = False
    overdue: bool = False
    q: str = ""
    sort: str = "due"

    @classmethod
    def from_params(cls, params: Any) -> QueueFilters:
        def choice(name: str, allowed: list[str]) -> str:
            value = str(params.get(name, ""))
            return value if value in allowed else ""

        assignee = str(params.get("assignee", ""))
        sort = str(params.get("sort", "due"))
        country = str(params.get("country", "")).strip().upper()
        return cls(
            status=choice("status", list(S.values)),
            risk_level=choice("risk_level", list(RiskLevel.values)),
            subject_type=choice("type", list(SubjectType.values)),
            country=country if len(country) == 2 and country.isalpha() else "",
            assignee=assignee if assignee in ("me", "none") or assignee.isdigit() else "",
            open_hits=params.get("open_hits") in ("1", "on", "true"),
            overdue=params.get("overdue") in ("1", "on", "true"),
            q=str(params.get("q", "")).strip()[:200],
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


class UuidText(Func):
    """A UUID column as the text Python's str(uuid) gives (8-4-4-4-12, lower case): the form screening's
    subject refs carry. PostgreSQL casts a uuid to exactly that; SQLite stores 32 hex digits without dashes."""

    output_field = CharField()
    template = "(%(expressions)s)::text"

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        parts = " || '-' || ".join(f"substr({sql}, {start}, {length})" for start, length in _UUID_GROUPS)
        return f"lower({parts})", params * len(_UUID_GROUPS)


_UUID_GROUPS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


def _ref(prefix: str, column: str) -> Concat:
    return Concat(Value(prefix), UuidText(column), output_field=CharField())


def open_hits_exist() -> Exists:
    """EXISTS a live screening hit on one of the case's subjects (the company or the application itself, a
    person, a wallet) whose latest ruling on this case is missing or "escalate". Mirrors
    `kyc.adjudication.open_hits`, in SQL, for the queue filter and badge."""
    from screening.models import Hit

    person_refs = Person.objects.filter(application_id=OuterRef(OuterRef("pk"))).values(
        ref=_ref("kyc.person:", "public_id")
    )
    wallet_refs = WalletAddress.objects.filter(application_id=OuterRef(OuterRef("pk"))).values(
        ref=_ref("kyc.wallet:", "public_id")
    )
    latest_ruling = (
        HitAdjudication.objects.filter(application_id=OuterRef(OuterRef("pk")), hit_id=OuterRef("pk"))
        .order_by("-at", "-pk")
        .values("ruling")[:1]
    )
    hits = (
        Hit.objects.filter(suppressed=False, is_history=False)
        .filter(
            Q(check_run__subject_ref=Concat(Value("kyc.application:"), UuidText(OuterRef("public_id"))))
            | Q(check_run__subject_ref__in=Subquery(person_refs))
            | Q(check_run__subject_ref__in=Subquery(wallet_refs))
        )
        .annotate(latest_ruling=Subquery(latest_ruling))
        .filter(Q(latest_ruling__isnull=True) | Q(latest_ruling=HitAdjudication.Ruling.ESCALATE))
    )
    return Exists(hits)


def _search(q: str) -> Q:
    """Reference (exact), company name and LEI, a person's name, a wallet address (any case)."""
    people = Person.objects.filter(application_id=OuterRef("pk"), legal_name__icontains=q)
    wallets = WalletAddress.objects.filter(application_id=OuterRef("pk"), address__iexact=q)
    return (
        Q(reference__iexact=q)
        | Q(company__legal_name__icontains=q)
        | Q(company__lei__iexact=q)
        | Q(applicant__email__iexact=q)
        | Q(Exists(people))
        | Q(Exists(wallets))
    )


def queue_cases(filters: QueueFilters, *, user: Any) -> QuerySet[Application]:
    qs = (
        with_due(Application.objects.exclude(status=S.DRAFT))
        .select_related("assignee", "company", "applicant")
        .annotate(has_open_hits=open_hits_exist())
    )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.risk_level:
        qs = qs.filter(risk_level=filters.risk_level)
    if filters.subject_type:
        qs = qs.filter(subject_type=filters.subject_type)
    if filters.country:
        # The company's jurisdiction or any person's residence or nationality.
        people = Person.objects.filter(application_id=OuterRef("pk")).filter(
            # The JSON list's text holds the code in quotes; this reads the same on PostgreSQL and SQLite.
            Q(country_of_residence=filters.country) | Q(nationalities__icontains=f'"{filters.country}"')
        )
        companies = CompanyProfile.objects.filter(application_id=OuterRef("pk"), jurisdiction=filters.country)
        qs = qs.filter(Q(Exists(companies)) | Q(Exists(people)))
    if filters.assignee == "me":
        qs = qs.filter(assignee=user)
    elif filters.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        qs = qs.filter(assignee_id=int(filters.assignee))
    if filters.open_hits:
        qs = qs.filter(has_open_hits=True)
    if filters.overdue:
        qs = qs.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now())  # type: ignore[misc]
    if filters.q:
        qs = qs.filter(_search(filters.q))
    field = SORTS[filters.sort]
    # Unscored cases (no risk score) sort last either way.
    order = F(field[1:]).desc(nulls_last=True) if field.startswith("-") else F(field).asc(nulls_last=True)
    return qs.order_by(order, "pk")


def window_slice(qs: QuerySet[Application], *, offset: int, limit: int) -> tuple[list[Application], int]:
    """One query for a page and the total it is a page of (COUNT(*) OVER () rides along with the rows), where
    a paginator would count first. A page past the end costs one more query, to learn the total."""
    rows: list[Application] = list(qs.annotate(queue_total=Window(Count("pk")))[offset : offset + limit])
    if rows:
        return rows, int(getattr(rows[0], "queue_total"))  # noqa: B009 - an annotation the stubs cannot see
    return [], (qs.count() if offset else 0)


@dataclass(frozen=True)
class QueuePage:
    cases: list[Application]
    number: int
    total: int
    size: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def queue_page(qs: QuerySet[Application], *, number: Any, size: int) -> QueuePage:
    """Page `number` (1-based; anything unreadable is page 1, past the end is the last page)."""
    page = int(number) if str(number).isdigit() and int(number) > 0 else 1
    cases, total = window_slice(qs, offset=(page - 1) * size, limit=size)
    if not cases and total:
        page = -(-total // size)
        cases, total = window_slice(qs, offset=(page - 1) * size, limit=size)
    return QueuePage(cases=cases, number=page, total=total, size=size)


def queue_counts() -> list[tuple[str, str, int]]:
    """(status, label, number of cases) for every status but draft, in workflow order."""
    rows = Application.objects.exclude(status=S.DRAFT).values("status").annotate(n=Count("pk")).order_by()
    found = {r["status"]: r["n"] for r in rows}
    return [(value, label, found.get(value, 0)) for value, label in S.choices if value != S.DRAFT]


def is_overdue(application: Application) -> bool:
    due = getattr(application, "due_at", None)
    return bool(due and application.status in OPEN_STATUSES and due < timezone.now())
