"""Reporting selectors: the staff dashboard's figures and the CSV exports' rows.

Everything is aggregated in SQL (a handful of GROUP BY queries whatever the number of cases); Python only
pivots the grouped rows into weekly series. The charts are drawn by `chart_*` as plain geometry that the
template turns into inline SVG (no JavaScript, no CDN, no style attributes).
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, FloatField, Func, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from kyc.models import Application, Decision, RiskLevel, StatusTransition, SubjectType
from kyc.queue import OPEN_STATUSES, with_due

S = Application.Status
WEEKS = 12
# Status changes worth a line on the dashboard: work coming in, work going back to the applicant, outcomes.
TRACKED_TRANSITIONS = (S.SUBMITTED, S.INFORMATION_REQUESTED, S.APPROVED, S.REJECTED, S.EXPIRED, S.REVOKED)
FINAL_OUTCOMES = (Decision.Outcome.APPROVED, Decision.Outcome.REJECTED)
UNSCORED = "unscored"


class _Median(Aggregate):
    """PostgreSQL's ordered-set aggregate: the median of the expression within each group."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


class _EpochSeconds(Func):
    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


def week_start(day: dt.datetime) -> dt.date:
    local = timezone.localtime(day) if timezone.is_aware(day) else day
    return local.date() - dt.timedelta(days=local.weekday())


def report_weeks(now: dt.datetime | None = None) -> list[dt.date]:
    """The Mondays of the last `WEEKS` weeks, oldest first; the current (partial) week is the last."""
    current = week_start(now or timezone.now())
    return [current - dt.timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]


@dataclass
class Series:
    key: str
    label: str
    values: list[int]

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass
class WeeklyTable:
    """Counts per week for several series (one stacked bar per week in the chart)."""

    title: str
    weeks: list[dt.date]
    series: list[Series]

    @property
    def week_totals(self) -> list[int]:
        return [sum(s.values[i] for s in self.series) for i in range(len(self.weeks))]


@dataclass
class MedianRow:
    key: str
    label: str
    decisions: int
    median_hours: float | None

    @property
    def median_days(self) -> float | None:
        return None if self.median_hours is None else self.median_hours / 24


@dataclass
class Dashboard:
    weeks: list[dt.date]
    since: dt.datetime
    status_counts: list[tuple[str, str, int]]
    transitions: WeeklyTable
    submissions_by_type: WeeklyTable
    submissions_by_risk: WeeklyTable
    decisions_by_outcome: WeeklyTable
    median_overall: MedianRow
    median_by_risk: list[MedianRow]
    overdue_by_risk: list[tuple[str, str, int]]
    overdue_cases: list[Application] = field(default_factory=list)

    @property
    def overdue_total(self) -> int:
        return sum(n for _k, _l, n in self.overdue_by_risk)


def _level_label(key: str) -> str:
    return RiskLevel(key).label if key in RiskLevel.values else "Not scored"


def _pivot(rows: Iterable[Any], key: str, keys: list[tuple[str, str]], weeks: list[dt.date], title: str) -> WeeklyTable:
    index = {w: i for i, w in enumerate(weeks)}
    values = {k: [0] * len(weeks) for k, _ in keys}
    for row in rows:
        week = row["week"]
        week = week.date() if isinstance(week, dt.datetime) else week
        k = row[key] or UNSCORED
        if week in index and k in values:
            values[k][index[week]] += row["n"]
    return WeeklyTable(title=title, weeks=weeks, series=[Series(k, label, values[k]) for k, label in keys])


def _medians(decisions: QuerySet[Decision]) -> tuple[MedianRow, list[MedianRow]]:
    """Median hours from submission to the final decision, overall and per risk level at decision."""
    duration = ExpressionWrapper(F("at") - F("application__submitted_at"), output_field=DurationField())
    levels = [(level, label) for level, label in RiskLevel.choices] + [(UNSCORED, "Not scored")]
    if connection.vendor == "postgresql":
        seconds = _EpochSeconds(duration)
        overall = decisions.aggregate(n=Count("pk"), median=_Median(seconds))
        grouped = {
            (r["risk_level"] or UNSCORED): r
            for r in decisions.values("risk_level").annotate(n=Count("pk"), median=_Median(seconds)).order_by()
        }
        overall_row = MedianRow("all", "All decisions", overall["n"], _hours(overall["median"]))
        rows = [
            MedianRow(k, label, grouped[k]["n"], _hours(grouped[k]["median"]))
            if k in grouped
            else MedianRow(k, label, 0, None)
            for k, label in levels
        ]
        return overall_row, rows
    # Other databases (SQLite in a fallback test run) have no percentile aggregate: fetch the durations,
    # still one query.
    found: dict[str, list[float]] = {}
    for level, value in decisions.annotate(d=duration).values_list("risk_level", "d"):
        if value is not None:
            found.setdefault(level or UNSCORED, []).append(value.total_seconds())
    everything = [v for values in found.values() for v in values]
    overall_row = MedianRow(
        "all", "All decisions", len(everything), _hours(statistics.median(everything) if everything else None)
    )
    rows = [
        MedianRow(k, label, len(found.get(k, [])), _hours(statistics.median(found[k]) if found.get(k) else None))
        for k, label in levels
    ]
    return overall_row, rows


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(float(seconds) / 3600, 1)


