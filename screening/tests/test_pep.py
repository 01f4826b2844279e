"""PEP screening: OpenSanctions exports (FollowTheMoney and Senzing JSON) imported as one list version with
topics and positions, PEP hits kept apart from sanctions hits, bad files refused naming the line or field, the
real US Congress sample read from ../shared/data/pep/, and yente's PEP answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from screening import importers
from screening.base import Subject
from screening.models import ListEntity, ListSource, ListVersion, Outcome
from screening.providers.embedded import EmbeddedProvider
from screening.services import check_run_now, list_import
from screening.tests.conftest import FIXTURES, Recorded, Reply, VendorServer, shared_data
from screening.tests.test_providers import yente  # noqa: F401 - the yente fixture, reused

PEP = ListSource.OPENSANCTIONS_PEP
FTM = FIXTURES / "pep_synthetic_ftm.jsonl"
SENZING = FIXTURES / "pep_synthetic_senzing.jsonl"


def _import(path: Path) -> ListVersion:
    return list_import(source=PEP, files={"file": path}, monitor=False).version


def test_a_followthemoney_export_is_imported_with_positions_and_relatives_marked(db: Any) -> None:
    version = _import(FTM)
    entities = {e.entity_id: e for e in ListEntity.objects.filter(version=version)}
    # Positions, Occupancies and Family/Associate links are folded into the people; only people are listed.
    assert sorted(entities) == ["OS:syn-pep-minister", "OS:syn-rca-partner", "OS:syn-rca-spouse"]
    minister = entities["OS:syn-pep-minister"]
    assert minister.data["category"] == "pep" and minister.data["topics"] == ["role.pep"]
    assert minister.data["positions"] == ["Minister of Synthetic Affairs", "Governor of the Synthetic Central Bank"]
    assert minister.aliases == ["Aurelio van der Meer"]
    spouse, partner = entities["OS:syn-rca-spouse"], entities["OS:syn-rca-partner"]
    assert (spouse.data["category"], spouse.data["relation"]) == ("rca", "family")
    assert spouse.data["linked_to"] == ["Aurelio Vandermeer (spouse)"]
    assert (partner.data["relation"], partner.data["linked_to"]) == (
        "associate",
        ["Aurelio Vandermeer (business partner)"],
    )
    assert version.counts["entities"] == 3 and version.diff["added"] == sorted(entities)


def test_a_senzing_export_is_imported_with_positions_and_invisible_characters_stripped(db: Any) -> None:
    version = _import(SENZING)
    entities = {e.entity_id: e for e in ListEntity.objects.filter(version=version)}
    assert sorted(entities) == ["OS:syn-sz-rep", "OS:syn-sz-senator"]
    senator = entities["OS:syn-sz-senator"]
    assert senator.name == "Philippa Ostrander-Kew" and senator.aliases == ["Pippa Ostrander"]
    assert senator.data["positions"] == ["Synthetic state senator"] and senator.birth_dates == ["1958"]
    # A publisher's zero-width space is dropped: the stored, shown and screened name is the same string.
    assert entities["OS:syn-sz-rep"].name == "Desmond Haleworth"


def test_a_pep_hit_is_a_pep_hit_with_its_position_not_a_sanctions_match(db: Any, lists_imported: None) -> None:
    _import(FTM)
    check = check_run_now(kind="name", subject_ref="p-1", subject={"name": "Aurelio Vandermeer"})
    hit = check.hits.get()
    assert (hit.entity_id, hit.list_name, hit.category) == ("OS:syn-pep-minister", PEP, "pep")
    assert "PEP: Minister of Synthetic Affairs" in hit.explanation
    spouse = check_run_now(kind="name", subject_ref="p-2", subject={"name": "Marguerite Vandermeer Olsen"})
    assert spouse.hits.get().category == "rca" and "family member of a PEP" in spouse.hits.get().explanation
    sanctioned = check_run_now(kind="name", subject_ref="p-3", subject={"name": "Kirill Shamalov"})
    assert {h.category for h in sanctioned.hits.all()} == {"sanction"}


def test_a_pep_list_update_shows_its_diff_and_monitoring_sees_the_new_pep(db: Any, tmp_path: Path) -> None:
    first = _import(SENZING)
    lines = SENZING.read_text().splitlines()
    added = json.loads(lines[0]) | {
        "RECORD_ID": "syn-sz-new",
        "NAMES": [{"NAME_TYPE": "PRIMARY", "NAME_FULL": "Ottoline Brackwater"}],
    }
    update = tmp_path / "peps.jsonl"
    update.write_text("\n".join([*lines, json.dumps(added)]) + "\n")
    second = _import(update)
    first.refresh_from_db()
    assert second.number == first.number + 1 and second.is_active and not first.is_active
    assert second.diff["added"] == ["OS:syn-sz-new"] and second.diff["removed"] == []
    found = EmbeddedProvider().screen_name(
        Subject(name="Ottoline Brackwater"), entity_filter=frozenset(second.diff["added"])
    )
    assert [h.entity_id for h in found.hits] == ["OS:syn-sz-new"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("entity_id,name\nX,Nancy\n", "line 1: not JSON"),
        ('[{"id": "a"}]', "a JSON array; OpenSanctions exports are JSON lines"),
        ('{"foo": 1}\n', "line 1: neither a FollowTheMoney entity (id, schema, properties) nor a Senzing record"),
        (
            '{"id": "a", "schema": "Person", "properties": {"name": "Nancy"}}\n',
            "line 1: properties.name must be a list",
        ),
        (
            '{"id": "a", "schema": "Person", "properties": {"name": ["A B"]}}\n{"id": "b", "schema": "Person"',
            "line 2: not JSON",
        ),
        ('{"RECORD_ID": "a", "RECORD_TYPE": "PERSON", "NAMES": "Nancy"}\n', "line 1: NAMES must be a list of objects"),
        ('{"RECORD_ID": "", "NAMES": []}\n', "line 1: field RECORD_ID must be a non-empty string"),
    ],
)
def test_a_pep_file_of_the_wrong_format_is_refused_naming_the_line_and_field_and_the_active_list_stays(
    db: Any, tmp_path: Path, content: str, message: str
) -> None:
    active = _import(FTM)
    bad = tmp_path / "peps.jsonl"
    bad.write_text(content)
    with pytest.raises(importers.ListFormatError) as error:
        _import(bad)
    assert message in str(error.value) and "peps.jsonl" in str(error.value)
    assert list(ListVersion.objects.filter(source=PEP, is_active=True)) == [active]


def test_the_pep_import_command_refuses_a_bad_file_with_the_reason(db: Any, tmp_path: Path) -> None:
    from django.core.management import CommandError, call_command

    bad = tmp_path / "peps.jsonl"
    bad.write_text("not json at all\n")
    with pytest.raises(CommandError, match=r"active version is unchanged.*line 1: not JSON"):
        call_command("sanctions_import", "--no-monitoring", "os-pep", str(bad))


@pytest.fixture
def congress() -> Path:
    path = shared_data() / "pep" / "opensanctions_us_congress_senzing.jsonl"
    if not path.is_file():
        pytest.skip(f"the OpenSanctions PEP sample is not present at {path} (CC BY-NC: read, never shipped)")
    return path


def test_nancy_pelosi_comes_back_as_a_pep_hit_when_the_pep_sample_is_loaded(db: Any, congress: Path) -> None:
    version = _import(congress)
    assert version.counts["entities"] == 1317  # the 1,319 records less the two position records
    pelosi = ListEntity.objects.get(version=version, entity_id="OS:Q170581")
    assert pelosi.data["positions"] == ["United States representative"] and pelosi.data["category"] == "pep"
    check = check_run_now(kind="name", subject_ref="p-9", subject={"name": "Nancy Pelosi", "birth_date": "1940"})
    assert check.outcome == Outcome.MATCH
    hit = check.hits.get(entity_id="OS:Q170581")
    assert hit.category == "pep" and "PEP: United States representative" in hit.explanation


def _yente_pep(req: Recorded) -> Reply:
    query = req.json()["queries"]["subject"]
    result = {
        "id": "Q170581",
        "caption": "Nancy\u200b Pelosi",
        "schema": "Person",
        "score": 0.95,
        "match": True,
        "datasets": ["us_congress"],
        "properties": {"name": ["Nancy Pelosi"], "topics": ["role.pep"]},
        "features": {"name_literal_match": 1.0},
    }
    body = {"responses": {"subject": {"status": 200, "results": [result], "total": {"value": 1}, "query": query}}}
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


def test_yente_sends_every_name_and_its_pep_answers_are_pep_hits(db: Any, yente: VendorServer) -> None:  # noqa: F811
    yente.on("POST", "/match/sanctions", _yente_pep)
    check = check_run_now(
        kind="name", subject_ref="p-4", subject={"name": "Nancy Pelosi", "aliases": ["Nancy D'Alesandro"]}
    )
    hit = check.hits.get()
    assert (hit.category, hit.matched_name) == ("pep", "Nancy Pelosi")
    assert yente.requests[0].json()["queries"]["subject"]["properties"]["name"] == ["Nancy Pelosi", "Nancy D'Alesandro"]
