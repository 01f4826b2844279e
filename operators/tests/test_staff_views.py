from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditEvent
from operators.models import ExitRequest, OperatorScore, RewardAdjustment
from operators.tests.factories import OperatorFactory, ValidatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(alice):
    operator = OperatorFactory(organisation=alice.organisations.get(), status="approved", name="Acme Nodes")
    return operator, ValidatorFactory(operator=operator)


def test_staff_request_an_exit_set_a_cap_and_record_an_adjustment(client, reviewer, approved):
    operator, validator = approved
    client.force_login(reviewer)
    pid = operator.public_id
    client.post(
        reverse("operators_staff_exit", args=[pid]),
        {"validator": validator.pubkey.upper().replace("0X", "0x"), "kind": "forced", "reason": "Key compromise"},
    )
    exit_request = ExitRequest.objects.get()
    assert (exit_request.kind, exit_request.status) == ("forced", "open")
    # Staff cannot record an operator's voluntary exit on their behalf.
    client.post(
        reverse("operators_staff_exit", args=[pid]), {"validator": validator.pubkey, "kind": "voluntary", "reason": "x"}
    )
    assert ExitRequest.objects.count() == 1
    client.post(reverse("operators_staff_cap", args=[pid]), {"validator_cap": "42", "reason": "Bond posted for 42"})
    operator.refresh_from_db()
    assert operator.validator_cap == 42
    assert AuditEvent.objects.filter(action="operator.cap_set", actor=reviewer).exists()
    client.post(
        reverse("operators_staff_adjustment", args=[pid]), {"epoch": "5", "amount_eth": "-0.5", "reason": "MEV theft"}
    )
    assert RewardAdjustment.objects.get().amount_eth == Decimal("-0.5")
    page = client.get(reverse("operators_staff_detail", args=[pid])).content.decode()
    assert "MEV theft" in page and "Key compromise" in page


def test_the_operator_records_a_voluntary_exit_of_its_own_validator_only(client, alice, charlie, approved):
    operator, validator = approved
    foreign = ValidatorFactory()
    client.force_login(alice)
    url = reverse("operators_exit", args=[operator.public_id])
    client.post(url, {"validator": foreign.pubkey, "reason": "not mine"})
    assert not ExitRequest.objects.exists()
    client.post(url, {"validator": validator.pubkey, "reason": "Hardware retirement"})
    assert ExitRequest.objects.get().kind == "voluntary"


def test_the_api_shows_the_bond_with_its_computation_and_the_score_history(client, bob, approved, settings):
    operator, _ = approved
    settings.OPERATORS_BOND_BASE_ETH = {**settings.OPERATORS_BOND_BASE_ETH, "professional": "8"}
    settings.OPERATORS_BOND_PER_VALIDATOR_ETH = {**settings.OPERATORS_BOND_PER_VALIDATOR_ETH, "professional": "1"}
    OperatorScore.objects.create(
        operator=operator, formula_version="v1", epoch_from=0, epoch_to=9, score=Decimal("45"), components={}
    )
    client.force_login(bob)
    body = client.get(f"/api/v1/operators/{operator.public_id}/").json()
    # multiplier 1 + (2 - 1) x (90 - 45) / 90 = 1.5; bond 8 + 1 x 1 x 1.5 = 9.5
    assert body["bond"]["bond_eth"] == "9.5000" and body["validator_count"] == 1
    assert body["bond"]["explanation"][-1] == "Bond = 8 + 1 x 1 x 1.5000 = 9.5000 ETH."
    assert [p["score"] for p in body["performance"]] == ["45.00"]


def test_the_rewards_api_refuses_a_reversed_range_naming_the_field(client, alice, approved):
    operator, _ = approved
    client.force_login(alice)
    response = client.get(f"/api/v1/operators/{operator.public_id}/rewards/?epoch_from=9&epoch_to=1")
    assert response.status_code == 400 and "epoch_to" in response.json()
    ok = client.get(f"/api/v1/operators/{operator.public_id}/rewards/?epoch_from=0&epoch_to=9&total_eth=2").json()
    assert ok["terms"]["T"] == "2.000000000 ETH" and ok["reward_eth"] == "0.000000000"


def test_an_allocation_request_without_a_sensible_count_is_refused(client, reviewer):
    client.force_login(reviewer)
    response = client.get("/api/v1/operators/allocation/?validators=0")
    assert response.status_code == 400 and "validators" in response.json()
    page = client.get(reverse("operators_staff_allocation") + "?validators=abc")
    assert page.status_code == 200 and "Enter a whole number" in page.content.decode()
