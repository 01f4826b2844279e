from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from operators.deposit_data import make_deposit_entry
from operators.models import ExitRequest, Validator
from operators.services import exit_request_create, exit_requests_notify_overdue
from operators.tests.conftest import WITHDRAWAL
from operators.tests.factories import OperatorFactory, ValidatorFactory

pytestmark = pytest.mark.django_db


def object_urls(operator):
    pid = operator.public_id
    return [
        ("get", reverse("operators_detail", args=[pid])),
        ("get", reverse("operators_edit", args=[pid])),
        ("post", reverse("operators_submit", args=[pid])),
        ("post", reverse("operators_link", args=[pid])),
        ("post", reverse("operators_address_add", args=[pid])),
        ("post", reverse("operators_cluster_add", args=[pid])),
        ("get", reverse("operators_deposit_data", args=[pid])),
        ("post", reverse("operators_exit", args=[pid])),
        ("get", reverse("operators_rewards", args=[pid])),
        ("get", f"/api/v1/operators/{pid}/"),
        ("post", f"/api/v1/operators/{pid}/deposit-data/"),
        ("get", f"/api/v1/operators/{pid}/rewards/?epoch_from=0&epoch_to=1"),
    ]


def test_an_outsider_gets_404_on_every_object_url_of_another_operator(client, charlie, alice_operator):
    client.force_login(charlie)
    for method, url in object_urls(alice_operator):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url, response.status_code)


def test_a_colleague_sees_the_operator_and_the_outsider_does_not_see_it_listed(client, bob, charlie, alice_operator):
    client.force_login(bob)
    assert client.get(reverse("operators_detail", args=[alice_operator.public_id])).status_code == 200
    assert [o["name"] for o in client.get("/api/v1/operators/").json()["results"]] == ["Acme Nodes"]
    client.force_login(charlie)
    assert client.get("/api/v1/operators/").json()["results"] == []
    assert b"Acme Nodes" not in client.get(reverse("operators_list")).content


def test_staff_pages_need_the_operator_review_capability(client, alice, auditor, alice_operator):
    for user in (alice, auditor):
        client.force_login(user)
        assert client.get(reverse("operators_staff_list")).status_code == 403
        assert client.get(reverse("operators_staff_detail", args=[alice_operator.public_id])).status_code == 403
        assert client.get("/api/v1/operators/allocation/?validators=5").status_code == 403
        for name in (
            "operators_staff_transition",
            "operators_staff_checklist",
            "operators_staff_exit",
            "operators_staff_cap",
            "operators_staff_adjustment",
        ):
            assert client.post(reverse(name, args=[alice_operator.public_id])).status_code == 403


def test_list_pages_and_apis_keep_a_bounded_number_of_queries(client, alice, reviewer, django_assert_max_num_queries):
    org = alice.organisations.get()
    for i in range(12):
        op = OperatorFactory(
            organisation=org if i < 6 else None,
            user=None if i < 6 else alice,
            status="approved",
            country=["DE", "US", "PT"][i % 3],
        )
        for _ in range(3):
            ValidatorFactory(operator=op)
    client.force_login(alice)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("operators_list")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/operators/").status_code == 200
    client.logout()
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/operators/diversity/").json()
    assert body["distributions"][2]["dimension"] == "country" and body["distributions"][2]["total"] == 36
    with django_assert_max_num_queries(8):
        assert client.get(reverse("operators_diversity")).status_code == 200
    client.force_login(reviewer)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("operators_staff_list")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("operators_staff_allocation") + "?validators=10").status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/api/v1/operators/allocation/?validators=10").json()["validators_allocated"] == 10


def test_the_public_diversity_page_warns_when_a_client_reaches_one_third(client):
    big = OperatorFactory(status="approved", consensus_client="prysm")
    small = OperatorFactory(status="approved", consensus_client="nimbus", execution_client="besu")
    for _ in range(2):
        ValidatorFactory(operator=big)
    ValidatorFactory(operator=small)
    html = client.get(reverse("operators_diversity")).content.decode()
    assert "Prysm runs 66.7% of validators" in html
    assert "<svg" in html and "cdn" not in html.lower()
    body = client.get("/api/v1/operators/diversity/").json()
    cl = next(d for d in body["distributions"] if d["dimension"] == "consensus_client")
    assert cl["nakamoto_coefficient"] == 1 and cl["hhi"] == "5555.56"


def test_deposit_data_over_the_api_is_imported_or_refused_with_every_problem(client, alice, alice_operator):
    client.force_login(alice)
    url = f"/api/v1/operators/{alice_operator.public_id}/deposit-data/"
    good = make_deposit_entry(
        secret_key=5,
        withdrawal_address=WITHDRAWAL,
        amount_gwei=32_000_000_000,
        fork_version="00000000",
        network_name="mainnet",
    )
    bad = good | {"pubkey": "zz"}
    response = client.post(url, json.dumps([good, bad]), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["problems"] == ["Entry 2 (line 1), pubkey: A BLS public key must be hexadecimal (0-9, a-f)."]
    assert Validator.objects.count() == 0
    response = client.post(url, json.dumps([good]), content_type="application/json")
    assert response.status_code == 201 and response.json()["keys"] == 1


def test_a_requested_exit_is_mailed_with_its_deadline_and_an_overdue_one_once_more(
    alice, reviewer, django_capture_on_commit_callbacks
):
    operator = OperatorFactory(organisation=alice.organisations.get(), status="approved")
    validator = ValidatorFactory(operator=operator)
    with django_capture_on_commit_callbacks(execute=True):
        exit_request = exit_request_create(validator=validator, kind="requested", reason="Rebalancing", by=reviewer)
    assert exit_request.deadline - timezone.now() > timedelta(hours=71)
    assert mail.outbox[-1].to == ["alice@acme.example"] and "must exit by" in mail.outbox[-1].body
    with pytest.raises(Exception, match="already has an open exit request"):
        exit_request_create(validator=validator, kind="forced", reason="again", by=reviewer)
    ExitRequest.objects.filter(pk=exit_request.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert exit_requests_notify_overdue() == 1
    assert "Overdue exit" in mail.outbox[-1].subject
    with django_capture_on_commit_callbacks(execute=True):
        assert exit_requests_notify_overdue() == 0
