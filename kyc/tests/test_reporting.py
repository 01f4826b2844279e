"""The reporting dashboard and the CSV exports: figures from known cases, filters, the formula guard,
audit of every export, and who may see what."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, cast

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from core.models import AuditEvent
from kyc import reporting
from kyc.models import Application, CompanyProfile, Decision, StatusTransition
from kyc.tests.factories import ApplicationFactory

S = Application.Status
NOW = timezone.now()


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _case(
    *,
    status: str,
    submitted_days_ago: float,
    risk: str = "",
    decided_after_hours: float | None = None,
    outcome: str = "approved",
    by: Any = None,
    subject_type: str = "individual",
    name: str = "",
    organisation: Any = None,
) -> Application:
    submitted = NOW - dt.timedelta(days=submitted_days_ago)
    app = ApplicationFactory(subject_type=subject_type, organisation=organisation)
    Application.objects.filter(pk=app.pk).update(
        status=status, submitted_at=submitted, sla_started_at=submitted, risk_level=risk, status_changed_at=submitted
    )
    StatusTransition.objects.create(application=app, from_status=S.DRAFT, to_status=S.SUBMITTED, at=submitted)
    if decided_after_hours is not None:
        at = submitted + dt.timedelta(hours=decided_after_hours)
        StatusTransition.objects.create(application=app, from_status=S.IN_REVIEW, to_status=outcome, at=at)
        Decision.objects.create(
            application=app,
            outcome=outcome,
            risk_level=risk,
            reason_code="risk_appetite" if outcome == "rejected" else "",
            valid_until=at + dt.timedelta(days=365) if outcome == "approved" else None,
            by=by,
            at=at,
        )
    if name:
        CompanyProfile.objects.create(application=app, legal_name=name, jurisdiction="GB")
    app.refresh_from_db()
    app.save(update_fields=["sla_started_at"])  # stores the due date (Application.due_at) the update bypassed
    return cast(Application, app)


@pytest.fixture
def known_cases(reviewer: Any) -> dict[str, Application]:
    """Three decisions (24 h and 72 h for low risk, 10 h for high risk), two open cases of which one is
    overdue (high risk, service level 3 days, submitted 5 days ago), one draft."""
    return {
        "low_fast": _case(status=S.APPROVED, submitted_days_ago=10, risk="low", decided_after_hours=24, by=reviewer),
        "low_slow": _case(status=S.APPROVED, submitted_days_ago=9, risk="low", decided_after_hours=72, by=reviewer),
        "high_rejected": _case(
            status=S.REJECTED,
            submitted_days_ago=8,
            risk="high",
            decided_after_hours=10,
            outcome="rejected",
            by=reviewer,
        ),
        "overdue": _case(status=S.READY_FOR_REVIEW, submitted_days_ago=5, risk="high"),
        "on_time": _case(status=S.IN_REVIEW, submitted_days_ago=1, risk="low"),
        "draft": cast(Application, ApplicationFactory()),
    }


def test_the_dashboard_figures_match_the_known_cases(known_cases: dict[str, Application]) -> None:
    data = reporting.dashboard_data()
    counts = {key: n for key, _label, n in data.status_counts}
    assert counts[S.APPROVED] == 2
    assert counts[S.REJECTED] == 1
    assert counts[S.READY_FOR_REVIEW] == 1
    assert counts[S.IN_REVIEW] == 1
    assert S.DRAFT not in counts
    assert data.median_overall.decisions == 3
    assert data.median_overall.median_hours == 24.0
    medians = {row.key: row for row in data.median_by_risk}
    assert medians["low"].decisions == 2
    assert medians["low"].median_hours == 48.0
    assert medians["high"].median_hours == 10.0
    assert medians["medium"].median_hours is None
    assert data.overdue_total == 1
    assert [c.reference for c in data.overdue_cases] == [known_cases["overdue"].reference]
    assert {k: n for k, _l, n in data.overdue_by_risk}["high"] == 1
    # Five submissions and three outcomes inside the twelve weeks.
    assert sum(s.total for s in data.transitions.series if s.key == S.SUBMITTED) == 5
    assert sum(data.decisions_by_outcome.week_totals) == 3
    assert sum(data.submissions_by_type.week_totals) == 5
    assert {s.key: s.total for s in data.submissions_by_risk.series} == {
        "low": 3,
        "medium": 0,
        "high": 2,
        "prohibited": 0,
        "unscored": 0,
    }


def test_a_submission_older_than_twelve_weeks_is_outside_the_weekly_charts(db: Any) -> None:
    _case(status=S.APPROVED, submitted_days_ago=120, risk="low", decided_after_hours=5)
    data = reporting.dashboard_data()
    assert sum(data.submissions_by_type.week_totals) == 0
    assert data.median_overall.decisions == 0
    assert data.median_overall.median_hours is None


def test_the_dashboard_draws_svg_charts_without_inline_style_or_script(
    known_cases: dict[str, Application], auditor: Any, django_assert_max_num_queries: Any
) -> None:
    client = _client(auditor)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("reporting:dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<svg") >= 6
    assert 'class="series-0"' in body
    assert "style=" not in body
    assert "<script" not in body or "<script src=" in body
    assert "reporting/reporting.css" in body
    assert known_cases["overdue"].reference in body
    assert "24.0 h" in body  # the overall median


def test_the_dashboard_costs_the_same_queries_with_more_cases(
    known_cases: dict[str, Application], approver: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(15):
        _case(status=S.APPROVED, submitted_days_ago=20 + i, risk="medium", decided_after_hours=30)
    client = _client(approver)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("reporting:dashboard")).status_code == 200


def test_reviewers_applicants_and_outsiders_cannot_open_the_dashboard(
    reviewer: Any, alice: Any, charlie: Any, make_staff: Any
) -> None:
    url = reverse("reporting:dashboard")
    for user in (reviewer, alice, charlie):
        assert _client(user).get(url).status_code == 403
    assert Client().get(url).status_code == 302
    # An auditor without a second factor is sent to set one up first.
    response = _client(make_staff("auditor", mfa=False)).get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/")


def _rows(response: Any) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_queue_export_streams_the_filtered_queue_with_formulas_defused(
    known_cases: dict[str, Application], reviewer: Any, alice: Any
) -> None:
    org = alice.organisations.get()
    hostile = _case(
        status=S.READY_FOR_REVIEW,
        submitted_days_ago=1,
        risk="low",
        subject_type="institution",
        organisation=org,
        name='=HYPERLINK("http://evil.example","click")',
    )
    client = _client(reviewer)
    rows = _rows(client.get(reverse("reporting:export_queue"), {"status": "ready_for_review", "sort": "age"}))
    assert rows[0] == reporting.QUEUE_CSV_HEADER
    references = [r[0] for r in rows[1:]]
    assert references == [known_cases["overdue"].reference, hostile.reference]
    hostile_row = rows[2]
    assert hostile_row[3] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows[1][9] == "yes" and hostile_row[9] == "no"
    everything = _rows(client.get(reverse("reporting:export_queue")))
    assert len(everything) == 1 + 6  # every case but the draft
    event = AuditEvent.objects.filter(action="report.exported").order_by("seq").first()
    assert event is not None and event.actor_id == reviewer.pk
    assert event.data == {"export": "queue", "filters": {"status": "ready_for_review", "sort": "age"}}


def test_every_cell_that_a_spreadsheet_would_run_gets_a_leading_quote() -> None:
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert reporting.csv_safe(dangerous) == "'" + dangerous
    assert reporting.csv_safe("Acme Ltd") == "Acme Ltd"
    assert reporting.csv_safe(None) == ""
    assert reporting.csv_safe(3) == "3"


def test_the_decisions_export_lists_each_decision_with_its_outcome_and_validity(
    known_cases: dict[str, Application], auditor: Any, reviewer: Any
) -> None:
    client = _client(auditor)
    rows = _rows(client.get(reverse("reporting:export_decisions")))
    assert rows[0] == [
        "reference",
        "type",
        "decision",
        "reason code",
        "risk level",
        "decided by",
        "decided at",
        "validity end",
    ]
    by_ref = {r[0]: r for r in rows[1:]}
    assert len(by_ref) == 3
    rejected = by_ref[known_cases["high_rejected"].reference]
    assert rejected[2:6] == ["Rejected", "risk_appetite", "High", reviewer.email]
    assert rejected[7] == ""
    approved = by_ref[known_cases["low_fast"].reference]
    decision = Decision.objects.get(application=known_cases["low_fast"])
    assert approved[2] == "Approved"
    assert approved[6] == decision.at.astimezone(dt.UTC).isoformat(timespec="seconds")
    assert approved[7] == decision.valid_until.astimezone(dt.UTC).isoformat(timespec="seconds")
    only_rejections = _rows(client.get(reverse("reporting:export_decisions"), {"outcome": "rejected"}))
    assert [r[0] for r in only_rejections[1:]] == [known_cases["high_rejected"].reference]
    since = (NOW - dt.timedelta(days=8)).date().isoformat()
    recent = _rows(client.get(reverse("reporting:export_decisions"), {"since": since}))
    assert {r[0] for r in recent[1:]} == {known_cases["low_slow"].reference, known_cases["high_rejected"].reference}
    assert AuditEvent.objects.filter(action="report.exported", actor=auditor).count() == 3


def test_a_bad_date_in_the_decisions_export_is_a_400_that_names_it(auditor: Any) -> None:
    response = _client(auditor).get(reverse("reporting:export_decisions"), {"since": "21/11/2026", "outcome": "x"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "since must be a date written YYYY-MM-DD, not '21/11/2026'." in text
    assert "outcome must be one of" in text
    assert not AuditEvent.objects.filter(action="report.exported").exists()


def test_outsiders_applicants_and_board_members_cannot_export(
    known_cases: dict[str, Application], alice: Any, charlie: Any, make_staff: Any
) -> None:
    board = make_staff("board_member")
    for url in (reverse("reporting:export_queue"), reverse("reporting:export_decisions")):
        for user in (alice, charlie, board, UserFactory()):
            assert _client(user).get(url).status_code == 403
        assert Client().get(url).status_code == 302
    assert not AuditEvent.objects.filter(action="report.exported").exists()


def test_the_queue_export_reads_in_chunks_from_a_cursor(known_cases: dict[str, Application]) -> None:
    from kyc import queue

    cases = queue.queue_cases(queue.QueueFilters(), user=None)
    rows = list(reporting.queue_csv_rows(cases, chunk_size=2))
    assert len(rows) == 5
