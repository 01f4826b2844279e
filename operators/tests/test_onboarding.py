from __future__ import annotations

import json

import pytest
from django.core import mail
from django.urls import reverse

from core.models import AuditEvent
from operators import checklist
from operators.deposit_data import make_deposit_entry
from operators.models import DueDiligenceItem, OperatorProfile, OperatorStatusChange, Validator
from operators.services import checklist_item_review, operator_transition
from operators.tests.conftest import FEE_RECIPIENT, WITHDRAWAL, make_submittable
from operators.tests.factories import approved_kyc_application
from whitelist.models import Change

pytestmark = pytest.mark.django_db

PROFILE = {
    "name": "Acme Nodes",
    "category": "professional",
    "pool": "permissioned",
    "execution_client": "nethermind",
    "execution_client_version": "1.32.0",
    "consensus_client": "teku",
    "consensus_client_version": "25.6.0",
    "hosting_type": "data_centre",
    "hosting_provider": "Equinix LD5",
    "country": "gb",
    "region": "London",
    "mev_relays": "flashbots, ultrasound",
    "years_experience": "5",
    "other_networks": "Gnosis",
    "ssv_operator_ids": "",
}


def test_an_operator_is_registered_reviewed_approved_and_its_addresses_whitelisted(
    client, alice, reviewer, django_capture_on_commit_callbacks
):
    org = alice.organisations.get()
    client.force_login(alice)
    response = client.post(reverse("operators_create"), PROFILE | {"owner": str(org.public_id)})
    operator = OperatorProfile.objects.get()
    assert response.status_code == 302 and operator.organisation == org and operator.country == "GB"
    assert operator.mev_relays == ["flashbots", "ultrasound"]
    detail = reverse("operators_detail", args=[operator.public_id])
    for address, purpose in ((WITHDRAWAL, "withdrawal"), (FEE_RECIPIENT, "fee_recipient")):
        client.post(
            reverse("operators_address_add", args=[operator.public_id]), {"address": address, "purpose": purpose}
        )
    kyb = approved_kyc_application(
        organisation=org, applicant=alice, wallets=[(WITHDRAWAL, "withdrawals"), (FEE_RECIPIENT, "fee_recipient")]
    )
    client.post(reverse("operators_link", args=[operator.public_id]), {"application": str(kyb.public_id)})
    raw = json.dumps(
        [
            make_deposit_entry(
                secret_key=77,
                withdrawal_address=WITHDRAWAL,
                amount_gwei=32_000_000_000,
                fork_version="00000000",
                network_name="mainnet",
            )
        ]
    ).encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("operators_deposit_data", args=[operator.public_id]),
        {"file": SimpleUploadedFile("deposit_data.json", raw, content_type="application/json")},
    )
    assert response.status_code == 302
    assert Validator.objects.get().fee_recipient == FEE_RECIPIENT
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("operators_submit", args=[operator.public_id]))
    assert OperatorProfile.objects.get().status == "submitted"
    assert "submitted" in mail.outbox[-1].subject.lower() and mail.outbox[-1].to == ["alice@acme.example"]
    assert client.get(detail).status_code == 200

    client.force_login(reviewer)
    staff_url = reverse("operators_staff_detail", args=[operator.public_id])
    client.post(reverse("operators_staff_transition", args=[operator.public_id]), {"to_status": "in_review"})
    response = client.post(reverse("operators_staff_transition", args=[operator.public_id]), {"to_status": "approved"})
    assert OperatorProfile.objects.get().status == "in_review", "approval must wait for the checklist"
    for item in DueDiligenceItem.objects.filter(operator=operator):
        client.post(
            reverse("operators_staff_checklist", args=[operator.public_id]), {"key": item.key, "result": "pass"}
        )
    assert client.get(staff_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("operators_staff_transition", args=[operator.public_id]), {"to_status": "approved", "reason": "ok"}
        )
    operator.refresh_from_db()
    assert operator.status == "approved" and operator.decided_at is not None
    changes = Change.objects.filter(list_key="operators", action="add")
    assert sorted(changes.values_list("address", flat=True)) == sorted([WITHDRAWAL, FEE_RECIPIENT])
    assert set(operator.addresses.values_list("whitelist_state", flat=True)) == {"requested"}
    assert list(OperatorStatusChange.objects.values_list("to_status", flat=True)) == [
        "submitted",
        "in_review",
        "approved",
    ]
    assert AuditEvent.objects.filter(action="operator.approved", actor=reviewer).exists()
    assert "approved" in mail.outbox[-1].subject.lower()


