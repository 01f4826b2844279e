"""Operator addresses are screened like any wallet: one lookup on the sanctions lists' address index.

`screening` takes plain data and returns findings; deciding what a finding means for an operator (a blocker for
approval, an address held back from the whitelist) is this app's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from screening.models import ListSource
from screening.selectors import AddressFinding, wallet_lookup


def _source_label(source: str) -> str:
    try:
        return str(ListSource(source).label)
    except ValueError:
        return source


def describe(finding: AddressFinding | dict[str, Any]) -> str:
    """'OFAC SDN entry OFAC:12345 (LAZARUS GROUP)': the list and entry a person can look up."""
    data = finding if isinstance(finding, dict) else finding.__dict__
    name = f" ({data['entity_name']})" if data.get("entity_name") else ""
    entry = data.get("entity_id") or data.get("as_published") or data["address"]
    return f"{_source_label(data['source'])} entry {entry}{name}"


@dataclass(frozen=True)
class AddressScreening:
    address: str
    findings: list[AddressFinding]

    @property
    def current(self) -> list[AddressFinding]:
        """Listings in force; delisted history is recorded but does not block."""
        return [f for f in self.findings if not f.history]

    @property
    def sanctioned(self) -> bool:
        return bool(self.current)

    def findings_json(self) -> list[dict[str, Any]]:
        return [
            {
                "source": f.source,
                "entity_id": f.entity_id,
                "entity_name": f.entity_name,
                "as_published": f.as_published,
                "history": f.history,
                "address": f.address,
            }
            for f in self.findings
        ]

    def reason(self) -> str:
        entries = "; ".join(describe(f) for f in self.current)
        return f"{self.address} is on a sanctions list: {entries}."


def address_screen(address: str) -> AddressScreening:
    return AddressScreening(address=address, findings=wallet_lookup(address))
