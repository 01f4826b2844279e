"""Operators follow their KYC/KYB case: revocation or expiry of the case suspends the operator and takes its
addresses off the operators' list; an approved renewal carries the operator over; entries expire with the case.
Driven through the decision services the case page calls (`case_revoke`, the expiry beat job, renewal approval)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from assurance.tests.helpers import approve, approved
from kyc import review, services
from kyc.models import Application
from kyc.renewal import application_renew
from operators import checklist
from operators.models import OperatorProfile
from operators.services import checklist_item_review, operator_transition
from operators.tests.factories import OperatorAddressFactory, OperatorFactory
from whitelist.models import Change, Target

pytestmark = pytest.mark.django_db
S = Application.Status


@pytest.fixture
def setup(alice: Any, wallet_key: Any, reviewer: Any) -> tuple[Application, OperatorProfile]:
    """Acme's approved KYB case with its proven wallet, and Acme's operator approved under it."""
    case = approved(alice, wallet_key, reviewer)
    operator = OperatorFactory(organisation=alice.organisations.get(), status="in_review", kyc_application=case)
    OperatorAddressFactory(operator=operator, address=wallet_key.address, purpose="withdrawal")
    for key in checklist.keys_for(operator.category):
        checklist_item_review(operator=operator, key=key, result="pass", note="", by=reviewer)
    operator_transition(operator=operator, to_status="approved", by=reviewer)
    return case, OperatorProfile.objects.get(pk=operator.pk)


def _operators_target(address: str) -> Target:
    return Target.objects.get(list_key="operators", address=address)


def test_an_operator_entry_expires_with_its_kyc_approval(setup: Any, wallet_key: Any) -> None:
    case, _operator = setup
    assert _operators_target(wallet_key.address).valid_until == case.valid_until
    add = Change.objects.get(list_key="operators", action="add")
    assert add.valid_until == case.valid_until


def test_revoking_the_kyc_case_suspends_the_operator_and_removes_its_addresses(
    setup: Any, wallet_key: Any, approver: Any
) -> None:
    case, operator = setup
    review.case_revoke(application=case, by=approver, reason_code="sanctions_match", reason="confirmed listing")
    operator.refresh_from_db()
    assert operator.status == "suspended"
    assert f"linked KYC case {case.reference} was revoked" in operator.status_changes.last().reason
    removal = Change.objects.get(list_key="operators", action="remove")
    assert removal.address == wallet_key.address and "suspended" in removal.reason
    assert _operators_target(wallet_key.address).valid_until is None
    assert operator.addresses.get().whitelist_state == "removal_requested"


def test_the_expiry_of_the_kyc_case_suspends_the_operator(setup: Any, wallet_key: Any) -> None:
    case, operator = setup
    Application.objects.filter(pk=case.pk).update(valid_until=timezone.now() - dt.timedelta(seconds=1))
    assert review.cases_expire_due() == 1
    operator.refresh_from_db()
    assert operator.status == "suspended"
    assert Change.objects.filter(list_key="operators", action="remove", address=wallet_key.address).count() == 1


def test_an_approved_renewal_carries_the_operator_over_without_leaving_the_list(
    setup: Any, alice: Any, wallet_key: Any, reviewer: Any
) -> None:
    case, operator = setup
    renewal = application_renew(application=case, by=alice)
    services.application_submit(application=renewal, by=alice)
    renewal = services.application_transition(application=renewal, to=S.READY_FOR_REVIEW, by=None)
    renewal = approve(renewal, reviewer)
    operator.refresh_from_db()
    assert operator.status == "approved" and operator.kyc_application_id == renewal.pk
    assert not Change.objects.filter(list_key="operators", action="remove").exists()
    assert _operators_target(wallet_key.address).valid_until == renewal.valid_until
    # The old case is superseded, not expired: nothing suspends the operator later.
    Application.objects.filter(pk=case.pk).update(valid_until=timezone.now() - dt.timedelta(seconds=1))
    assert review.cases_expire_due() == 0
    operator.refresh_from_db()
    assert operator.status == "approved"
