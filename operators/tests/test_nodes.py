"""Nodes: an operator's machines, validators attached to them, and diversity counted from them."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.urls import reverse

from core.exceptions import ApplicationError
from core.models import AuditEvent
from operators.models import Node, Validator
from operators.services import node_create, node_delete, validators_assign_node
from operators.tests.factories import OperatorFactory, ValidatorFactory


def _validator(operator: Any) -> Validator:
    return cast(Validator, ValidatorFactory(operator=operator))


pytestmark = pytest.mark.django_db

NODE = {
    "name": "hel-1",
    "execution_client": "nethermind",
    "execution_client_version": "1.32.0",
    "consensus_client": "teku",
    "consensus_client_version": "25.6.0",
    "hosting_type": "data_centre",
    "hosting_provider": "Hetzner",
    "country": "FI",
    "region": "Helsinki",
    "mev_relays": ["ultrasound"],
}


def _counts(body, dimension):
    dist = next(d for d in body["distributions"] if d["dimension"] == dimension)
    return {row["value"]: row["validators"] for row in dist["counts"]}


def test_diversity_counts_each_validator_by_its_node_and_falls_back_to_the_profile(client, alice):
    # The profile says Geth + Lighthouse on AWS in Germany; the machines say otherwise for three of four keys.
    operator = OperatorFactory(organisation=alice.organisations.get(), status="approved")
    helsinki = node_create(operator=operator, by=alice, fields=NODE)
    home = node_create(
        operator=operator,
        by=alice,
        fields=NODE
        | {
            "name": "porto-home",
            "execution_client": "besu",
            "consensus_client": "nimbus",
            "hosting_type": "home",
            "hosting_provider": "home",
            "country": "PT",
        },
    )
    on_helsinki = [_validator(operator) for _ in range(2)]
    on_home = _validator(operator)
    _validator(operator)  # no node: counted with the profile
    validators_assign_node(operator=operator, by=alice, node=helsinki, pubkeys=[v.pubkey for v in on_helsinki])
    validators_assign_node(operator=operator, by=alice, node=home, pubkeys=[on_home.pubkey])

    body = client.get("/api/v1/operators/diversity/").json()
    assert _counts(body, "consensus_client") == {"Teku": 2, "Nimbus": 1, "Lighthouse": 1}
    assert _counts(body, "execution_client") == {"Nethermind": 2, "Besu": 1, "Geth": 1}
    assert _counts(body, "country") == {"FI": 2, "PT": 1, "DE": 1}
    assert _counts(body, "hosting") == {"Hetzner": 2, "home": 1, "AWS": 1}
    assert _counts(body, "category") == {"Professional operator": 4}
    # Teku at 2 of 4 crosses one third: the warning comes from node data, not from the profile's Lighthouse.
    assert any(w.startswith("Teku runs 50.0%") for w in body["warnings"])


def test_the_diversity_api_keeps_its_query_budget_with_many_nodes(client, alice, django_assert_max_num_queries):
    for _ in range(5):
        operator = OperatorFactory(status="approved")
        for j in range(3):
            node = node_create(operator=operator, by=alice, fields=NODE | {"name": f"n{j}", "country": "FI"})
            v = _validator(operator)
            validators_assign_node(operator=operator, by=alice, node=node, pubkeys=[v.pubkey])
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/operators/diversity/").json()
    assert _counts(body, "country") == {"FI": 15}


def test_an_operator_records_edits_and_removes_a_node_and_moves_validators_onto_it(client, alice):
    operator = OperatorFactory(organisation=alice.organisations.get(), status="approved")
    validator = _validator(operator)
    client.force_login(alice)
    form = NODE | {"mev_relays": "ultrasound, aestus", "country": "fi"}
    response = client.post(reverse("operators_node_create", args=[operator.public_id]), form)
    assert response.status_code == 302
    node = Node.objects.get()
    assert (node.country, node.mev_relays) == ("FI", ["ultrasound", "aestus"])
    edit = reverse("operators_node_edit", args=[operator.public_id, node.public_id])
    client.post(edit, form | {"consensus_client": "lodestar", "consensus_client_version": "1.34.0"})
    node.refresh_from_db()
    assert node.consensus_client == "lodestar"
    client.post(
        reverse("operators_node_assign", args=[operator.public_id, node.public_id]), {"pubkeys": validator.pubkey}
    )
    assert Validator.objects.get().node == node
    page = client.get(reverse("operators_detail", args=[operator.public_id])).content.decode()
    assert "hel-1" in page and "Lodestar" in page

    delete = reverse("operators_node_delete", args=[operator.public_id, node.public_id])
    response = client.post(delete, follow=True)
    assert "1 validator(s) run on hel-1; move them to another node first." in response.content.decode()
    assert Node.objects.exists()
    client.post(
        reverse("operators_node_assign", args=[operator.public_id, node.public_id]),
        {"pubkeys": validator.pubkey, "detach": "1"},
    )
    client.post(delete)
    assert not Node.objects.exists() and Validator.objects.get().node is None
    assert set(AuditEvent.objects.filter(action__startswith="operator.node").values_list("action", flat=True)) == {
        "operator.node_created",
        "operator.node_updated",
        "operator.node_deleted",
    }


def test_a_cloud_node_must_name_its_provider(client, alice):
    operator = OperatorFactory(organisation=alice.organisations.get())
    client.force_login(alice)
    response = client.post(
        reverse("operators_node_create", args=[operator.public_id]), NODE | {"hosting_provider": "", "mev_relays": ""}
    )
    assert response.status_code == 200 and "Name the cloud provider" in response.content.decode()
    assert not Node.objects.exists()


def test_moving_a_key_that_is_not_the_operators_moves_nothing(alice):
    operator = OperatorFactory(organisation=alice.organisations.get(), status="approved")
    node = node_create(operator=operator, by=alice, fields=NODE)
    mine = _validator(operator)
    theirs = _validator(OperatorFactory(status="approved"))
    with pytest.raises(ApplicationError, match="is not a validator of this operator") as refused:
        validators_assign_node(operator=operator, by=alice, node=node, pubkeys=[mine.pubkey, theirs.pubkey, "0x12"])
    assert len(refused.value.extra["problems"]) == 2
    assert not Validator.objects.filter(node__isnull=False).exists()


def test_another_operators_node_cannot_be_used(alice):
    operator = OperatorFactory(organisation=alice.organisations.get(), status="approved")
    other = OperatorFactory(status="approved")
    foreign = node_create(operator=other, by=alice, fields=NODE)
    mine = _validator(operator)
    with pytest.raises(ApplicationError, match="belongs to another operator"):
        validators_assign_node(operator=operator, by=alice, node=foreign, pubkeys=[mine.pubkey])


def test_nodes_cannot_change_while_staff_review_the_operator(alice):
    operator = OperatorFactory(organisation=alice.organisations.get(), status="in_review")
    with pytest.raises(ApplicationError, match="Nodes cannot be changed while the operator is in technical review"):
        node_create(operator=operator, by=alice, fields=NODE)
    approved = OperatorFactory(organisation=alice.organisations.get(), status="approved")
    node = node_create(operator=approved, by=alice, fields=NODE)
    approved.status = "suspended"
    approved.save()
    with pytest.raises(ApplicationError, match="suspended"):
        node_delete(node=node, by=alice)


def test_an_outsider_and_staff_cannot_reach_the_node_pages_and_only_staff_read_the_api(
    client, alice, charlie, reviewer
):
    operator = OperatorFactory(organisation=alice.organisations.get(), status="approved")
    node = node_create(operator=operator, by=alice, fields=NODE)
    pid, nid = operator.public_id, node.public_id
    urls = [
        ("get", reverse("operators_node_create", args=[pid])),
        ("post", reverse("operators_node_create", args=[pid])),
        ("get", reverse("operators_node_edit", args=[pid, nid])),
        ("post", reverse("operators_node_edit", args=[pid, nid])),
        ("post", reverse("operators_node_delete", args=[pid, nid])),
        ("post", reverse("operators_node_assign", args=[pid, nid])),
    ]
    for user in (charlie, reviewer):
        client.force_login(user)
        for method, url in urls:
            assert getattr(client, method)(url).status_code == 404, (user.email, method, url)
    assert Node.objects.get().name == "hel-1"
    client.force_login(charlie)
    assert client.get(f"/api/v1/operators/{pid}/nodes/").status_code == 404
    client.force_login(reviewer)
    assert client.get(f"/api/v1/operators/{pid}/nodes/").json()[0]["name"] == "hel-1"
    client.force_login(alice)
    body = client.get(f"/api/v1/operators/{pid}/nodes/").json()
    assert body == [
        {
            "id": str(nid),
            **NODE,
            "validator_count": 0,
        }
    ]
    client.logout()
    assert client.get(f"/api/v1/operators/{pid}/nodes/").status_code in (401, 403)
    assert client.get(reverse("operators_node_edit", args=[pid, nid])).status_code == 302


def test_another_operators_node_id_under_my_operator_is_404(client, alice):
    mine = OperatorFactory(organisation=alice.organisations.get(), status="approved")
    other = OperatorFactory(status="approved")
    foreign = node_create(operator=other, by=alice, fields=NODE)
    client.force_login(alice)
    assert client.get(reverse("operators_node_edit", args=[mine.public_id, foreign.public_id])).status_code == 404
