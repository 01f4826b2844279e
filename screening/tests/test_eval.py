"""`screening_eval search --details FILE.jsonl`: per query, the hits with entity id, schema, score and every name
of the entity, so an outsider can see why a row counted."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command


def test_search_details_write_every_hit_with_its_entity_names(lists_imported: None, tmp_path: Path) -> None:
    queries = tmp_path / "queries.csv"
    queries.write_text(
        "query_name,query_dob,expected_entity_id\n"
        "Kirill Shamalov,1982,OFAC:24184\nAda Lovelace,1815,\nEric Badege,,UN:CDi.001\n"
    )
    details = tmp_path / "details.jsonl"
    out = StringIO()
    call_command("screening_eval", "search", str(queries), "--details", str(details), stdout=out)
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["recall"] == 1.0 and summary["false_positive_rate"] == 0.0
    lines = [json.loads(line) for line in details.read_text().splitlines()]
    assert [(line["query_name"], line["counted"]) for line in lines] == [
        ("Kirill Shamalov", "found"),
        ("Ada Lovelace", "clear"),
        ("Eric Badege", "found"),
    ]
    hit = lines[0]["hits"][0]
    assert (hit["entity_id"], hit["schema"], hit["list"]) == ("OFAC:24184", "Person", "ofac")
    assert hit["names"][0] == "SHAMALOV, Kirill Nikolaevich" and 0.75 <= hit["score"] <= 1.0
    assert lines[2]["hits"][0]["names"][0] == "ERIC BADEGE" and lines[1]["hits"] == []


def test_search_details_into_a_missing_folder_is_refused(lists_imported: None, tmp_path: Path) -> None:
    queries = tmp_path / "queries.csv"
    queries.write_text("query_name\nAda\n")
    with pytest.raises(CommandError, match="--details: the folder"):
        call_command("screening_eval", "search", str(queries), "--details", str(tmp_path / "no" / "d.jsonl"))
