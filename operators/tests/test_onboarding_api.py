"""The operator onboarding steps over the API: profile, addresses, KYC link, deposit data, submission, status."""

from __future__ import annotations

import json

import pytest

from operators.deposit_data import make_deposit_entry
from operators.models import OperatorAddress, OperatorProfile, Validator
from operators.tests.conftest import FEE_RECIPIENT, WITHDRAWAL
from operators.tests.factories import approved_kyc_application

pytestmark = pytest.mark.django_db

PROFILE = {
    "name": "Acme Nodes",
    "category": "professional",
    "pool": "public",
    "execution_client": "nethermind",
    "execution_client_version": "1.32.0",
    "consensus_client": "teku",
    "consensus_client_version": "25.6.0",
    "hosting_type": "data_centre",
    "hosting_provider": "Equinix LD5",
    "country": "gb",
    "region": "London",
    "mev_relays": ["flashbots", "ultrasound"],
    "years_experience": 5,
}


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def _patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def test_an_operator_onboards_entirely_over_the_api(client, alice, django_capture_on_commit_callbacks):
    org = alice.organisations.get()
    client.force_login(alice)
    response = _post(client, "/api/v1/operators/", PROFILE | {"organisation": str(org.public_id)})
    assert response.status_code == 201, response.json()
    operator = OperatorProfile.objects.get()
    assert operator.organisation == org and operator.country == "GB" and operator.status == "draft"
    base = f"/api/v1/operators/{operator.public_id}/"
    assert response.json()["id"] == str(operator.public_id)

    response = _patch(client, base, {"consensus_client": "lighthouse", "hosting_type": "home"})
    assert response.status_code == 200
    assert (response.json()["consensus_client"], response.json()["hosting_provider"]) == ("lighthouse", "home")

    for address, purpose in ((WITHDRAWAL.lower(), "withdrawal"), (FEE_RECIPIENT, "fee_recipient")):
        response = _post(client, base + "addresses/", {"address": address, "purpose": purpose})
        assert response.status_code == 201
    assert response.json()["whitelist_state"] == "not_requested"
    assert [a["address"] for a in client.get(base + "addresses/").json()] == [FEE_RECIPIENT, WITHDRAWAL]

    kyb = approved_kyc_application(
        organisation=org, applicant=alice, wallets=[(WITHDRAWAL, "withdrawals"), (FEE_RECIPIENT, "fee_recipient")]
    )
    response = _post(client, base + "application/", {"application": str(kyb.public_id)})
    assert response.status_code == 200 and response.json()["status"] == "approved"

    entry = make_deposit_entry(
        secret_key=91,
        withdrawal_address=WITHDRAWAL,
        amount_gwei=32_000_000_000,
        fork_version="00000000",
        network_name="mainnet",
    )
    response = client.post(base + "deposit-data/", json.dumps([entry]), content_type="application/json")
    assert response.status_code == 201 and response.json()["keys"] == 1

    status = client.get(base + "status/").json()
    assert status["status"] == "draft" and status["next_steps"] == ["submitted"]
    assert status["kyc_application"] == {"reference": kyb.reference, "status": "approved"}
    assert {item["key"] for item in status["checklist"]} >= {"client_versions", "monitoring"}
    assert all(item["result"] == "pending" for item in status["checklist"])
    assert any(b.startswith("Checklist items not passed") for b in status["blockers"])

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, base + "submit/", {})
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    status = client.get(base + "status/").json()
    assert status["status"] == "submitted" and status["history"][0]["to"] == "submitted"
    assert status["next_steps"] == []

    response = _patch(client, base, {"region": "Manchester"})
    assert response.status_code == 400 and response.json()["code"] == "not_editable"
    assert OperatorProfile.objects.get().region == "London"


def test_an_individual_registers_for_themselves(client, alice):
    client.force_login(alice)
    response = _post(client, "/api/v1/operators/", PROFILE | {"category": "solo_home", "hosting_type": "home"})
    assert response.status_code == 201
    operator = OperatorProfile.objects.get()
    assert operator.user == alice and operator.organisation is None and operator.hosting_provider == "home"


