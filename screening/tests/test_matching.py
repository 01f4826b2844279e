from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from screening.matching import (
    DEFAULT_THRESHOLD,
    Evidence,
    IndexedEntity,
    build_index,
    name_form,
    score_pair,
)


def _matches(a: str, b: str, **kwargs: Any) -> bool:
    return score_pair(a, b, **kwargs).score >= DEFAULT_THRESHOLD


def test_normalisation_ignores_case_diacritics_punctuation_order_and_honorifics() -> None:
    assert name_form("Dr. José MARÍA-López").tokens == name_form("lopez, jose maria").tokens
    assert name_form("Sheikh Ahmed Ali").tokens == name_form("AHMED ALI").tokens


def test_company_legal_forms_are_not_part_of_the_name() -> None:
    assert score_pair("SHAHED PHARM LLC", "Shahed Pharm S.A.R.L.", schema="Company").score == 1.0


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("Сергей Иванов", "Sergei IVANOV"),  # Cyrillic
        ("صدام حسين التكريتي", "SADDAM HUSSEIN AL-TIKRITI"),  # Arabic, vowels dropped by the script
        ("Mohammad Yahiya Moalla", "Mohammed Yehya Maala"),  # romanisation choices
    ],
)
def test_transliterated_names_match(query: str, listed: str) -> None:
    assert _matches(query, listed, schema="Person")


def test_reordered_and_misspelled_names_match() -> None:
    assert _matches("BARANOV, Oleg", "Oleg Baranov", schema="Person")
    assert _matches("Kirill Nikolaevich Shamalov", "SHAMALOV, Kirill Nikolaevich", schema="Person")
    assert _matches("Kiril Nikolayevich Shamalov", "SHAMALOV, Kirill Nikolaevich", schema="Person")


def test_hard_negatives_do_not_match() -> None:
    # Pairs from OpenSanctions' benchmark and the OFAC list: similar letters, different people.
    assert not _matches("Olga Barynova", "Oleg BARANOV", schema="Person")
    assert not _matches("John Atkins", "John", schema="Person")


def test_a_different_birth_year_turns_a_similar_name_into_a_non_match() -> None:
    same = score_pair(
        "SHAMALOV, Kirill Nikolaevich",
        "SHAMALOV, Yurii Nikolaevich",
        schema="Person",
        query=Evidence(dobs=("1982",)),
        candidate=Evidence(dobs=("1970",)),
    )
    assert same.score < DEFAULT_THRESHOLD
    assert "birth year differs" in same.explanation


def test_agreeing_birth_year_and_nationality_raise_the_score_and_say_so() -> None:
    plain = score_pair("Ivan Petrov", "Ivan Petrow", schema="Person")
    backed = score_pair(
        "Ivan Petrov",
        "Ivan Petrow",
        schema="Person",
        query=Evidence(dobs=("1960-02-01",), nationalities=("Russia",)),
        candidate=Evidence(dobs=("01 Feb 1960",), nationalities=("Russia",)),
    )
    assert backed.score > plain.score
    assert "birth year agrees" in backed.explanation and "nationality agrees" in backed.explanation


def test_the_candidate_index_finds_a_variant_and_not_a_stranger() -> None:
    index = build_index(
        [
            IndexedEntity("OFAC:1", "Person", ("SHAMALOV, Kirill Nikolaevich",), Evidence(dobs=("1982",)), "ofac"),
            IndexedEntity("OFAC:2", "Organization", ("LAZARUS GROUP", "HIDDEN COBRA"), Evidence(), "ofac"),
        ]
        + [IndexedEntity(f"X:{i}", "Person", (f"Person Number{i} Example",), Evidence(), "x") for i in range(300)]
    )
    hits = index.search("Kiril Shamalov", schema="Person", evidence=Evidence(dobs=("1982-03-22",)))
    assert [h.entity_id for h in hits] == ["OFAC:1"]
    assert index.search("hidden cobra", schema="Organization")[0].entity_id == "OFAC:2"
    assert index.search("Isabella Joaquin Torres", schema="Person") == []


def test_the_matcher_scores_the_shared_hard_pairs_better_than_chance(shared_dev: Path) -> None:
    with (shared_dev / "dev_curated_name_pairs.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["category"] in ("cross_script", "Phonetic Replacement", "")]
    correct = sum(
        (score_pair(r["query_name"], r["candidate_name"], schema=r["schema"]).score >= DEFAULT_THRESHOLD)
        == (r["label"] == "match")
        for r in rows
    )
    assert correct / len(rows) > 0.8


@pytest.mark.parametrize(
    ("ours", "listed"),
    [
        ("RU", "Russian Federation"),
        ("Russia", "Russian Federation"),
        ("North Korea", "Korea, North"),
        ("KP", "Democratic People's Republic of Korea"),
        ("Myanmar", "Burma"),
        ("Iran", "Iran (Islamic Republic of)"),
    ],
)
def test_nationality_agrees_however_the_publisher_spells_the_country(ours: str, listed: str) -> None:
    result = score_pair(
        "Ivan Petrov",
        "Ivan Petrov",
        schema="Person",
        query=Evidence(nationalities=(ours,)),
        candidate=Evidence(nationalities=(listed,)),
    )
    assert "nationality agrees" in result.explanation


def test_a_different_country_is_still_a_disagreement() -> None:
    result = score_pair(
        "Ivan Petrov",
        "Ivan Petrov",
        schema="Person",
        query=Evidence(nationalities=("United Kingdom",)),
        candidate=Evidence(nationalities=("Russia",)),
    )
    assert "nationality differs" in result.explanation
