"""Staff reporting: the dashboard and the CSV exports of the queue and of decisions. Thin: `kyc.reporting`
and `kyc.queue` read; every export is written to the audit trail before its first byte leaves."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.decorators import capability_required
from accounts.roles import Capability
from core.audit import audit_record
from kyc import queue, reporting


@capability_required(Capability.REPORT_VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    data = reporting.dashboard_data()
    charts = [
        (table, reporting.chart_stacked_weeks(table), _week_rows(table))
        for table in (
            data.transitions,
            data.submissions_by_type,
            data.submissions_by_risk,
            data.decisions_by_outcome,
        )
    ]
    status_chart = reporting.chart_bars(data.status_counts)
    overdue_chart = reporting.chart_bars(data.overdue_by_risk)
    return render(
        request,
        "kyc/reporting/dashboard.html",
        {
            "data": data,
            "charts": charts,
            "status_chart": status_chart,
            "status_bars": list(zip(status_chart.bars, data.status_counts, strict=True)),
            "overdue_chart": overdue_chart,
            "overdue_bars": list(zip(overdue_chart.bars, data.overdue_by_risk, strict=True)),
        },
    )


def _week_rows(table: reporting.WeeklyTable) -> list[tuple[Any, dict[str, Any]]]:
    """The chart's figures as a table (for screen readers and for copying)."""
    rows = []
    for i, week in enumerate(table.weeks):
        values = [s.values[i] for s in table.series]
        rows.append((week, {"values": values, "total": sum(values)}))
    return rows


def _csv_response(name: str, lines: Any) -> HttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.now():%Y%m%d-%H%M}.csv"'
    response["Cache-Control"] = "no-store"
    # The capability decorator is typed for HttpResponse; a streaming response goes through it unchanged.
    return cast(HttpResponse, response)


@capability_required(Capability.CASE_VIEW)
def export_queue(request: HttpRequest) -> HttpResponse:
    """The queue as CSV with the queue page's filters and sort (the same query string works on both)."""
    filters = queue.QueueFilters.from_params(request.GET)
    cases = queue.queue_cases(filters, user=request.user)
    audit_record(
        actor=request.user,
        action="report.exported",
        data={"export": "queue", "filters": {k: v for k, v in vars(filters).items() if v not in ("", False)}},
    )
    return _csv_response(
        "review-queue", reporting.csv_lines(reporting.QUEUE_CSV_HEADER, reporting.queue_csv_rows(cases))
    )


@capability_required(Capability.CASE_VIEW)
def export_decisions(request: HttpRequest) -> HttpResponse:
    """Every decision (approved, rejected, revoked, expired) as CSV, optionally by outcome and date range."""
    filters, problems = reporting.decision_filters_from_params(request.GET)
    if problems:
        return HttpResponse(
            "The export was not made: " + " ".join(problems), status=400, content_type="text/plain; charset=utf-8"
        )
    audit_record(
        actor=request.user,
        action="report.exported",
        data={"export": "decisions", "filters": {k: v for k, v in filters.as_dict().items() if v}},
    )
    rows = reporting.decision_csv_rows(reporting.decisions_for_export(filters))
    return _csv_response("decisions", reporting.csv_lines(reporting.DECISIONS_CSV_HEADER, rows))
