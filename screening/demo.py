"""Sanctions lists for the demo (`make run` through `seed_demo`): the public-domain OFAC and UN excerpts the
project ships (sources in screening/tests/fixtures/README.md), so that a demo submission is screened against
real list entries and wallet addresses without downloading the full lists. Production imports the official
files with `sanctions_import` or `sanctions_download`."""

from __future__ import annotations

from pathlib import Path

from screening.models import ListSource, ListVersion
from screening.services import list_import

EXCERPTS = Path(__file__).resolve().parent / "tests" / "fixtures"


def seed_demo_lists() -> list[str]:
    """Import each excerpt whose source has no active version yet; returns the sources imported."""
    sources: dict[str, dict[str, Path]] = {
        ListSource.OFAC: {
            "sdn": EXCERPTS / "ofac_sdn_excerpt.csv",
            "alt": EXCERPTS / "ofac_alt_excerpt.csv",
            "add": EXCERPTS / "ofac_add_excerpt.csv",
            "comments": EXCERPTS / "ofac_sdn_comments_excerpt.csv",
        },
        ListSource.UN: {"file": EXCERPTS / "un_consolidated_excerpt.xml"},
        ListSource.ADDRESS_LIST: {"file": EXCERPTS / "eth_addresses_excerpt.csv"},
    }
    imported = []
    for source, files in sources.items():
        if ListVersion.objects.filter(source=source, is_active=True).exists():
            continue
        list_import(source=source, files=files, label="demo excerpt", monitor=False)
        imported.append(str(source))
    return imported
