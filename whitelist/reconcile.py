"""Reconciliation: the contract against what the database says should be true.

The chain side: every Whitelisted/Removed event from the deployment block (in chunks of
WHITELIST_LOG_CHUNK_BLOCKS) names every address the contract has ever touched; their current entries are then
read at one pinned block with the contract's `validUntilMany` (thousands per eth_call, no Multicall3 needed),
so a missed or reorged log cannot hide a difference. The database side: the derived target of each address
(`Target`). Addresses with a change still in flight are left out: that is pending, not drift.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db.models import Q

from whitelist.chain import Chain
from whitelist.models import Batch, Change, Deployment, Reconciliation, Target

DRIFT_KINDS = {
    "on_chain_not_approved": "On chain but not approved",
    "approved_missing": "Approved but missing on chain",
    "expiry_differs": "Expiry differs",
}


def expected_state(list_key: str) -> tuple[dict[str, int], set[str]]:
    """(address -> expected valid-until, 0 for "must not be listed"; addresses with a change in flight).

    The expectation is the derived target (`whitelist.models.Target`), not the outbox's latest change: a change
    that should never have been made (a renewed customer's wallet removed when the old approval ended) is drift.
    """
    expected = {
        address: int(valid_until.timestamp()) if valid_until else 0
        for address, valid_until in Target.objects.filter(list_key=list_key)
        .values_list("address", "valid_until")
        .iterator(chunk_size=5000)
    }
    final_batch = [Batch.Status.CONFIRMED, Batch.Status.FAILED, Batch.Status.CANCELLED]
    inflight = set(
        Change.objects.filter(list_key=list_key)
        .filter(Q(status=Change.Status.PENDING) | (Q(status=Change.Status.BATCHED) & ~Q(batch__status__in=final_batch)))
        .values_list("address", flat=True)
    )
    return expected, inflight


def touched_addresses(*, chain: Chain, deployment: Deployment, block: int) -> tuple[set[str], int]:
    """Every address the contract's events name from its deployment to `block`, and how many events were read."""
    touched: set[str] = set()
    events = 0
    contract = chain.whitelist(deployment.address)
    for event in contract.events(deployment.block_number, block, chunk_blocks=settings.WHITELIST_LOG_CHUNK_BLOCKS):
        touched.add(event.account)
        events += 1
    return touched, events


def chain_listed(*, chain: Chain, deployment: Deployment, block: int, also: set[str] | None = None) -> dict[str, int]:
    """The entries in force on chain at `block`: address -> valid-until (seconds), for every address the events
    name (plus `also`) whose entry has not run out by the block's time."""
    touched, _ = touched_addresses(chain=chain, deployment=deployment, block=block)
    addresses = sorted(touched | (also or set()))
    _, _, block_time = chain.block(block)
    values = chain.whitelist(deployment.address).valid_until_many(addresses, block)
    return {a: v for a, v in zip(addresses, values, strict=True) if v > block_time}


def whitelist_reconcile(*, chain: Chain, deployment: Deployment, block: int | None = None) -> Reconciliation:
    """Compare and store a drift report. Reads only; healing is `services.whitelist_drift_heal`."""
    started = time.monotonic()
    pinned = chain.block_number() if block is None else block
    touched, events = touched_addresses(chain=chain, deployment=deployment, block=pinned)
    expected, inflight = expected_state(deployment.list_key)
    addresses = sorted((touched | set(expected)) - inflight)
    actual = dict(zip(addresses, chain.whitelist(deployment.address).valid_until_many(addresses, pinned), strict=True))
    _, _, pinned_time = chain.block(pinned)
    drift: list[dict[str, object]] = []
    for address in addresses:
        want, have = expected.get(address, 0), actual[address]
        if want == have or (want <= pinned_time and have <= pinned_time):
            continue  # equal, or both mean "not listed" (absent or expired): no one is let in wrongly
        if want == 0:
            kind = "on_chain_not_approved"
        elif have == 0:
            kind = "approved_missing"
        else:
            kind = "expiry_differs"
        drift.append({"address": address, "kind": kind, "expected": want, "actual": have})
    return Reconciliation.objects.create(
        list_key=deployment.list_key,
        deployment=deployment,
        block_number=pinned,
        addresses_checked=len(addresses),
        events_read=events,
        seconds=round(time.monotonic() - started, 3),
        drift=drift,
    )
