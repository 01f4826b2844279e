"""Operator addresses are screened like any wallet before approval and before a later address is whitelisted."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.urls import reverse

from core.exceptions import ApplicationError
from core.models import AuditEvent
from operators import checklist
from operators.models import OperatorAddress, OperatorProfile
from operators.services import checklist_item_review, operator_address_add, operator_transition
from operators.tests.conftest import FEE_RECIPIENT, WITHDRAWAL, make_submittable
from operators.tests.factories import OperatorAddressFactory, approved_kyc_application
from screening.models import ListAddress, ListVersion
from whitelist.models import Change

pytestmark = pytest.mark.django_db

LISTED = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"  # published on OFAC's SDN list (Lazarus Group, 2022)
LATER = "0x1111111111111111111111111111111111111111"


def _list_address(address: str, *, delisted: bool = False, entity_id: str = "OFAC:40339") -> ListAddress:
    version, _ = ListVersion.objects.get_or_create(
        source="ofac", number=1, defaults={"is_active": True, "checksum": "0" * 64}
    )
    return ListAddress.objects.create(
        version=version,
        address=address.lower(),
        as_published=address,
        ticker="ETH",
        entity_id=entity_id,
        entity_name="LAZARUS GROUP",
        delisted=delisted,
    )


@pytest.fixture
def ready_operator(alice: Any, reviewer: Any) -> OperatorProfile:
    """An operator in review with everything an approval needs: approved KYB, proven addresses, passed checklist."""
    from operators.tests.factories import OperatorFactory

    org = alice.organisations.get()
    operator = OperatorFactory(organisation=org, name="Acme Nodes", status="in_review")
    OperatorAddressFactory(operator=operator, address=WITHDRAWAL, purpose="withdrawal")
    OperatorAddressFactory(operator=operator, address=LISTED, purpose="fee_recipient", label="Fees")
    operator.kyc_application = approved_kyc_application(
        organisation=org,
        applicant=alice,
        wallets=[(WITHDRAWAL, "withdrawals"), (LISTED, "fee_recipient"), (FEE_RECIPIENT, "fee_recipient")],
    )
    operator.save()
    for key in checklist.keys_for(operator.category):
        checklist_item_review(operator=operator, key=key, result="pass", note="", by=reviewer)
    return cast(OperatorProfile, operator)


def test_a_sanctioned_address_blocks_approval_naming_the_address_and_the_list_entry(ready_operator, reviewer):
    _list_address(LISTED)
    with pytest.raises(ApplicationError) as refused:
        operator_transition(operator=ready_operator, to_status="approved", by=reviewer)
    assert f"{LISTED} is on a sanctions list: OFAC SDN entry OFAC:40339 (LAZARUS GROUP)." in refused.value.message
    assert OperatorProfile.objects.get().status == "in_review"
    assert not Change.objects.exists()


def test_the_same_operator_is_approved_once_the_address_is_not_listed(ready_operator, reviewer):
    operator_transition(operator=ready_operator, to_status="approved", by=reviewer)
    assert OperatorProfile.objects.get().status == "approved"
    assert Change.objects.filter(list_key="operators", action="add").count() == 2


def test_a_delisted_address_is_recorded_as_history_and_does_not_block(client, ready_operator, reviewer):
    _list_address(LISTED, delisted=True)
    client.force_login(reviewer)
    client.post(
        reverse("operators_staff_transition", args=[ready_operator.public_id]),
        {"to_status": "approved", "reason": "ok"},
    )
    assert OperatorProfile.objects.get().status == "approved"
    row = OperatorAddress.objects.get(address=LISTED)
    assert row.screening_status == "clear"
    assert row.screening_findings[0]["history"] is True and row.screening_findings[0]["entity_id"] == "OFAC:40339"
    staff_page = client.get(reverse("operators_staff_detail", args=[ready_operator.public_id])).content.decode()
    assert "delisted: ofac entry OFAC:40339" in staff_page


def test_a_refused_approval_leaves_the_hit_recorded_and_shown_to_staff_only(client, alice, reviewer, ready_operator):
    _list_address(LISTED)
    client.force_login(reviewer)
    response = client.post(
        reverse("operators_staff_transition", args=[ready_operator.public_id]),
        {"to_status": "approved", "reason": "ok"},
        follow=True,
    )
    html = response.content.decode()
    assert OperatorProfile.objects.get().status == "in_review"
    assert f"{LISTED} is on a sanctions list: OFAC SDN entry OFAC:40339 (LAZARUS GROUP)" in html
    row = OperatorAddress.objects.get(address=LISTED)
    assert row.screening_status == "sanctioned" and row.screened_at is not None
    assert row.screening_findings[0]["entity_id"] == "OFAC:40339"
    assert OperatorAddress.objects.get(address=WITHDRAWAL).screening_status == "clear"
    assert AuditEvent.objects.filter(action="operator.address_screened", actor=reviewer).exists()
    staff_page = client.get(reverse("operators_staff_detail", args=[ready_operator.public_id])).content.decode()
    assert "On a sanctions list" in staff_page and "OFAC:40339" in staff_page
    client.force_login(alice)
    own_page = client.get(reverse("operators_detail", args=[ready_operator.public_id])).content.decode()
    assert "OFAC:40339" not in own_page and "sanctions list" not in own_page


def test_submission_and_review_record_a_screening_of_every_address(alice, reviewer, alice_operator):
    _list_address(WITHDRAWAL, entity_id="OFAC:1")
    make_submittable(alice_operator, alice)
    operator_transition(operator=alice_operator, to_status="submitted", by=alice)
    row = alice_operator.addresses.get()
    assert row.screening_status == "sanctioned" and row.screening_findings[0]["entity_id"] == "OFAC:1"


def test_a_new_address_on_an_approved_operator_is_screened_before_it_is_whitelisted(ready_operator, reviewer, alice):
    operator_transition(operator=ready_operator, to_status="approved", by=reviewer)
    Change.objects.all().delete()
    clean = operator_address_add(operator=ready_operator, by=alice, address=FEE_RECIPIENT, purpose="fee_recipient")
    assert clean.screening_status == "clear" and clean.whitelist_state == "requested"
    assert Change.objects.get().address == FEE_RECIPIENT

    _list_address(LISTED)
    held = operator_address_add(operator=ready_operator, by=alice, address=LISTED, purpose="withdrawal")
    assert held.screening_status == "sanctioned" and held.whitelist_state == "held"
    assert Change.objects.count() == 1, "a listed address never reaches the whitelist outbox"
    event = AuditEvent.objects.get(action="operator.address_held")
    assert "OFAC SDN entry OFAC:40339" in event.data["reason"]


def test_an_approved_operator_cannot_add_an_address_it_has_not_proven(ready_operator, reviewer, alice):
    operator_transition(operator=ready_operator, to_status="approved", by=reviewer)
    with pytest.raises(ApplicationError, match=f"{LATER} is not a proven wallet of the linked application"):
        operator_address_add(operator=ready_operator, by=alice, address=LATER, purpose="fee_recipient")
    assert not OperatorAddress.objects.filter(address=LATER).exists()


def test_the_operator_is_told_a_held_address_awaits_review_without_naming_the_list(
    client, ready_operator, reviewer, alice
):
    operator_transition(operator=ready_operator, to_status="approved", by=reviewer)
    _list_address(LISTED)
    client.force_login(alice)
    response = client.post(
        reverse("operators_address_add", args=[ready_operator.public_id]),
        {"address": LISTED, "purpose": "withdrawal"},
        follow=True,
    )
    html = response.content.decode()
    assert "held for compliance review" in html and "OFAC" not in html
