"""The governing risk level: one reviewer can never approve a high or prohibited case alone, an override is recorded
and always takes a second approver, and the second approver confirms the level or raises it, never lowers it.
Driven through the case page and the API, as officers use them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from kyc import services
from kyc.models import Application, CaseApproval, Decision
from kyc.tests.factories import complete_company

S = Application.Status


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _scored(app: Application, level: str) -> Application:
    """What the risk assessment writes: the computed level, which is also the governing one until an officer acts."""
    Application.objects.filter(pk=app.pk).update(risk_level=level, risk_level_computed=level, risk_score=50)
    app.refresh_from_db()
    return app


@pytest.fixture
def case(alice: Any, wallet_key: Any, reviewer: Any) -> Application:
    app = complete_company(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None, reason="screening done")
    _client(reviewer).post(reverse("kyc:case_action", args=[app.public_id, "claim"]))
    app.refresh_from_db()
    assert app.status == S.IN_REVIEW
    return app


@pytest.fixture
def second_approver(make_staff: Any) -> Any:
    return make_staff("approver", email="sana.second@claystack.example")


def _approve_page(user: Any, app: Application, **data: str) -> str:
    response = _client(user).post(
        reverse("kyc:case_action", args=[app.public_id, "approve"]), {"reason": "verified", **data}, follow=True
    )
    assert response.status_code == 200
    return response.content.decode()


def test_a_reviewer_posting_low_on_a_high_case_gets_no_approval_without_an_override_reason(
    case: Application, reviewer: Any
) -> None:
    _scored(case, "high")
    page = _approve_page(reviewer, case, risk_level="low")
    case.refresh_from_db()
    assert "low is below the computed level (high)" in page and "override" in page
    assert case.status == S.IN_REVIEW and case.risk_level == "high"
    assert not CaseApproval.objects.exists() and not Decision.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["case.approval_given", "case.risk_level_overridden"]).exists()


def test_an_override_is_recorded_and_always_waits_for_a_different_approver(
    case: Application, reviewer: Any, second_approver: Any
) -> None:
    _scored(case, "high")
    _approve_page(reviewer, case, risk_level="low", override_reason="PEP role ended in 2019; source of wealth clear")
    case.refresh_from_db()
    # Low would need one approval; the override needs two whatever the level.
    assert case.status == S.PENDING_SECOND_APPROVAL and case.risk_level == "low" and case.risk_level_computed == "high"
    approval = CaseApproval.objects.get()
    assert (approval.override_from, approval.risk_level) == ("high", "low")
    event = AuditEvent.objects.get(action="case.risk_level_overridden")
    assert event.before == {"risk_level": "high"} and event.after == {"risk_level": "low"}
    assert event.data["reason"] == "PEP role ended in 2019; source of wealth clear"
    given = AuditEvent.objects.get(action="case.approval_given")
    assert given.data["required"] == 2 and given.data["override_from"] == "high"

    _approve_page(second_approver, case)
    case.refresh_from_db()
    assert case.status == S.APPROVED
    decision = case.decisions.get(outcome="approved")
    assert (decision.risk_level, decision.risk_level_computed) == ("low", "high")


def test_the_reviewer_alone_cannot_complete_a_high_case(case: Application, reviewer: Any) -> None:
    _scored(case, "high")
    _approve_page(reviewer, case)
    case.refresh_from_db()
    assert case.status == S.PENDING_SECOND_APPROVAL
    assert AuditEvent.objects.get(action="case.approval_given").data["required"] == 2


def test_the_second_approver_cannot_lower_the_level_to_stretch_the_validity(
    case: Application, reviewer: Any, second_approver: Any
) -> None:
    _scored(case, "high")
    _approve_page(reviewer, case)
    page = _approve_page(second_approver, case, risk_level="low")
    case.refresh_from_db()
    assert "cannot be lowered at the second approval" in page
    assert case.status == S.PENDING_SECOND_APPROVAL and case.risk_level == "high"
    assert CaseApproval.objects.count() == 1

    _approve_page(second_approver, case, risk_level="high")
    case.refresh_from_db()
    assert case.status == S.APPROVED
    assert case.valid_until is not None
    # High: 12 months, not the 36 a low level would give.
    assert (case.valid_until - timezone.now()).days in range(360, 370)


def test_a_reviewer_may_raise_the_level_and_the_raise_is_audited(case: Application, reviewer: Any) -> None:
    _scored(case, "low")
    _approve_page(reviewer, case, risk_level="high")
    case.refresh_from_db()
    assert case.status == S.PENDING_SECOND_APPROVAL and case.risk_level == "high"
    event = AuditEvent.objects.get(action="case.risk_level_raised")
    assert event.before == {"risk_level": "low"} and event.after == {"risk_level": "high"}


@pytest.mark.parametrize("posted", ["low", "medium", "high", ""])
def test_a_prohibited_case_can_only_be_rejected(case: Application, reviewer: Any, posted: str) -> None:
    _scored(case, "prohibited")
    page = _approve_page(reviewer, case, risk_level=posted, override_reason="customer is important")
    case.refresh_from_db()
    assert "it can only be rejected" in page
    assert case.status == S.IN_REVIEW and not CaseApproval.objects.exists()


def test_the_api_applies_the_same_rules(case: Application, reviewer: Any, second_approver: Any) -> None:
    _scored(case, "high")
    api = _client(reviewer)
    url = reverse("api:kyc-review-approve", args=[case.public_id])
    refused = api.post(url, {"reason": "ok", "risk_level": "low"}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "override_reason_required"
    assert not CaseApproval.objects.exists()
    first = api.post(
        url, {"reason": "ok", "risk_level": "low", "override_reason": "documented"}, content_type="application/json"
    )
    assert first.status_code == 200
    assert first.json()["status"] == "pending_second_approval"
    assert (first.json()["approvals_given"], first.json()["approvals_required"]) == (1, 2)
    assert (first.json()["risk_level"], first.json()["risk_level_computed"]) == ("low", "high")
    # The reviewer cannot give the second approval through the API either.
    again = api.post(url, {"reason": "ok"}, content_type="application/json")
    assert again.status_code == 400 and again.json()["code"] in ("forbidden", "four_eyes")
    second = _client(second_approver).post(url, {"reason": "agree"}, content_type="application/json")
    assert second.status_code == 200 and second.json()["status"] == "approved"


def test_the_api_refuses_an_unknown_level_naming_the_field(case: Application, reviewer: Any) -> None:
    response = _client(reviewer).post(
        reverse("api:kyc-review-approve", args=[case.public_id]),
        {"reason": "ok", "risk_level": "tiny"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "risk_level" in response.json()
    assert not CaseApproval.objects.exists()


def test_a_new_assessment_while_waiting_for_the_second_approval_never_lowers_a_raised_level(
    case: Application, reviewer: Any
) -> None:
    from kyc.risk import application_risk_assess

    _scored(case, "low")
    _approve_page(reviewer, case, risk_level="high")
    application_risk_assess(application=case, by=None)
    case.refresh_from_db()
    assert case.risk_level == "high"
    assert case.risk_level_computed in ("low", "medium", "high")


def test_validity_follows_the_governing_level(case: Application, reviewer: Any) -> None:
    _scored(case, "low")
    _approve_page(reviewer, case)
    case.refresh_from_db()
    assert case.status == S.APPROVED and case.valid_until is not None
    assert case.valid_until - timezone.now() > dt.timedelta(days=1000)
