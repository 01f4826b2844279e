"""Screening hits raised by ongoing monitoring on an APPROVED case: nobody holds the case any more, so any
reviewer independent of the applicant rules on them from the case page, and a confirmed wallet match takes the
address off the whitelist."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from core.exceptions import ApplicationError
from kyc import review, services
from kyc.adjudication import open_hits
from kyc.models import Application, HitAdjudication
from kyc.tests.factories import complete_company
from screening.models import Check, Hit
from whitelist.models import Change

S = Application.Status


@pytest.fixture
def approved(alice: Any, wallet_key: Any, reviewer: Any) -> Application:
    app = complete_company(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None)
    review.case_claim(application=app, by=reviewer)
    app = review.case_approve(application=app, by=reviewer, reason="documents and owners verified", risk_level="low")
    assert app.status == S.APPROVED
    return app


def _monitoring_hit(app: Application) -> Hit:
    """What the monitoring re-screen leaves behind: a new check on the approved case's wallet with a hit."""
    ref = f"kyc.wallet:{app.wallets.get().public_id}"
    check = Check.objects.create(kind="wallet", provider="embedded", subject_ref=ref, status="done")
    return Hit.objects.create(
        check_run=check,
        list_name="OFAC SDN",
        entity_id="OFAC:27307",
        matched_name=app.wallets.get().address,
        score=1.0,
        explanation="address listed",
    )


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rule(user: Any, app: Application, hit: Hit, ruling: str, rationale: str) -> Any:
    return _client(user).post(
        reverse("kyc:case_action", args=[app.public_id, "adjudicate"]),
        {"hit": str(hit.pk), "ruling": ruling, "rationale": rationale},
        follow=True,
    )


def test_another_reviewer_confirms_a_monitoring_hit_from_the_case_page_and_the_wallet_is_removed(
    approved: Application, make_staff: Any
) -> None:
    hit = _monitoring_hit(approved)
    colleague = make_staff("reviewer")  # not the officer who approved: nobody holds an approved case
    page = _client(colleague).get(reverse("kyc:case", args=[approved.public_id])).content.decode()
    assert "Record ruling" in page
    response = _rule(colleague, approved, hit, "true_match", "The address is on the OFAC list as published.")
    assert response.status_code == 200
    assert "Ruling recorded." in response.content.decode()
    ruling = HitAdjudication.objects.get(hit=hit)
    assert (ruling.ruling, ruling.by) == ("true_match", colleague)
    removal = Change.objects.get(action="remove")
    assert removal.address == approved.wallets.get().address
    assert open_hits(approved) == []
    # Once ruled, the form is gone from the page.
    assert (
        "Record ruling" not in _client(colleague).get(reverse("kyc:case", args=[approved.public_id])).content.decode()
    )


def test_a_ruling_without_a_rationale_is_refused_with_a_message_and_leaves_the_hit_open(
    approved: Application, reviewer: Any
) -> None:
    hit = _monitoring_hit(approved)
    response = _rule(reviewer, approved, hit, "true_match", "   ")
    assert "rationale: say why you rule this way." in response.content.decode()
    assert not HitAdjudication.objects.filter(hit=hit).exists()
    assert not Change.objects.filter(action="remove").exists()
    # A false positive or an escalation need no assignee either.
    review.case_hit_adjudicate(
        application=approved, by=reviewer, hit_id=hit.pk, ruling="escalate", rationale="ask the MLRO"
    )
    assert [h.pk for h in open_hits(approved)] == [hit.pk]
    review.case_hit_adjudicate(
        application=approved, by=reviewer, hit_id=hit.pk, ruling="false_positive", rationale="different address"
    )
    assert open_hits(approved) == []
    assert not Change.objects.filter(action="remove").exists()


def test_an_officer_from_the_applicants_organisation_or_without_review_rights_cannot_rule(
    approved: Application, alice: Any, auditor: Any, make_staff: Any
) -> None:
    hit = _monitoring_hit(approved)
    insider = make_staff("reviewer")
    Membership.objects.create(user=insider, organisation=alice.organisations.get(), role="member")
    with pytest.raises(ApplicationError) as exc:
        review.case_hit_adjudicate(
            application=approved, by=insider, hit_id=hit.pk, ruling="false_positive", rationale="x"
        )
    assert exc.value.code == "conflict_of_interest"
    assert "Record ruling" not in _client(insider).get(reverse("kyc:case", args=[approved.public_id])).content.decode()
    assert "Record ruling" not in _client(auditor).get(reverse("kyc:case", args=[approved.public_id])).content.decode()
    # The read-only auditor is told the action is not there (the view requires the review capability).
    assert _rule(auditor, approved, hit, "false_positive", "looks different").status_code == 404
    assert not HitAdjudication.objects.filter(hit=hit).exists()


def test_outside_review_and_approval_hits_still_wait_for_the_assignee(
    alice: Any, wallet_key: Any, reviewer: Any, make_staff: Any
) -> None:
    app = complete_company(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None)
    hit = _monitoring_hit(app)
    with pytest.raises(ApplicationError) as exc:
        review.case_hit_adjudicate(application=app, by=reviewer, hit_id=hit.pk, ruling="escalate", rationale="x")
    assert exc.value.code == "illegal_transition"
    review.case_claim(application=app, by=reviewer)
    with pytest.raises(ApplicationError):
        review.case_hit_adjudicate(
            application=app, by=make_staff("reviewer"), hit_id=hit.pk, ruling="escalate", rationale="x"
        )
    assert not HitAdjudication.objects.exists()
