"""The review queue (selectors): filters, sorts, search, counts per status and service-level due dates.

A page costs two queries whatever its size: one aggregate for the counts per status with the number of matching
cases, and the page's rows, chosen by a subquery that sorts the application table alone on an index (the due
date is stored in `Application.due_at` for that). Filters
on related rows (country, search, open screening hits) are IN subqueries, computed once per query, rather than
joins: no DISTINCT over the queue and no work per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from core.exceptions import ApplicationError
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


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _printable(text: str) -> str:
    """The search text without control characters: nobody types them, PostgreSQL refuses a NUL in a query
    parameter (and in the audit entry of an export), and a tab or newline pasted with a reference should
    still find it."""
    return _CONTROL_CHARACTERS.sub("", text)


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
            q=_printable(str(params.get("q", ""))).strip()[:200],
            sort=sort if sort in SORTS else "due",
        )


def with_due(qs: QuerySet[Application]) -> QuerySet[Application]:
    """The cases with their service-level due date: now the stored, indexed `Application.due_at` (kept by
    `Application.save`, see `Application.compute_due_at`), so this is the queryset itself. Kept as the one
    name callers use for "with the due date" should it ever need an annotation again."""
    return qs


class RefUuid(Func):
    """The UUID right after `prefix` in a subject ref ("kyc.person:<uuid>"; the case's in "kyc.colleague:<case
    uuid>:<user uuid>"), in the form the
    model's UUID column stores: a uuid on PostgreSQL, 32 hex digits on SQLite. Matching refs to rows this way
    uses the rows' unique public_id index instead of building a ref string for every row."""

    output_field = CharField()

    def __init__(self, expression: Any, *, prefix: str) -> None:
        super().__init__(expression)
        self.prefix = prefix

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(SUBSTRING({sql} FROM {len(self.prefix) + 1} FOR 36) AS uuid)", tuple(params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, tuple[Any, ...]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"REPLACE(SUBSTR({sql}, {len(self.prefix) + 1}, 36), '-', '')", tuple(params)


_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_REF_PATTERN = _UUID + "$"
_COLLEAGUE_PATTERN = _UUID + ":" + _UUID + "$"


def _open_hit_ids(prefix: str, pattern: str = _REF_PATTERN) -> QuerySet[Any]:
    """Public ids of the subjects under `prefix` with an open hit: live (not a remembered false positive, not
    delisted history) and without a ruling, or whose latest ruling is "escalate". A subject ref belongs to one
    case, so a hit's latest ruling is its ruling on that case. Mirrors `kyc.adjudication.open_hits` in SQL."""
    from screening.models import Hit

    latest_ruling = HitAdjudication.objects.filter(hit_id=OuterRef("pk")).order_by("-at", "-pk").values("ruling")[:1]
    return (
        Hit.objects.filter(
            suppressed=False, is_history=False, check_run__subject_ref__regex="^" + re.escape(prefix) + pattern
        )
        .annotate(latest_ruling=Subquery(latest_ruling))
        .filter(Q(latest_ruling__isnull=True) | Q(latest_ruling=HitAdjudication.Ruling.ESCALATE))
        .values(subject=RefUuid("check_run__subject_ref", prefix=prefix))
    )


def open_hits_q() -> Q:
    """Cases with an open screening hit on the company or the application itself, a person, a wallet, a colleague
    or a node operator: IN subqueries that start from the (few) hits, each computed once per query."""
    return (
        Q(public_id__in=_open_hit_ids("kyc.application:"))
        | Q(pk__in=Person.objects.filter(public_id__in=_open_hit_ids("kyc.person:")).values("application_id"))
        | Q(pk__in=WalletAddress.objects.filter(public_id__in=_open_hit_ids("kyc.wallet:")).values("application_id"))
        # Colleagues acting for the customer and node operators vetted under the case (kyc.screening_flow).
        | Q(public_id__in=_open_hit_ids("kyc.colleague:", _COLLEAGUE_PATTERN))
        | Q(
            pk__in=Application.objects.filter(operator_profiles__public_id__in=_open_hit_ids("kyc.operator:")).values(
                "pk"
            )
        )
    )


def _search_q(q: str) -> Q:
    """Reference, LEI and wallet address match exactly in their stored form (upper case, EIP-55) so their
    indexes answer; company and person names match a part, in any case."""
    from core.names import name_from_source
    from kyc.services import normalise_address

    # Names are stored in one normal form (core.names); the query is put in the same form, so a name typed with
    # fullwidth letters or pasted with a zero-width character finds what is stored.
    name = name_from_source(q) or q
    ids: list[QuerySet[Any]] = [
        Application.objects.filter(reference=q.upper()).values("pk"),
        CompanyProfile.objects.filter(lei=q.upper()).values("application_id"),
        CompanyProfile.objects.filter(legal_name__icontains=name).values("application_id"),
        Person.objects.filter(legal_name__icontains=name).values("application_id"),
    ]
    if re.fullmatch(r"0x[0-9a-fA-F]{40}", q):
        try:
            address = normalise_address(q)
        except ApplicationError:
            address = q
        ids.append(WalletAddress.objects.filter(address=address).values("application_id"))
    return _any_of(ids)


def _any_of(ids: list[QuerySet[Any]]) -> Q:
    """Cases whose id is in any of `ids`, as ONE `IN (... UNION ...)`: the database joins the few matching ids
    to the cases (each branch on its own index) instead of testing every case against several IN lists, which
    an OR of INs forces (a read of the whole table to count the matches)."""
    first, *rest = [qs.order_by() for qs in ids]
    return Q(_IdIn(first.union(*rest) if rest else first))


class _IdIn(Func):
    """`id = ANY(ARRAY(<subquery>))` on PostgreSQL, `id IN (<subquery>)` elsewhere. PostgreSQL turns a plain IN
    into a join whose cost it estimates from the table's size: with a few thousand matching ids it then reads all
    100,000 cases and sorts the matches. The array is computed once (an InitPlan) and looked up in the primary
    key, or checked while the sort's index is read in order, whichever stops first."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, queryset: QuerySet[Any]) -> None:
        super().__init__(F("pk"), Subquery(queryset))

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = compiler.compile(self.source_expressions[0])
        subquery, sub_params = compiler.compile(self.source_expressions[1])
        return f"{lhs} IN {subquery}", (*lhs_params, *sub_params)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = compiler.compile(self.source_expressions[0])
        subquery, sub_params = compiler.compile(self.source_expressions[1])
        return f"{lhs} = ANY(ARRAY{subquery})", (*lhs_params, *sub_params)


def queue_filter_q(filters: QueueFilters, *, user: Any) -> Q:
    """Every filter of the queue as one condition on the application row (related rows through IN
    subqueries): used for the page's ids, for the total beside the counts per status, and for exports."""
    cond = ~Q(status=S.DRAFT)
    if filters.status:
        cond &= Q(status=filters.status)
    if filters.risk_level:
        cond &= Q(risk_level=filters.risk_level)
    if filters.subject_type:
        cond &= Q(subject_type=filters.subject_type)
    if filters.country:
        if connection.vendor == "postgresql":
            # jsonb containment, answered by the GIN index of migration 0010.
            nationality = Q(nationalities__contains=[filters.country])
        else:
            # SQLite has no JSON containment: the list's text holds the code in quotes.
            nationality = Q(nationalities__icontains=f'"{filters.country}"')
        people = Person.objects.filter(Q(country_of_residence=filters.country) | nationality)
        cond &= _any_of(
            [
                CompanyProfile.objects.filter(jurisdiction=filters.country).values("application_id"),
                people.values("application_id"),
            ]
        )
    if filters.assignee == "me":
        cond &= Q(assignee_id=getattr(user, "pk", None))
    elif filters.assignee == "none":
        cond &= Q(assignee__isnull=True)
    elif filters.assignee.isdigit():
        cond &= Q(assignee_id=int(filters.assignee))
    if filters.open_hits:
        cond &= open_hits_q()
    if filters.overdue:
        cond &= Q(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
    if filters.q:
        cond &= _search_q(filters.q)
    return cond


def _order(filters: QueueFilters) -> list[Any]:
    field = SORTS[filters.sort]
    key = F(field.lstrip("-"))
    # Unscored cases (no risk score) sort last either way.
    return [key.desc(nulls_last=True) if field.startswith("-") else key.asc(nulls_last=True), "pk"]


def _decorate(qs: QuerySet[Application]) -> QuerySet[Application]:
    return qs.select_related("assignee", "company", "applicant").annotate(
        has_open_hits=ExpressionWrapper(open_hits_q(), output_field=BooleanField())
    )


def queue_cases(filters: QueueFilters, *, user: Any) -> QuerySet[Application]:
    """The whole filtered, sorted queue with what a row shows (exports read it with a cursor)."""
    return _decorate(Application.objects.filter(queue_filter_q(filters, user=user))).order_by(*_order(filters))


# What a queue row shows (the page and the API): loading only these keeps a 200-row page from decoding every
# case's JSON columns and decrypting its company's addresses for nothing.
ROW_FIELDS = (
    "public_id",
    "reference",
    "subject_type",
    "status",
    "risk_level",
    "risk_score",
    "submitted_at",
    "due_at",
    "assignee__email",
    "applicant__email",
    "applicant__full_name",
    "company__legal_name",
)


@dataclass(frozen=True)
class QueueSlice:
    cases: list[Application]
    total: int
    counts: list[tuple[str, str, int]]


def _counts(filters: QueueFilters, cond: Q) -> tuple[list[tuple[str, str, int]], int]:
    """The counts per status (all non-draft cases) and the number of cases the filters match, in one query."""
    found: dict[str, tuple[int, int]]
    plain = Application.objects.exclude(status=S.DRAFT).values("status").order_by()
    if filters == QueueFilters(status=filters.status, sort=filters.sort):
        # Nothing filtered but (maybe) the status: the counts per status give the total too. COUNT(*) over the
        # status alone is an index-only scan of kyc_app_status_idx instead of a read of every row.
        rows = plain.annotate(n=Count("*"))
        found = {r["status"]: (r["n"], r["n"] if filters.status in ("", r["status"]) else 0) for r in rows}
    else:
        # The matching cases are counted by an uncorrelated subquery (run once, with its own plan: the filters'
        # indexes) rather than a FILTER over every row of the aggregate, which forced a read of the whole table.
        rows = plain.annotate(n=Count("*"), matching=_CountOf(Application.objects.filter(cond).order_by().values("pk")))
        found = {r["status"]: (r["n"], r["matching"]) for r in rows}
        total = next(iter(found.values()), (0, 0))[1]
        counts = [(value, label, found.get(value, (0, 0))[0]) for value, label in S.choices if value != S.DRAFT]
        return counts, total
    counts = [(value, label, found.get(value, (0, 0))[0]) for value, label in S.choices if value != S.DRAFT]
    return counts, sum(matching for _n, matching in found.values())


class _CountOf(Subquery):
    """COUNT(*) of a queryset as a scalar subquery."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


def _rows(filters: QueueFilters, cond: Q, *, offset: int, limit: int) -> list[Application]:
    """The page's rows in one query: an IN over a narrow subquery that sorts and limits on the application
    table and its indexes alone (sorting 100,000 cases never drags their joined rows along)."""
    order = _order(filters)
    page_ids = Application.objects.filter(cond).order_by(*order).values("pk")[offset : offset + limit]
    return list(_decorate(Application.objects.filter(pk__in=page_ids)).only(*ROW_FIELDS).order_by(*order))


def queue_slice(filters: QueueFilters, *, user: Any, offset: int, limit: int) -> QueueSlice:
    """Rows `offset` to `offset + limit` of the queue with the counts per status and the number of matching
    cases: two queries whatever the page size."""
    cond = queue_filter_q(filters, user=user)
    counts, total = _counts(filters, cond)
    cases = _rows(filters, cond, offset=offset, limit=limit) if offset < total else []
    return QueueSlice(cases=cases, total=total, counts=counts)


@dataclass(frozen=True)
class QueuePage:
    cases: list[Application]
    number: int
    total: int
    size: int
    counts: list[tuple[str, str, int]]

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


def queue_page(filters: QueueFilters, *, user: Any, number: Any, size: int) -> QueuePage:
    """Page `number` (1-based; anything unreadable is page 1, past the end is the last page)."""
    page = int(number) if str(number).isdigit() and int(number) > 0 else 1
    cond = queue_filter_q(filters, user=user)
    counts, total = _counts(filters, cond)
    # The counts come first so a page past the end becomes the last page without a second round trip.
    page = max(1, min(page, -(-total // size)))
    cases = _rows(filters, cond, offset=(page - 1) * size, limit=size) if total else []
    return QueuePage(cases=cases, number=page, total=total, size=size, counts=counts)


def queue_counts() -> list[tuple[str, str, int]]:
    """(status, label, number of cases) for every status but draft, in workflow order."""
    rows = Application.objects.exclude(status=S.DRAFT).values("status").annotate(n=Count("pk")).order_by()
    found = {r["status"]: r["n"] for r in rows}
    return [(value, label, found.get(value, 0)) for value, label in S.choices if value != S.DRAFT]


def is_overdue(application: Application) -> bool:
    due = getattr(application, "due_at", None)
    return bool(due and application.status in OPEN_STATUSES and due < timezone.now())
