"""The candidate index is built once per set of lists and shared through a file: a new process loads it instead of
reading every entity from the database, and a file from other lists or a damaged one is never used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from screening import selectors
from screening.services import list_import
from screening.tests.conftest import FIXTURES


@pytest.fixture
def index_dir(settings: Any, tmp_path: Path) -> Path:
    settings.SCREENING_INDEX_CACHE = True
    settings.SCREENING_INDEX_DIR = str(tmp_path / "index")
    return tmp_path / "index"


def test_a_new_process_loads_the_index_file_without_reading_the_entities(
    lists_imported: None, index_dir: Path, django_assert_max_num_queries: Any
) -> None:
    built = selectors.index_build()
    files = list(index_dir.glob("names-*.pickle"))
    assert built > 0 and len(files) == 1
    selectors._index_cache.clear()  # as in a fresh worker
    with django_assert_max_num_queries(2):  # the active versions and their checksums; no entity row
        index = selectors.name_index()
    assert len(index) == built
    assert [h.entity_id for h in index.search("Kirill Shamalov")][:1] == ["OFAC:24184"]


def test_a_new_list_version_gets_its_own_file_and_the_old_one_goes(lists_imported: None, index_dir: Path) -> None:
    selectors.index_build()
    first = {p.name for p in index_dir.glob("names-*.pickle")}
    list_import(source="os-pep", files={"file": FIXTURES / "pep_synthetic_senzing.jsonl"}, monitor=False)
    selectors.index_build()
    second = {p.name for p in index_dir.glob("names-*.pickle")}
    assert len(second) == 1 and second != first
    assert [h.entity_id for h in selectors.name_index().search("Philippa Ostrander-Kew")] == ["OS:syn-sz-senator"]


def test_a_damaged_index_file_is_rebuilt_not_trusted(lists_imported: None, index_dir: Path) -> None:
    selectors.index_build()
    (path,) = index_dir.glob("names-*.pickle")
    path.write_bytes(b"not a pickle")
    selectors._index_cache.clear()
    assert [h.entity_id for h in selectors.name_index().search("Kirill Shamalov")][:1] == ["OFAC:24184"]
    assert path.read_bytes() != b"not a pickle"