def test_bad_profiles_are_refused_naming_each_field_and_nothing_is_created(client, alice):
    client.force_login(alice)
    response = _post(
        client,
        "/api/v1/operators/",
        PROFILE | {"country": "G1", "execution_client": "parity", "hosting_provider": ""},
    )
    assert response.status_code == 400
    body = response.json()
    assert "country" in body and "execution_client" in body
    response = _post(client, "/api/v1/operators/", PROFILE | {"hosting_provider": " "})
    assert response.json() == {
        "hosting_provider": ["Name the cloud provider or data centre (e.g. AWS, Hetzner, Equinix FR5)."]
    }
    response = _post(client, "/api/v1/operators/", PROFILE | {"category": "ssv_operator"})
    assert "ssv_operator_ids" in response.json()
    assert not OperatorProfile.objects.exists()


def test_a_malformed_or_duplicate_address_is_refused_with_its_reason(client, alice, alice_operator):
    client.force_login(alice)
    url = f"/api/v1/operators/{alice_operator.public_id}/addresses/"
    response = _post(client, url, {"address": "0x1234", "purpose": "withdrawal"})
    assert response.status_code == 400 and "40 hexadecimal characters" in response.json()["address"][0]
    response = _post(client, url, {"address": WITHDRAWAL, "purpose": "withdrawal"})
    assert response.status_code == 400 and response.json()["code"] == "duplicate_address"
    assert OperatorAddress.objects.count() == 1


def test_an_outsider_cannot_create_for_another_organisation_nor_touch_its_operator(
    client, alice, charlie, alice_operator
):
    client.force_login(charlie)
    response = _post(client, "/api/v1/operators/", PROFILE | {"organisation": str(alice.organisations.get().public_id)})
    assert response.status_code == 400 and response.json() == {"organisation": ["Not one of your organisations."]}
    base = f"/api/v1/operators/{alice_operator.public_id}/"
    kyb = approved_kyc_application(organisation=alice.organisations.get(), applicant=alice)
    calls: list[tuple[str, str, object]] = [
        ("patch", base, {"region": "x"}),
        ("get", base + "addresses/", None),
        ("post", base + "addresses/", {"address": FEE_RECIPIENT, "purpose": "fee_recipient"}),
        ("post", base + "application/", {"application": str(kyb.public_id)}),
        ("post", base + "submit/", {}),
        ("get", base + "status/", None),
        ("get", base + "nodes/", None),
        ("post", base + "deposit-data/", []),
    ]
    for method, url, data in calls:
        if method == "get":
            response = client.get(url)
        else:
            response = getattr(client, method)(url, json.dumps(data), content_type="application/json")
        assert response.status_code == 404, (method, url, response.status_code)
    operator = OperatorProfile.objects.get()
    assert operator.status == "draft" and operator.kyc_application is None and operator.addresses.count() == 1


def test_an_outsiders_application_cannot_be_linked(client, alice, charlie, alice_operator):
    theirs = approved_kyc_application(organisation=charlie.organisations.get(), applicant=charlie)
    client.force_login(alice)
    response = _post(
        client, f"/api/v1/operators/{alice_operator.public_id}/application/", {"application": str(theirs.public_id)}
    )
    assert response.status_code == 400 and response.json()["code"] == "foreign_application"
    assert OperatorProfile.objects.get().kyc_application is None


def test_staff_read_the_status_but_never_act_as_the_operator(client, reviewer, alice_operator):
    client.force_login(reviewer)
    base = f"/api/v1/operators/{alice_operator.public_id}/"
    status = client.get(base + "status/").json()
    assert status["status"] == "draft" and status["next_steps"] == []
    for url, data in (
        (base + "addresses/", {"address": FEE_RECIPIENT, "purpose": "fee_recipient"}),
        (base + "submit/", {}),
    ):
        assert _post(client, url, data).status_code == 404
    assert _patch(client, base, {"region": "x"}).status_code == 404
    assert OperatorProfile.objects.get().status == "draft"


def test_anonymous_callers_are_refused(client, alice_operator):
    base = f"/api/v1/operators/{alice_operator.public_id}/"
    assert _post(client, "/api/v1/operators/", PROFILE).status_code in (401, 403)
    assert client.get(base + "status/").status_code in (401, 403)
    assert _post(client, base + "submit/", {}).status_code in (401, 403)
    assert not Validator.objects.exists() and OperatorProfile.objects.count() == 1


def test_the_status_api_keeps_a_bounded_number_of_queries(client, alice, alice_operator, django_assert_max_num_queries):
    client.force_login(alice)
    with django_assert_max_num_queries(14):
        assert client.get(f"/api/v1/operators/{alice_operator.public_id}/status/").status_code == 200
