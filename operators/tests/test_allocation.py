from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from operators.allocation import Candidate, allocate, proportional_split
from operators.tests.factories import OperatorFactory, ValidatorFactory

MIN = Decimal(70)


def cand(
    key, *, cl="lighthouse", el="geth", country="DE", hosting="AWS", current=10, cap=100, score="90", approved=True
):
    return Candidate(
        key=key,
        name=key,
        current=current,
        cap=cap,
        score=Decimal(score),
        approved=approved,
        attributes={"consensus_client": cl, "execution_client": el, "country": country, "hosting": hosting},
    )


candidates_strategy = st.lists(
    st.builds(
        lambda i, cl, el, country, hosting, current, room, score, approved: cand(
            f"op{i}",
            cl=cl,
            el=el,
            country=country,
            hosting=hosting,
            current=current,
            cap=max(0, current + room),
            score=str(score),
            approved=approved,
        ),
        i=st.integers(0, 10_000),
        cl=st.sampled_from(["lighthouse", "prysm", "teku", "nimbus"]),
        el=st.sampled_from(["geth", "nethermind", "besu"]),
        country=st.sampled_from(["DE", "US", "JP", "PT"]),
        hosting=st.sampled_from(["AWS", "Hetzner", "home"]),
        current=st.integers(0, 60),
        room=st.integers(-5, 40),
        score=st.integers(40, 100),
        approved=st.booleans(),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda c: c.key,
)


@settings(max_examples=150, deadline=None)
@given(candidates=candidates_strategy, n=st.integers(1, 120))
def test_allocation_respects_caps_eligibility_and_beats_a_proportional_split(candidates, n):
    result = allocate(candidates, n, min_score=MIN)
    free = 0
    for row in result.rows:
        c = row.candidate
        eligible = c.approved and c.score >= MIN and c.current < c.cap
        assert row.eligible == eligible
        if not eligible:
            assert row.allocated == 0
        else:
            free += c.cap - c.current
            assert c.current + row.allocated <= c.cap
    assert result.allocated == min(n, free)
    assert result.objective_after <= result.proportional_objective_after


@settings(max_examples=50, deadline=None)
@given(candidates=candidates_strategy, n=st.integers(1, 60), seed=st.integers(0, 1000))
def test_allocation_is_deterministic_whatever_the_input_order(candidates, n, seed):
    shuffled = list(candidates)
    random.Random(seed).shuffle(shuffled)
    a, b = allocate(candidates, n, min_score=MIN), allocate(shuffled, n, min_score=MIN)
    assert [(r.candidate.key, r.allocated) for r in a.rows] == [(r.candidate.key, r.allocated) for r in b.rows]


def test_new_validators_go_to_minority_clients_countries_and_hosting():
    majority = cand("big", cl="prysm", el="geth", country="US", hosting="AWS", current=80)
    minority = cand("small", cl="nimbus", el="besu", country="PT", hosting="home", current=5, cap=20)
    result = allocate([majority, minority], 30, min_score=MIN)
    given = {r.candidate.key: r.allocated for r in result.rows}
    # The minority operator is filled to its cap (15 free) before the majority one gets any.
    assert given == {"big": 15, "small": 15}
    assert result.objective_after < result.proportional_objective_after
    assert result.after["consensus_client"] < result.before["consensus_client"]


def test_an_operator_below_the_minimum_score_gets_nothing_and_is_told_why():
    result = allocate([cand("weak", score="60"), cand("ok")], 5, min_score=MIN)
    weak = next(r for r in result.rows if r.candidate.key == "weak")
    assert weak.allocated == 0 and weak.reasons == ["score 60 below the minimum 70"]


def test_the_proportional_split_follows_free_capacity():
    split = proportional_split([cand("a", current=0, cap=30), cand("b", current=0, cap=10)], 8)
    assert split == {"a": 6, "b": 2}


@pytest.mark.django_db
def test_the_allocate_command_prints_the_plan_and_a_json_summary_last(capsys):
    a = OperatorFactory(status="approved", name="Alpha", consensus_client="prysm")
    b = OperatorFactory(status="approved", name="Beta", consensus_client="nimbus", country="PT")
    for _ in range(3):
        ValidatorFactory(operator=a)
    call_command("allocate", "--validators", "4")
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["validators_allocated"] == 4
    assert Decimal(summary["sum_hhi_after"]) < Decimal(summary["sum_hhi_before"])
    # Beta (Nimbus, Portugal) takes three; at 3 and 3 the tie goes to the name order, so Alpha gets the fourth.
    assert any(line.strip().startswith("Beta") and "+3 " in line for line in lines)
    assert any(line.strip().startswith("Alpha") and "+1 " in line for line in lines)
    assert b.country == "PT"
