"""Score, bond and rewards against worked examples: each number below is worked out by hand in the comment."""

from __future__ import annotations

from decimal import Decimal

import pytest

from operators.bond import BondParameters, compute_bond
from operators.diversity import distribution, hhi, nakamoto
from operators.performance import PerformanceInputs, compute_score
from operators.rewards import compute_rewards
from operators.selectors import rewards_report
from operators.tests.factories import OperatorFactory, ValidatorFactory


def inputs(**kw):
    base = {
        "attestation_rewards_gwei": 20_000,
        "ideal_rewards_gwei": 20_000,
        "proposer_duties": 0,
        "blocks_proposed": 0,
        "epochs_active": 2,
        "epochs_attested": 2,
        "exits_due": 0,
        "exits_on_time": 0,
        "slashings": 0,
    }
    return PerformanceInputs(**(base | kw))


def test_a_flawless_operator_scores_100():
    assert compute_score(inputs()).score == Decimal("100.00")


def test_a_new_operator_without_history_is_not_punished_and_says_so():
    result = compute_score(inputs(epochs_active=0, epochs_attested=0, ideal_rewards_gwei=0, attestation_rewards_gwei=0))
    assert result.score == Decimal("100.00") and result.has_record is False


def test_the_worked_example_of_formula_v1():
    # effectiveness 18000/20000 = 0.9; proposals 3/4 = 0.75; uptime 95/100 = 0.95; exits 1/2 = 0.5
    # 100 x (0.5 x 0.9 + 0.15 x 0.75 + 0.25 x 0.95 + 0.1 x 0.5) = 100 x 0.85 = 85.00
    result = compute_score(
        inputs(
            attestation_rewards_gwei=18_000,
            proposer_duties=4,
            blocks_proposed=3,
            epochs_active=100,
            epochs_attested=95,
            exits_due=2,
            exits_on_time=1,
        )
    )
    assert result.score == Decimal("85.00")
    assert result.formula_version == "v1"
    assert (result.attestation_effectiveness, result.uptime) == (Decimal("0.9000"), Decimal("0.9500"))


def test_each_slashing_costs_25_points_and_the_score_never_goes_below_zero():
    assert compute_score(inputs(slashings=1)).score == Decimal("75.00")
    assert compute_score(inputs(slashings=5)).score == Decimal("0.00")


def test_net_negative_attestation_rewards_count_as_zero_effectiveness():
    # 100 x (0 + 0.15 + 0.25 + 0.1) = 50
    assert compute_score(inputs(attestation_rewards_gwei=-5_000)).score == Decimal("50.00")


PARAMS = BondParameters(Decimal(8), Decimal(1), Decimal(2), Decimal(90))


def test_the_bond_of_a_well_performing_operator_has_no_surcharge():
    # 8 + 1 x 10 x 1 = 18
    bond = compute_bond(category="professional", validators=10, score=Decimal("95"), parameters=PARAMS)
    assert bond.multiplier == Decimal(1) and bond.bond_eth == Decimal("18.0000")


def test_a_lower_score_raises_the_bond_linearly_and_the_explanation_shows_the_sum():
    # multiplier 1 + (2 - 1) x (90 - 45) / 90 = 1.5; bond 8 + 1 x 10 x 1.5 = 23
    bond = compute_bond(category="professional", validators=10, score=Decimal("45"), parameters=PARAMS)
    assert bond.multiplier == Decimal("1.5000") and bond.bond_eth == Decimal("23.0000")
    assert bond.explanation()[-1] == "Bond = 8 + 1 x 10 x 1.5000 = 23.0000 ETH."


def test_the_bond_uses_the_configured_parameters_of_the_node_type(settings):
    settings.OPERATORS_BOND_BASE_ETH = {**settings.OPERATORS_BOND_BASE_ETH, "solo_home": "2"}
    settings.OPERATORS_BOND_PER_VALIDATOR_ETH = {**settings.OPERATORS_BOND_PER_VALIDATOR_ETH, "solo_home": "2.4"}
    # score 0: multiplier 2; bond 2 + 2.4 x 4 x 2 = 21.2
    bond = compute_bond(category="solo_home", validators=4, score=Decimal(0))
    assert bond.bond_eth == Decimal("21.2000")


