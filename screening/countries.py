"""Country names as the lists and the callers write them, reduced to ISO 3166-1 alpha-2 codes, so nationality
evidence compares "RU", "Russia" and "Russian Federation" as one country. The names are in
`screening/data/country_names.csv` (source named in its header)."""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from normality import ascii_text

NAMES_CSV = Path(__file__).parent / "data" / "country_names.csv"
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_IGNORED = frozenset({"the", "of"})


def _key(text: str) -> str:
    # Token order differs between publishers ("Korea, North" / "North Korea"): compare the sorted tokens.
    tokens = _NON_ALNUM.sub(" ", (ascii_text(text) or "").lower()).split()
    return " ".join(sorted(set(tokens) - _IGNORED))


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    with NAMES_CSV.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        for row in rows:
            code = row["iso2"].strip().upper()
            table[_key(row["name"])] = code
            table[code.lower()] = code
    return table


def country_code(value: str) -> str:
    """The ISO alpha-2 code of a country name or code, or "" when the name is not known."""
    if not value or not value.strip():
        return ""
    return _table().get(_key(value), "")