def test_approval_is_refused_while_the_kyc_case_is_not_approved_or_an_address_is_unproven(
    alice, reviewer, alice_operator
):
    from kyc.models import Application

    org = alice.organisations.get()
    app = approved_kyc_application(organisation=org, applicant=alice, wallets=[])
    Application.objects.filter(pk=app.pk).update(status="in_review")
    alice_operator.kyc_application = app
    alice_operator.status = "in_review"
    alice_operator.save()
    for key in checklist.keys_for(alice_operator.category):
        checklist_item_review(operator=alice_operator, key=key, result="pass", note="", by=reviewer)
    with pytest.raises(Exception) as refused:
        operator_transition(operator=alice_operator, to_status="approved", by=reviewer)
    message = str(refused.value)
    assert "is in review, not approved" in message
    assert f"Addresses not proven (and screened) on the linked application: {WITHDRAWAL}" in message
    assert OperatorProfile.objects.get().status == "in_review" and not Change.objects.exists()


def test_illegal_transitions_are_refused_by_the_table(alice, reviewer, alice_operator):
    with pytest.raises(Exception, match="draft cannot become approved"):
        operator_transition(operator=alice_operator, to_status="approved", by=reviewer)
    make_submittable(alice_operator, alice)
    operator_transition(operator=alice_operator, to_status="submitted", by=alice)
    operator_transition(operator=alice_operator, to_status="in_review", by=reviewer)
    with pytest.raises(Exception, match="Give a reason"):
        operator_transition(operator=alice_operator, to_status="changes_requested", by=reviewer)
    operator_transition(operator=alice_operator, to_status="changes_requested", by=reviewer, reason="Add monitoring")
    assert OperatorProfile.objects.get().status == "changes_requested"


def test_a_failed_checklist_item_needs_a_note(alice, reviewer, alice_operator):
    make_submittable(alice_operator, alice)
    operator_transition(operator=alice_operator, to_status="submitted", by=alice)
    operator_transition(operator=alice_operator, to_status="in_review", by=reviewer)
    with pytest.raises(Exception, match="needs a note"):
        checklist_item_review(operator=alice_operator, key="monitoring", result="fail", note=" ", by=reviewer)


def test_the_operator_cannot_take_staff_steps_through_the_staff_url(client, alice, alice_operator):
    client.force_login(alice)
    response = client.post(
        reverse("operators_staff_transition", args=[alice_operator.public_id]), {"to_status": "in_review"}
    )
    assert response.status_code == 403
    assert OperatorProfile.objects.get().status == "draft"


def test_an_obol_cluster_needs_three_members_and_a_byzantine_threshold(client, alice, alice_operator):
    client.force_login(alice)
    url = reverse("operators_cluster_add", args=[alice_operator.public_id])
    members = "\n".join(f"node{i}, 0x{i:040x}" for i in range(1, 5))
    client.post(url, {"name": "dv1", "threshold": "2", "members": members})
    assert not alice_operator.clusters.exists()
    client.post(url, {"name": "dv1", "threshold": "3", "members": members})
    cluster = alice_operator.clusters.get()
    assert cluster.threshold == 3 and cluster.members.count() == 4


def test_a_malformed_address_is_refused_naming_what_is_accepted(client, alice, alice_operator):
    client.force_login(alice)
    response = client.post(
        reverse("operators_address_add", args=[alice_operator.public_id]),
        {"address": "0x1234", "purpose": "fee_recipient"},
        follow=True,
    )
    assert "must be 0x followed by 40 hexadecimal characters" in response.content.decode()
    assert alice_operator.addresses.count() == 1


def test_an_operator_with_an_unassessed_checklist_cannot_be_approved(alice, reviewer, alice_operator):
    from operators.services import operator_approval_blockers

    blockers = operator_approval_blockers(operator=alice_operator)
    assert any(b.startswith("Checklist items not passed: Execution and consensus clients") for b in blockers)


def test_a_cloud_operator_must_name_its_provider_and_a_home_one_need_not(client, alice):
    client.force_login(alice)
    client.post(reverse("operators_create"), PROFILE | {"hosting_type": "cloud", "hosting_provider": ""})
    assert not OperatorProfile.objects.exists()
    client.post(reverse("operators_create"), PROFILE | {"hosting_type": "home", "hosting_provider": ""})
    assert OperatorProfile.objects.get().hosting_provider == "home"
