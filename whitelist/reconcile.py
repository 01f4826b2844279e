"""Reconciliation: the contract against what the database says should be true.

The chain side: every Whitelisted/Removed event from the deployment block (in chunks of
WHITELIST_LOG_CHUNK_BLOCKS) names every address the contract has ever touched; their current entries are then
read at one pinned block with the contract's `validUntilMany` (thousands per eth_call, no Multicall3 needed),
so a missed or reorged log cannot hide a difference. The database side: per address the latest change that
is not superseded or failed. Addresses with a change still in flight are left out: that is pending, not drift.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db.models import Q

from whitelist.chain import Chain
from whitelist.models import Batch, Change, Deployment, Reconciliation

DRIFT_KINDS = {
    "on_chain_not_approved": "On chain but not approved",
    "approved_missing": "Approved but missing on chain",
    "expiry_differs": "Expiry differs",
}


def expected_state(list_key: str) -> tuple[dict[str, int], set[str]]:
    """(address -> expected valid-until, 0 for "must not be listed"; addresses with a change in flight)."""
    expected: dict[str, int] = {}
    inflight: set[str] = set()
    final_batch = [Batch.Status.CONFIRMED, Batch.Status.FAILED, Batch.Status.CANCELLED]
    rows = (
        Change.objects.filter(list_key=list_key)
        .filter(
            Q(status__in=[Change.Status.CONFIRMED, Change.Status.SKIPPED, Change.Status.PENDING])
            | Q(status=Change.Status.BATCHED)
        )
        .order_by("id")
        .values_list("address", "action", "valid_until", "status", "batch__status")
    )
    for address, action, valid_until, status, batch_status in rows.iterator(chunk_size=5000):
        if status == Change.Status.PENDING or (status == Change.Status.BATCHED and batch_status not in final_batch):
            inflight.add(address)
            continue
        inflight.discard(address)
        expected[address] = int(valid_until.timestamp()) if action == Change.Action.ADD and valid_until else 0
    return expected, inflight


def whitelist_reconcile(*, chain: Chain, deployment: Deployment, block: int | None = None) -> Reconciliation:
    """Compare and store a drift report. Reads only; healing is `services.whitelist_drift_heal`."""
    started = time.monotonic()
    pinned = chain.block_number() if block is None else block
    contract = chain.whitelist(deployment.address)
    touched: set[str] = set()
    events = 0
    for event in contract.events(deployment.block_number, pinned, chunk_blocks=settings.WHITELIST_LOG_CHUNK_BLOCKS):
        touched.add(event.account)
        events += 1
    expected, inflight = expected_state(deployment.list_key)
    addresses = sorted((touched | set(expected)) - inflight)
    actual = dict(zip(addresses, contract.valid_until_many(addresses, pinned), strict=True))
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
