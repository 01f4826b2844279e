"""Operator onboarding without dead ends: submission only when complete (with the reasons), the country as a select
of ISO codes, unproven addresses marked, and addresses proven inside the operator flow."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from eth_account import Account

from core.models import AuditEvent
from kyc.tests.factories import sign
from operators.models import OperatorProfile
from operators.services import operator_link_application, validator_register
from operators.tests.conftest import WITHDRAWAL
from operators.tests.factories import OperatorAddressFactory, OperatorFactory, approved_kyc_application, pubkey_for
from operators.tests.test_onboarding import PROFILE

pytestmark = pytest.mark.django_db


def test_an_empty_draft_cannot_be_submitted_and_every_reason_is_listed(client, alice):
    operator = OperatorFactory(organisation=alice.organisations.get())
    client.force_login(alice)
    page = client.get(reverse("operators_detail", args=[operator.public_id])).content.decode()
    assert "Link your KYC or KYB application, or start one, first." in page
    assert "Declare the withdrawal address." in page and "Upload the deposit data" in page
    assert reverse("operators_submit", args=[operator.public_id]) not in page  # a disabled button, no form
    response = client.post(reverse("operators_submit", args=[operator.public_id]), follow=True)
    assert "Cannot submit yet" in response.content.decode()
    assert OperatorProfile.objects.get().status == "draft"
    api = client.post(f"/api/v1/operators/{operator.public_id}/submit/", "{}", content_type="application/json")
    assert api.status_code == 400 and api.json()["code"] == "incomplete"
    assert {p["field"] for p in api.json()["problems"]} == {"kyc_application", "addresses", "keys"}


def test_portugal_is_chosen_from_a_list_and_free_text_is_refused_naming_the_field(client, alice):
    client.force_login(alice)
    form_page = client.get(reverse("operators_create")).content.decode()
    assert '<option value="PT">Portugal</option>' in form_page
    org = str(alice.organisations.get().public_id)
    refused = client.post(reverse("operators_create"), PROFILE | {"owner": org, "country": "Portugal"})
    assert refused.status_code == 200 and "country" in refused.context["form"].errors
    assert not OperatorProfile.objects.exists()
    client.post(reverse("operators_create"), PROFILE | {"owner": org, "country": "PT"})
    assert OperatorProfile.objects.get().country == "PT"
    api = client.post(
        "/api/v1/operators/", json.dumps(PROFILE | {"country": "PO", "mev_relays": []}), content_type="application/json"
    )
    assert api.status_code == 400 and "country" in api.json()


def test_an_unproven_address_is_marked_and_proven_inside_the_operator_flow_then_submission_works(client, alice):
    key = Account.create()
    operator = OperatorFactory(organisation=alice.organisations.get())
    row = OperatorAddressFactory(operator=operator, address=key.address, purpose="withdrawal")
    # The linked application is under review (read-only): the address is not one of its proven wallets.
    app = approved_kyc_application(organisation=operator.organisation, applicant=alice)
    app.status = "in_review"
    app.save(update_fields=["status"])
    operator_link_application(operator=operator, by=alice, application=app)
    validator_register(
        operator=operator,
        by=alice,
        pubkey=pubkey_for(5),
        withdrawal_credentials="0x01" + "00" * 11 + key.address[2:].lower(),
    )
    client.force_login(alice)
    detail = reverse("operators_detail", args=[operator.public_id])
    cell = client.get(detail).content.decode().split('class="address-control"', 1)[1].split("</td>", 1)[0]
    assert "not proven" in cell and reverse("operators_address_prove", args=[operator.public_id, row.pk]) in cell

    prove_url = reverse("operators_address_prove", args=[operator.public_id, row.pk])
    page = client.get(prove_url)
    message = page.context["message"]
    assert key.address in message
    forged = client.post(prove_url, {"message": message, "signature": sign(Account.create(), message)})
    assert "not by " + key.address in forged.content.decode()
    response = client.post(prove_url, {"message": message, "signature": sign(key, message)})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.proven_at is not None and AuditEvent.objects.filter(action="operator.address_proven").exists()
    replay = client.post(prove_url, {"message": message, "signature": sign(key, message)}, follow=True)
    assert "already used" in replay.content.decode()

    client.post(reverse("operators_submit", args=[operator.public_id]))
    assert OperatorProfile.objects.get().status == "submitted"


def test_an_address_on_the_linked_application_counts_as_proven(alice):
    from operators.services import operator_submission_problems

    operator = OperatorFactory(organisation=alice.organisations.get())
    OperatorAddressFactory(operator=operator, address=WITHDRAWAL, purpose="withdrawal")
    app = approved_kyc_application(
        organisation=operator.organisation, applicant=alice, wallets=[(WITHDRAWAL, "withdrawals")]
    )
    linked = operator_link_application(operator=operator, by=alice, application=app)
    assert [p["field"] for p in operator_submission_problems(operator=linked)] == ["keys"]