def overdue_cases(now: dt.datetime | None = None) -> QuerySet[Application]:
    """Open cases past their service-level due date (the queue's `with_due` rule), most overdue first."""
    return (
        with_due(Application.objects.filter(status__in=OPEN_STATUSES))
        .filter(due_at__lt=now or timezone.now())
        .order_by("due_at", "pk")
    )


def dashboard_data(*, now: dt.datetime | None = None, overdue_list: int = 10) -> Dashboard:
    """All the dashboard's figures in eight queries, whatever the number of cases."""
    now = now or timezone.now()
    weeks = report_weeks(now)
    since = timezone.make_aware(dt.datetime.combine(weeks[0], dt.time.min))
    status_rows = Application.objects.exclude(status=S.DRAFT).values("status").annotate(n=Count("pk")).order_by()
    found = {r["status"]: r["n"] for r in status_rows}
    status_counts = [(value, label, found.get(value, 0)) for value, label in S.choices if value != S.DRAFT]

    recent = StatusTransition.objects.filter(at__gte=since, at__lte=now)
    transition_rows = (
        recent.filter(to_status__in=TRACKED_TRANSITIONS)
        .annotate(week=TruncWeek("at"))
        .values("week", "to_status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    transitions = _pivot(
        transition_rows,
        "to_status",
        [(s.value, s.label) for s in TRACKED_TRANSITIONS],
        weeks,
        "Status changes per week",
    )
    submission_rows = list(
        recent.filter(to_status=S.SUBMITTED)
        .annotate(week=TruncWeek("at"))
        .values("week", "application__subject_type", "application__risk_level")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_type = _pivot(
        submission_rows, "application__subject_type", list(SubjectType.choices), weeks, "Submissions per week by type"
    )
    by_risk = _pivot(
        submission_rows,
        "application__risk_level",
        [*RiskLevel.choices, (UNSCORED, "Not scored")],
        weeks,
        "Submissions per week by current risk level",
    )
    decision_rows = (
        Decision.objects.filter(at__gte=since, at__lte=now)
        .annotate(week=TruncWeek("at"))
        .values("week", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    decisions = _pivot(decision_rows, "outcome", list(Decision.Outcome.choices), weeks, "Decisions per week")

    final = Decision.objects.filter(
        outcome__in=FINAL_OUTCOMES, at__gte=since, at__lte=now, application__submitted_at__isnull=False
    )
    median_overall, median_by_risk = _medians(final)

    overdue = overdue_cases(now)
    overdue_rows = {
        (r["risk_level"] or UNSCORED): r["n"] for r in overdue.values("risk_level").annotate(n=Count("pk")).order_by()
    }
    overdue_by_risk = [
        (k, label, overdue_rows.get(k, 0)) for k, label in [*RiskLevel.choices, (UNSCORED, "Not scored")]
    ]
    overdue_list_rows = list(overdue.select_related("assignee", "company")[:overdue_list]) if overdue_list else []
    return Dashboard(
        weeks=weeks,
        since=since,
        status_counts=status_counts,
        transitions=transitions,
        submissions_by_type=by_type,
        submissions_by_risk=by_risk,
        decisions_by_outcome=decisions,
        median_overall=median_overall,
        median_by_risk=median_by_risk,
        overdue_by_risk=overdue_by_risk,
        overdue_cases=overdue_list_rows,
    )


# Charts ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css_class: str
    title: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    x_labels: list[tuple[float, str]]
    y_ticks: list[tuple[float, int]]
    legend: list[tuple[str, str]]
    baseline: float
    left: float
    right: float


def chart_stacked_weeks(table: WeeklyTable, *, width: int = 640, height: int = 220) -> Chart:
    """Geometry of a stacked bar chart (one bar per week, one colour class per series)."""
    left, right, top, bottom = 36.0, float(width - 8), 8.0, float(height - 24)
    totals = table.week_totals
    peak = max([*totals, 1])
    step = _nice_step(peak)
    top_value = step * -(-peak // step)
    slot = (right - left) / max(len(table.weeks), 1)
    bar_width = slot * 0.7
    scale = (bottom - top) / top_value
    bars: list[Bar] = []
    for i, week in enumerate(table.weeks):
        x = left + i * slot + (slot - bar_width) / 2
        y = bottom
        for n, series in enumerate(table.series):
            value = series.values[i]
            if not value:
                continue
            h = value * scale
            y -= h
            bars.append(
                Bar(
                    round(x, 1),
                    round(y, 1),
                    round(bar_width, 1),
                    round(h, 1),
                    f"series-{n}",
                    f"Week of {week:%d %b}: {series.label} {value}",
                )
            )
    x_labels = [(round(left + i * slot + slot / 2, 1), f"{w:%d %b}") for i, w in enumerate(table.weeks)]
    y_ticks = [(round(bottom - v * scale, 1), v) for v in range(0, top_value + 1, step)]
    legend = [(f"series-{n}", s.label) for n, s in enumerate(table.series)]
    return Chart(width, height, bars, x_labels, y_ticks, legend, bottom, left, right)


def chart_bars(rows: list[tuple[str, str, int]], *, width: int = 640, bar_height: int = 18) -> Chart:
    """Geometry of a horizontal bar chart of (key, label, count) rows."""
    left, right = 180.0, float(width - 48)
    peak = max([n for _k, _l, n in rows] + [1])
    bars = [
        Bar(
            left,
            float(i * (bar_height + 6) + 4),
            round((right - left) * n / peak, 1),
            float(bar_height),
            f"series-{i % 8}",
            f"{label}: {n}",
        )
        for i, (_key, label, n) in enumerate(rows)
    ]
    height = len(rows) * (bar_height + 6) + 8
    legend = [(str(n), label) for _k, label, n in rows]
    return Chart(width, height, bars, [], [], legend, float(height), left, right)


def _nice_step(peak: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000):
        if peak / step <= 5:
            return step
    return 10 ** len(str(peak))


# CSV exports ----------------------------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """The cell as text, with a leading apostrophe when a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds")
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_safe(v) for v in row])


QUEUE_CSV_HEADER = [
    "reference",
    "type",
    "status",
    "name",
    "risk level",
    "risk score",
    "assignee",
    "submitted at",
    "due at",
    "overdue",
]


def queue_csv_rows(cases: QuerySet[Application], *, chunk_size: int = 2000) -> Iterator[list[Any]]:
    """The queue's rows (already filtered and sorted by `kyc.queue.queue_cases`), read in chunks from a
    server-side cursor so a large export never sits in memory."""
    now = timezone.now()
    for case in cases.iterator(chunk_size=chunk_size):
        company = getattr(case, "company", None)
        due = getattr(case, "due_at", None)
        yield [
            case.reference,
            case.get_subject_type_display(),
            case.get_status_display(),
            company.legal_name if company is not None else case.applicant.email,
            case.get_risk_level_display() if case.risk_level else "",
            case.risk_score,
            case.assignee.email if case.assignee_id else "",  # type: ignore[union-attr]
            case.submitted_at,
            due,
            "yes" if due and case.status in OPEN_STATUSES and due < now else "no",
        ]


DECISIONS_CSV_HEADER = [
    "reference",
    "type",
    "decision",
    "reason code",
    "risk level",
    "decided by",
    "decided at",
    "validity end",
]


@dataclass(frozen=True)
class DecisionFilters:
    outcome: str = ""
    since: dt.date | None = None
    until: dt.date | None = None

    def as_dict(self) -> dict[str, str]:
        return {
            "outcome": self.outcome,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }


def decision_filters_from_params(params: Any) -> tuple[DecisionFilters, list[str]]:
    """Parse `outcome`, `since` and `until` (YYYY-MM-DD, inclusive); return the filters and every problem."""
    problems: list[str] = []
    outcome = params.get("outcome", "")
    if outcome and outcome not in Decision.Outcome.values:
        problems.append(f"outcome must be one of {', '.join(Decision.Outcome.values)}, not {outcome!r}.")
        outcome = ""
    dates: dict[str, dt.date | None] = {}
    for name in ("since", "until"):
        raw = params.get(name, "")
        try:
            dates[name] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            problems.append(f"{name} must be a date written YYYY-MM-DD, not {raw!r}.")
            dates[name] = None
    if dates["since"] and dates["until"] and dates["since"] > dates["until"]:
        problems.append("since must be on or before until.")
    return DecisionFilters(outcome=outcome, since=dates["since"], until=dates["until"]), problems


def decisions_for_export(filters: DecisionFilters) -> QuerySet[Decision]:
    qs = Decision.objects.select_related("application", "by").order_by("at", "pk")
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    if filters.since:
        qs = qs.filter(at__gte=timezone.make_aware(dt.datetime.combine(filters.since, dt.time.min)))
    if filters.until:
        qs = qs.filter(
            at__lt=timezone.make_aware(dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time.min))
        )
    return qs


def decision_csv_rows(decisions: QuerySet[Decision], *, chunk_size: int = 2000) -> Iterator[list[Any]]:
    for d in decisions.iterator(chunk_size=chunk_size):
        yield [
            d.application.reference,
            d.application.get_subject_type_display(),
            d.get_outcome_display(),
            d.reason_code,
            d.get_risk_level_display() if d.risk_level else "",
            d.by.email if d.by_id else "system",  # type: ignore[union-attr]
            d.at,
            d.valid_until,
        ]
