"""Screening hits on a case: each needs a ruling with a rationale before the case can be approved."""

from __future__ import annotations

from typing import Any

import pytest

from core.exceptions import ApplicationError
from kyc import adjudication, review, services
from kyc.models import Application
from kyc.tests.factories import complete_company
from screening.models import Check, FalsePositive, Hit

S = Application.Status


@pytest.fixture
def claimed(alice: Any, wallet_key: Any, reviewer: Any) -> Application:
    app = complete_company(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None)
    return review.case_claim(application=app, by=reviewer)


def _hit(ref: str, entity: str = "OFAC-123") -> Hit:
    check = Check.objects.create(kind="name", provider="embedded", subject_ref=ref, status="done")
    return Hit.objects.create(
        check_run=check,
        list_name="OFAC SDN",
        entity_id=entity,
        matched_name="Uma Owner",
        score=0.91,
        explanation="full name matches; birth year differs",
    )


def test_an_open_hit_blocks_approval_until_it_is_ruled_a_false_positive(claimed: Application, reviewer: Any) -> None:
    owner = claimed.people.get(legal_name="Uma Owner")
    hit = _hit(f"kyc.person:{owner.public_id}")
    with pytest.raises(ApplicationError) as exc:
        review.case_approve(application=claimed, by=reviewer, reason="ok", risk_level="low")
    assert exc.value.code == "open_hits"
    with pytest.raises(ApplicationError, match="rationale"):
        adjudication.hit_adjudicate(
            application=claimed, hit_id=hit.pk, by=reviewer, ruling="false_positive", rationale=""
        )
    adjudication.hit_adjudicate(
        application=claimed, hit_id=hit.pk, by=reviewer, ruling="false_positive", rationale="born 1961, not 1988"
    )
    assert FalsePositive.objects.filter(subject_ref=f"kyc.person:{owner.public_id}", entity_id="OFAC-123").exists()
    assert review.case_approve(application=claimed, by=reviewer, reason="ok", risk_level="low").status == S.APPROVED


def test_an_escalated_hit_still_blocks_and_a_true_match_counts_as_confirmed(
    claimed: Application, reviewer: Any
) -> None:
    wallet = claimed.wallets.get()
    hit = _hit(f"kyc.wallet:{wallet.public_id}", "0xabc")
    adjudication.hit_adjudicate(application=claimed, hit_id=hit.pk, by=reviewer, ruling="escalate", rationale="unsure")
    assert len(adjudication.open_hits(claimed)) == 1
    adjudication.hit_adjudicate(application=claimed, hit_id=hit.pk, by=reviewer, ruling="true_match", rationale="same")
    assert adjudication.open_hits(claimed) == []
    assert adjudication.confirmed_hits(claimed) == 1


def test_a_hit_of_another_case_or_an_unknown_ruling_is_refused(
    claimed: Application, reviewer: Any, auditor: Any
) -> None:
    other = _hit("kyc.person:00000000-0000-0000-0000-000000000000")
    with pytest.raises(ApplicationError, match="does not belong"):
        adjudication.hit_adjudicate(
            application=claimed, hit_id=other.pk, by=reviewer, ruling="true_match", rationale="x"
        )
    mine = _hit(f"kyc.application:{claimed.public_id}")
    with pytest.raises(ApplicationError, match="ruling: choose"):
        adjudication.hit_adjudicate(application=claimed, hit_id=mine.pk, by=reviewer, ruling="maybe", rationale="x")
    with pytest.raises(ApplicationError) as exc:
        adjudication.hit_adjudicate(application=claimed, hit_id=mine.pk, by=auditor, ruling="true_match", rationale="x")
    assert exc.value.code == "forbidden"


def test_the_case_page_shows_the_hit_with_its_explanation_and_takes_a_ruling(
    claimed: Application, reviewer: Any
) -> None:
    from django.test import Client
    from django.urls import reverse

    hit = _hit(f"kyc.application:{claimed.public_id}")
    client = Client()
    client.force_login(reviewer)
    page = client.get(reverse("kyc:case", args=[claimed.public_id])).content.decode()
    assert "full name matches; birth year differs" in page
    client.post(
        reverse("kyc:case_action", args=[claimed.public_id, "adjudicate"]),
        {"hit": hit.pk, "ruling": "true_match", "rationale": "same person, same birth date"},
    )
    assert claimed.adjudications.get().rationale == "same person, same birth date"


def test_a_true_match_on_a_wallet_of_a_case_not_yet_approved_or_on_a_person_asks_nothing_of_the_whitelist(
    claimed: Application, reviewer: Any
) -> None:
    from whitelist.models import Change

    wallet_hit = _hit(f"kyc.wallet:{claimed.wallets.get().public_id}", "OFAC:27307")
    adjudication.hit_adjudicate(
        application=claimed, hit_id=wallet_hit.pk, by=reviewer, ruling="true_match", rationale="listed address"
    )
    owner = claimed.people.get(legal_name="Uma Owner")
    person_hit = _hit(f"kyc.person:{owner.public_id}")
    adjudication.hit_adjudicate(
        application=claimed, hit_id=person_hit.pk, by=reviewer, ruling="true_match", rationale="same person"
    )
    # Not on the whitelist yet: the confirmed matches keep it off (they count against the approval instead).
    assert not Change.objects.filter(action="remove").exists()
    assert adjudication.confirmed_hits(claimed) == 2


def test_a_true_match_on_an_approved_wallet_is_removed_in_the_same_transaction_as_the_ruling(
    claimed: Application, reviewer: Any
) -> None:
    from whitelist.models import Change

    claimed = review.case_approve(application=claimed, by=reviewer, reason="clear", risk_level="low")
    assert claimed.status == S.APPROVED
    wallet = claimed.wallets.get()
    hit = _hit(f"kyc.wallet:{wallet.public_id}", "OFAC:27307")
    with pytest.raises(ApplicationError):
        # A ruling that fails (no rationale) leaves no removal behind.
        adjudication.hit_adjudicate(application=claimed, hit_id=hit.pk, by=reviewer, ruling="true_match", rationale="")
    assert not Change.objects.filter(action="remove").exists()
    adjudication.hit_adjudicate(
        application=claimed, hit_id=hit.pk, by=reviewer, ruling="true_match", rationale="same address as listed"
    )
    removal = Change.objects.get(action="remove")
    assert (removal.address, removal.list_key) == (wallet.address, "stakers")
    assert "OFAC:27307" in removal.reason
