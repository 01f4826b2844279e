from __future__ import annotations

import csv
from typing import Any

from screening.demo import EXCERPTS, seed_demo_lists
from screening.selectors import name_index, wallet_lookup


def test_the_demo_screens_against_the_shipped_excerpts_imported_once(db: Any) -> None:
    assert sorted(seed_demo_lists()) == ["address-list", "ofac", "un"]
    assert seed_demo_lists() == []  # a second seed_demo keeps the active versions
    with (EXCERPTS / "eth_addresses_excerpt.csv").open(newline="") as handle:
        listed = next(csv.DictReader(handle))["address"]
    assert wallet_lookup(listed.upper().replace("0X", "0x"))  # a listed address is a finding in any case form
    assert len(name_index()) > 0
