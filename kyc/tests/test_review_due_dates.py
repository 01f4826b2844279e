"""The stored service-level due date (`Application.due_at`): every writer of the clock or the risk level keeps
it right, the data migration fills it for existing cases, and the queue's overdue filter and due sort read it."""

from __future__ import annotations

import datetime as dt
import importlib
import io
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kyc import review, services
from kyc.models import Application
from kyc.risk import application_risk_assess
from kyc.tests.factories import complete_company

S = Application.Status
SLA = {"low": 10, "medium": 5, "high": 3, "prohibited": 2}


@pytest.fixture(autouse=True)
def _service_levels(settings: Any) -> None:
    settings.KYC_SLA_DAYS = SLA


@pytest.fixture
def case(alice: Any, wallet_key: Any) -> Application:
    app = complete_company(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None)
    app.refresh_from_db()
    return app


def _stored_due(app: Application) -> dt.datetime | None:
    return Application.objects.values_list("due_at", flat=True).get(pk=app.pk)


def test_a_draft_has_no_due_date_and_submission_starts_it_at_the_medium_service_level(
    alice: Any, wallet_key: Any
) -> None:
    app = complete_company(alice, wallet_key)
    assert _stored_due(app) is None
    services.application_submit(application=app, by=alice)
    app.refresh_from_db()
    assert app.submitted_at is not None
    assert app.risk_level == ""
    assert _stored_due(app) == app.submitted_at + dt.timedelta(days=SLA["medium"])


def test_information_requested_pauses_the_due_date_and_resubmission_moves_it_by_the_time_waited(
    case: Application, reviewer: Any
) -> None:
    review.case_claim(application=case, by=reviewer)
    review.case_request_information(application=case, by=reviewer, items=["company"], message="Website please.")
    before = _stored_due(case)
    assert before is not None
    # The applicant takes four days to answer.
    Application.objects.filter(pk=case.pk).update(status_changed_at=timezone.now() - dt.timedelta(days=4))
    review.case_resubmit(application=case, by=case.applicant)
    case.refresh_from_db()
    after = _stored_due(case)
    assert after is not None
    assert dt.timedelta(days=3, hours=23) < after - before <= dt.timedelta(days=4, minutes=1)
    assert after == case.compute_due_at()


def test_a_risk_assessment_moves_the_due_date_to_its_level_and_a_level_chosen_at_approval_too(
    case: Application, reviewer: Any
) -> None:
    start = case.sla_started_at
    assert start is not None
    assert _stored_due(case) == start + dt.timedelta(days=SLA["medium"])
    result = application_risk_assess(application=case, by=None)
    assert _stored_due(case) == start + dt.timedelta(days=SLA[result.level])
    # A level set on the case (as case_approve does with the officer's choice) moves it again.
    case.refresh_from_db()
    case.risk_level = "high" if result.level != "high" else "low"
    case.save(update_fields=["risk_level", "updated_at"])
    assert _stored_due(case) == start + dt.timedelta(days=SLA[case.risk_level])


def test_the_overdue_filter_and_the_due_sort_read_the_stored_due_date(
    case: Application, reviewer: Any, alice: Any, wallet_key: Any
) -> None:
    client = Client()
    client.force_login(reviewer)
    api = reverse("api:kyc-review-queue")
    assert client.get(api, {"overdue": "1"}).json()["count"] == 0
    # The stored date alone says overdue (the clock fields still say the case is fresh): the filter follows it.
    Application.objects.filter(pk=case.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    body = client.get(api, {"overdue": "1"}).json()
    assert [row["reference"] for row in body["results"]] == [case.reference]
    assert body["results"][0]["overdue"] is True
    page = client.get(reverse("kyc:queue"), {"overdue": "1"}).content.decode()
    assert case.reference in page and 'badge-bad">overdue' in page


def test_the_data_migration_fills_the_due_date_of_existing_cases_per_risk_level(case: Application, alice: Any) -> None:
    Application.objects.filter(pk=case.pk).update(risk_level="high", due_at=None)
    migration = importlib.import_module("kyc.migrations.0009_queue_due_date_and_indexes")
    migration.fill_due_at(django_apps, None)  # it reads only the models
    case.refresh_from_db()
    assert case.sla_started_at is not None
    assert case.due_at == case.sla_started_at + dt.timedelta(days=SLA["high"])


def test_recompute_due_dates_applies_a_changed_service_level_to_existing_cases(
    case: Application, settings: Any
) -> None:
    from django.core.management import call_command

    start = case.sla_started_at
    assert start is not None
    settings.KYC_SLA_DAYS = {**SLA, "medium": 7}
    assert _stored_due(case) == start + dt.timedelta(days=5)
    out = io.StringIO()
    call_command("recompute_due_dates", stdout=out)
    assert "Recomputed the due date of 1 cases" in out.getvalue()
    assert _stored_due(case) == start + dt.timedelta(days=7)