def test_the_rewards_worked_example():
    # R = 10 x 0.9 x 900 / 10000 - 0.05 + 0.1 = 0.81 - 0.05 + 0.1 = 0.86
    report = compute_rewards(
        epoch_from=0,
        epoch_to=9,
        total_eth=Decimal(10),
        factor=Decimal("0.9"),
        operator_attestations=900,
        all_attestations=10_000,
        penalties_eth=Decimal("0.05"),
        adjustments_eth=Decimal("0.1"),
    )
    assert report.reward_eth == Decimal("0.860000000")
    assert [t[0] for t in report.terms()] == ["T", "F", "N", "A", "P", "O"]


@pytest.mark.django_db
def test_the_rewards_report_takes_its_terms_from_the_imported_history(settings):
    from operators.models import RewardAdjustment, ValidatorEpoch

    settings.OPERATORS_REWARD_FACTORS = {**settings.OPERATORS_REWARD_FACTORS, "professional": "0.9"}
    mine, theirs = OperatorFactory(category="professional"), OperatorFactory(category="solo_home")
    v_mine, v_theirs = ValidatorFactory(operator=mine), ValidatorFactory(operator=theirs)
    for epoch in range(10, 14):
        # Mine: attests in 3 of 4 epochs (+9000 gwei each), and loses 3000 gwei in the missed one.
        missed = epoch == 13
        ValidatorEpoch.objects.create(
            validator=v_mine,
            epoch=epoch,
            status="active_ongoing",
            balance_gwei=1,
            effective_balance_gwei=1,
            head_reward=0 if missed else 3000,
            target_reward=-1500 if missed else 3000,
            source_reward=-1500 if missed else 3000,
            ideal_reward=9000,
        )
        ValidatorEpoch.objects.create(
            validator=v_theirs,
            epoch=epoch,
            status="active_ongoing",
            balance_gwei=1,
            effective_balance_gwei=1,
            head_reward=3000,
            target_reward=3000,
            source_reward=3000,
            ideal_reward=9000,
        )
    RewardAdjustment.objects.create(operator=mine, epoch=11, amount_eth=Decimal("0.000001"), reason="MEV share")
    report = rewards_report(operator=mine, epoch_from=10, epoch_to=13)
    # T = 7 x 9000 gwei = 0.000063 ETH; N = 3; A = 7; P = 3000 gwei; O = 0.000001
    # R = 0.000063 x 0.9 x 3 / 7 - 0.000003 + 0.000001 = 0.0000243 - 0.000002 = 0.0000223
    assert (report.total_eth, report.operator_attestations, report.all_attestations) == (Decimal("0.000063000"), 3, 7)
    assert report.penalties_eth == Decimal("0.000003000")
    assert report.reward_eth == Decimal("0.000022300")


def test_hhi_and_nakamoto_on_a_known_distribution():
    counts = {"Lighthouse": 50, "Prysm": 30, "Teku": 20}
    # 50^2 + 30^2 + 20^2 = 3800; the largest alone exceeds one third
    assert hhi(counts) == Decimal("3800.00") and nakamoto(counts) == 1
    assert nakamoto({"a": 30, "b": 30, "c": 20, "d": 20}) == 2


def test_a_client_at_one_third_raises_a_warning_and_one_below_does_not():
    warned = distribution("consensus_client", {"Lighthouse": 1, "Prysm": 1, "Teku": 1})
    assert len(warned.warnings) == 3 and "33.3%" in warned.warnings[0]
    calm = distribution("consensus_client", {"A": 32, "B": 34, "C": 34, "D": 0})
    assert [w.split(" ")[0] for w in calm.warnings] == ["B", "C"]
    assert distribution("country", {"DE": 90, "FR": 10}).warnings == []
