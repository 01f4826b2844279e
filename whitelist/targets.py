"""Where the whitelist target comes from: sources registered by the apps that decide who is approved.

The whitelist knows no case. Each deciding app registers, per list, a source that answers for a set of addresses
which of them it proves right now (an approved, in-date case) and until when, and can name every address it might
prove (for a full refresh). The target of an address is listed while at least one source proves it, until the
latest `valid_until` any of them gives; otherwise not listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    """One source's proof for an address: listed until `valid_until`, because of `reference`."""

    valid_until: dt.datetime
    reference: str


@dataclass(frozen=True)
class Source:
    # (EIP-55 addresses, now) -> {address: the source's best claim}; addresses it does not prove are left out.
    claims: Callable[[list[str], dt.datetime], dict[str, Claim]]
    # Every address the source might prove (in chunks is fine): a full refresh starts from these.
    candidates: Callable[[], Iterator[str]]


_SOURCES: dict[str, list[Source]] = {}


def target_source_register(list_key: str, source: Source) -> None:
    """Register a source for `list_key` (from an AppConfig.ready; registering the same source twice is a no-op)."""
    sources = _SOURCES.setdefault(list_key, [])
    if source not in sources:
        sources.append(source)


def target_candidates(list_key: str) -> Iterator[str]:
    for source in _SOURCES.get(list_key, []):
        yield from source.candidates()


def targets_derive(*, list_key: str, addresses: Iterable[str], now: dt.datetime) -> dict[str, Claim | None]:
    """The target of each address on the list: the claim with the latest expiry, or None (not listed)."""
    wanted = sorted(set(addresses))
    best: dict[str, Claim | None] = dict.fromkeys(wanted)
    for source in _SOURCES.get(list_key, []):
        for address, claim in source.claims(wanted, now).items():
            if claim.valid_until <= now or address not in best:
                continue
            current = best[address]
            if current is None or claim.valid_until > current.valid_until:
                best[address] = claim
    return best
