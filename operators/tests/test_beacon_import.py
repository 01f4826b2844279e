from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from operators.beacon import BeaconClient
from operators.beacon_import import beacon_import_epoch
from operators.models import ExitRequest, OperatorScore, SlashingEvent, Validator, ValidatorEpoch
from operators.tests.beacon_server import FakeBeaconNode, FakeValidator
from operators.tests.factories import OperatorFactory, ValidatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def node():
    with FakeBeaconNode() as fake:
        yield fake


@pytest.fixture
def operator_with_two_validators(node):
    operator = OperatorFactory(status="approved")
    v1, v2 = ValidatorFactory(operator=operator), ValidatorFactory(operator=operator)
    node.state.validators = [FakeValidator(index=7, pubkey=v1.pubkey), FakeValidator(index=8, pubkey=v2.pubkey)]
    return operator, v1, v2


def client(node, timeout=2.0):
    return BeaconClient(node.url, timeout=timeout)


def test_an_epoch_is_imported_with_rewards_duties_and_a_score(node, operator_with_two_validators):
    operator, v1, v2 = operator_with_two_validators
    # Validator 8 missed its attestation (negative source, no head/target) and one of its two proposals.
    node.state.validators[1].head, node.state.validators[1].target, node.state.validators[1].source = 0, 0, -2_500
    node.state.duties = [(7, 3201), (8, 3210), (8, 3220)]
    node.state.blocks = {3201: 7, 3210: 8}

    run = beacon_import_epoch(client=client(node))

    assert run.result == "ok" and run.epoch == 100 and run.validators == 2
    v1.refresh_from_db()
    assert v1.index == 7 and v1.beacon_status == "active"
    rows = {r.validator_id: r for r in ValidatorEpoch.objects.filter(epoch=100)}
    assert rows[v1.pk].head_reward == 2000 and rows[v1.pk].ideal_reward == 10_000
    assert (rows[v2.pk].proposer_duties, rows[v2.pk].blocks_proposed) == (2, 1)
    score = OperatorScore.objects.get(operator=operator)
    # effectiveness (9000 - 2500) / 20000 = 0.325; proposals 2/3; uptime 1/2; no exits due:
    # 100 x (0.5 x 0.325 + 0.15 x 0.6667 + 0.25 x 0.5 + 0.1) = 48.75
    assert score.score == Decimal("48.75")
    assert score.components["proposal_success"] == "0.6667"
    # The state is read at the last slot of the epoch.
    assert "GET /eth/v1/beacon/states/3231/validators" in node.state.requests


def test_importing_the_same_epoch_twice_keeps_one_copy(node, operator_with_two_validators):
    first = beacon_import_epoch(client=client(node))
    second = beacon_import_epoch(client=client(node))
    assert first.pk == second.pk
    assert ValidatorEpoch.objects.count() == 2


def test_a_syncing_node_is_refused_and_nothing_is_imported(node, operator_with_two_validators):
    node.state.is_syncing = True
    run = beacon_import_epoch(client=client(node))
    assert run.result == "failed"
    assert "syncing (1000 slots behind)" in run.reason
    assert ValidatorEpoch.objects.count() == 0
    assert not any("validators" in r for r in node.state.requests)


@pytest.mark.parametrize(
    ("prefix", "fault", "expected"),
    [
        ("/eth/v1/beacon/rewards/attestations", "500", "HTTP 500"),
        ("/eth/v1/beacon/states", "garbage", "not the Beacon API's JSON envelope"),
        ("/eth/v1/validator/duties", "timeout", "did not answer (ReadTimeout)"),
    ],
)
def test_a_failing_endpoint_marks_the_run_failed_with_its_reason_and_keeps_nothing(
    node, operator_with_two_validators, prefix, fault, expected
):
    node.state.faults[prefix] = fault
    run = beacon_import_epoch(client=client(node, timeout=0.5))
    assert run.result == "failed" and expected in run.reason
    assert ValidatorEpoch.objects.count() == 0
    assert Validator.objects.filter(index__isnull=False).count() == 0


def test_a_malformed_number_from_the_node_is_refused_naming_the_field(node, operator_with_two_validators):
    node.state.validators[0].balance = "32e9"
    run = beacon_import_epoch(client=client(node))
    assert run.result == "failed"
    assert "unexpected data at items.0.balance" in run.reason
    assert ValidatorEpoch.objects.count() == 0


def test_a_validator_the_node_was_not_asked_for_is_garbage(node, operator_with_two_validators):
    node.state.validators.append(FakeValidator(index=9, pubkey="0x" + "cd" * 48))
    node.state.validators[2].pubkey = node.state.validators[0].pubkey  # the same key twice
    run = beacon_import_epoch(client=client(node))
    assert run.result == "failed" and "twice" in run.reason


def test_a_slashing_and_an_exit_seen_on_chain_are_recorded(node, operator_with_two_validators):
    operator, v1, v2 = operator_with_two_validators
    request = ExitRequest.objects.create(
        operator=operator,
        validator=v2,
        kind="requested",
        reason="rebalancing",
        deadline=timezone.now() + timedelta(days=1),
    )
    node.state.validators[0].slashed, node.state.validators[0].status = True, "active_slashed"
    node.state.validators[1].status, node.state.validators[1].exit_epoch = "active_exiting", "105"
    run = beacon_import_epoch(client=client(node))
    assert run.result == "ok"
    assert SlashingEvent.objects.get().validator == v1
    request.refresh_from_db()
    assert request.status == "done" and request.on_time is True
    v2.refresh_from_db()
    assert v2.beacon_status == "exiting" and v2.exit_epoch == 105
    score = OperatorScore.objects.get(operator=operator)
    assert score.components["slashings"] == 1 and score.components["exit_timeliness"] == "1.0000"


def test_score_history_gains_a_point_per_snapshot_period_not_per_epoch(node, operator_with_two_validators, settings):
    operator, _, _ = operator_with_two_validators
    beacon_import_epoch(client=client(node), epoch=99)
    beacon_import_epoch(client=client(node), epoch=100)
    assert OperatorScore.objects.filter(operator=operator).count() == 1
    assert OperatorScore.objects.get(operator=operator).epoch_to == 100
    settings.OPERATORS_SCORE_SNAPSHOT_SECONDS = 0
    beacon_import_epoch(client=client(node), epoch=101)
    assert OperatorScore.objects.filter(operator=operator).count() == 2


def test_history_older_than_the_retention_is_pruned_after_a_catch_up(node, operator_with_two_validators, settings):
    from operators.beacon_import import beacon_import_pending

    settings.OPERATORS_HISTORY_RETENTION_EPOCHS = 1
    beacon_import_epoch(client=client(node), epoch=97)
    runs = beacon_import_pending(client=client(node))
    assert [r.epoch for r in runs] == [98, 99, 100]
    assert sorted(set(ValidatorEpoch.objects.values_list("epoch", flat=True))) == [99, 100]


def test_a_node_whose_execution_client_is_offline_is_refused(node, operator_with_two_validators):
    node.state.el_offline = True
    run = beacon_import_epoch(client=client(node))
    assert run.result == "failed" and "execution client is offline" in run.reason
    assert ValidatorEpoch.objects.count() == 0
