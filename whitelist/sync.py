"""The sync engine: from pending outbox changes to confirmed batches on chain.

One pass (`whitelist_sync`) does, per list:
1. plan: under a lock on the list's deployment row, take the pending changes, keep only the latest change
   per address (earlier ones are superseded, so an add followed by a remove cancels out), read the chain and
   skip what is already so, and group the rest into batches of at most WHITELIST_BATCH_SIZE whose gas
   estimate stays under the per-transaction cap (a batch too large is split in two, recursively);
2. send (key and board modes): allocate the nonce under the (chain, signer) cursor row lock, sign, store the
   raw transaction, hash, nonce and fees, commit, and only then broadcast;
3. track: find receipts; wait for confirmations (or the finalized tag); replace a stuck transaction with
   both fees +12.5 %; re-send a dropped or reorged-out transaction byte for byte; mark a reverted batch
   failed with its decoded reason and alert. Safe-mode batches are followed through the contract's events.

A node that stops answering raises ChainUnavailable out of the pass; everything done so far is committed
and the rest is picked up by the retry.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_record
from whitelist.chain import (
    AlreadySubmitted,
    Chain,
    ChainUnavailable,
    Fees,
    Reverted,
    Signer,
    bump_fee,
)
from whitelist.config import Runtime, deployment_current, deployment_problems
from whitelist.faults import fault_point
from whitelist.models import Batch, Change, Deployment, ListKey, NonceCursor, Transaction
from whitelist.services import alert, batch_transition, board_member_count

logger = logging.getLogger(__name__)

GWEI = 10**9
# Headroom over the node's estimate; the limit must still stay under the cap.
GAS_MARGIN = 1.10
MAX_PLAN = 5000


@dataclass
class SyncReport:
    superseded: int = 0
    skipped: int = 0
    batches: list[int] = field(default_factory=list)
    sent: int = 0
    confirmed: int = 0
    failed: int = 0
    replaced: int = 0
    rebroadcast: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    change_id: int
    address: str
    action: str  # "add" / "remove" / "skip" / "supersede"
    valid_until: int
    on_chain: int
    superseded_by: int | None = None
    note: str = ""


def _epoch(value: dt.datetime | None) -> int:
    return int(value.timestamp()) if value else 0


def decide(changes: list[Change], on_chain: dict[str, int], *, now: int) -> list[Decision]:
    """What to do with each pending change: the latest per address wins; the chain tells what is already so.

    Pure function: used by the planner and by the dry-run page."""
    latest: dict[str, Change] = {}
    for change in changes:  # oldest first
        latest[change.address] = change
    out: list[Decision] = []
    for change in changes:
        winner = latest[change.address]
        current = on_chain.get(change.address, 0)
        if change.pk != winner.pk:
            out.append(Decision(change.pk, change.address, "supersede", 0, current, superseded_by=winner.pk))
            continue
        want = _epoch(change.valid_until)
        if change.action == Change.Action.ADD:
            if want <= now:
                out.append(
                    Decision(change.pk, change.address, "skip", want, current, note="expired before it was sent")
                )
            elif current == want:
                out.append(Decision(change.pk, change.address, "skip", want, current, note="already so on chain"))
            else:
                out.append(Decision(change.pk, change.address, "add", want, current))
        elif current == 0:
            out.append(Decision(change.pk, change.address, "skip", 0, current, note="already absent on chain"))
        else:
            out.append(Decision(change.pk, change.address, "remove", 0, current))
    return out


def _inflight_addresses(list_key: str, addresses: list[str]) -> set[str]:
    """Addresses with a change in a batch that has not finished: a new change waits for it, or reading the
    chain now would see the state before that batch."""
    open_states = [s for s in Batch.Status.values if s not in ("confirmed", "failed", "cancelled")]
    return set(
        Change.objects.filter(
            list_key=list_key, status=Change.Status.BATCHED, batch__status__in=open_states, address__in=addresses
        ).values_list("address", flat=True)
    )


def pending_for_list(list_key: str) -> tuple[list[Change], set[str]]:
    pending = list(Change.objects.filter(list_key=list_key, status=Change.Status.PENDING).order_by("id")[:MAX_PLAN])
    inflight = _inflight_addresses(list_key, sorted({c.address for c in pending}))
    return [c for c in pending if c.address not in inflight], inflight


def preview(rt: Runtime) -> dict[str, list[Decision]]:
    """The dry-run diff: what a sync would do now, without writing anything."""
    now = rt.chain.block("latest")[2]  # the contract judges expiry by block time, so do we
    out: dict[str, list[Decision]] = {}
    for list_key in ListKey.values:
        dep = deployment_current(list_key=list_key, chain_id=rt.chain_id)
        if dep is None:
            continue
        changes, _ = pending_for_list(list_key)
        addresses = sorted({c.address for c in changes})
        values = rt.chain.whitelist(dep.address).valid_until_many(addresses) if addresses else []
        out[list_key] = decide(changes, dict(zip(addresses, values, strict=True)), now=now)
    return out


def _split_by_gas(
    rt: Runtime, dep: Deployment, action: str, until: int, addresses: list[str]
) -> list[tuple[list[str], str, int]]:
    """[(addresses, calldata, gas limit)] with every limit under the cap; halves a batch that is too big."""
    contract = rt.chain.whitelist(dep.address)
    cap = min(settings.WHITELIST_TX_GAS_CAP, 16_777_216)
    probe_id = "0x" + "00" * 32
    data = (
        contract.add_data(addresses, until, probe_id) if action == "add" else contract.remove_data(addresses, probe_id)
    )
    estimate = rt.chain.estimate_gas(sender=rt.sender, to=dep.address, data=data)
    if estimate * GAS_MARGIN > cap:
        if len(addresses) == 1:
            raise Reverted(f"one address needs {estimate} gas, above the cap of {cap}")
        half = len(addresses) // 2
        return _split_by_gas(rt, dep, action, until, addresses[:half]) + _split_by_gas(
            rt, dep, action, until, addresses[half:]
        )
    return [(addresses, "", min(cap, int(estimate * GAS_MARGIN) + 10_000))]


def plan_list(rt: Runtime, dep: Deployment, report: SyncReport) -> None:
    """Turn the list's pending changes into batches, in one transaction under the deployment row lock."""
    contract = rt.chain.whitelist(dep.address)
    now = rt.chain.block("latest")[2]  # the contract judges expiry by block time, so do we
    with transaction.atomic():
        Deployment.objects.select_for_update().get(pk=dep.pk)  # one planner per list at a time
        changes, _ = pending_for_list(dep.list_key)
        if not changes:
            return
        addresses = sorted({c.address for c in changes})
        values = contract.valid_until_many(addresses)
        decisions = decide(changes, dict(zip(addresses, values, strict=True)), now=now)
        groups: dict[tuple[str, int], list[Decision]] = defaultdict(list)
        for d in decisions:
            if d.action == "supersede":
                # Conditional: only a change still pending is taken, whatever another worker did.
                report.superseded += Change.objects.filter(pk=d.change_id, status=Change.Status.PENDING).update(
                    status=Change.Status.SUPERSEDED, superseded_by_id=d.superseded_by, note="a later change replaced it"
                )
            elif d.action == "skip":
                report.skipped += Change.objects.filter(pk=d.change_id, status=Change.Status.PENDING).update(
                    status=Change.Status.SKIPPED, note=d.note
                )
            else:
                groups[(d.action, d.valid_until)].append(d)
        mode = rt.mode
        initial = {
            "key": Batch.Status.READY,
            "board": Batch.Status.AWAITING_APPROVAL,
            "safe": Batch.Status.AWAITING_SAFE,
        }[mode]
        head = rt.chain.block_number() if mode == "safe" else 0
        size = max(1, min(settings.WHITELIST_BATCH_SIZE, 700))
        for (action, until), items in sorted(groups.items()):
            for start in range(0, len(items), size):
                chunk = items[start : start + size]
                by_address = {d.address: d for d in chunk}
                for part, _, gas in _split_by_gas(rt, dep, action, until, [d.address for d in chunk]):
                    batch_id = Batch.new_batch_id()
                    data = (
                        contract.add_data(part, until, batch_id)
                        if action == "add"
                        else contract.remove_data(part, batch_id)
                    )
                    batch = Batch.objects.create(
                        batch_id=batch_id,
                        deployment=dep,
                        list_key=dep.list_key,
                        action=action,
                        valid_until=until,
                        status=initial,
                        mode=mode,
                        size=len(part),
                        calldata=data,
                        gas_limit=gas,
                        watch_from_block=head,
                        approvals_required=settings.WHITELIST_BOARD_QUORUM if mode == "board" else 0,
                    )
                    ids = [by_address[a].change_id for a in part]
                    taken = Change.objects.filter(pk__in=ids, status=Change.Status.PENDING).update(
                        status=Change.Status.BATCHED, batch=batch
                    )
                    if taken != len(ids):
                        raise RuntimeError("pending changes changed under the planner's lock")
                    note = f"{len(part)} addresses, gas limit {gas}"
                    if mode == "board":
                        note += f"; needs {batch.approvals_required} of {board_member_count()} board approvals"
                    batch.history.create(to_status=initial, note=note)
                    audit_record(
                        actor=None,
                        action="whitelist.batch_planned",
                        target=batch,
                        data={"batch_id": batch_id, "action": action, "size": len(part), "mode": mode},
                    )
                    report.batches.append(batch.pk)


# Sending ---------------------------------------------------------------------------------------------------


def _ceiling() -> int:
    return int(settings.WHITELIST_MAX_FEE_GWEI * GWEI)


def initial_fees(chain: Chain) -> Fees | None:
    """EIP-1559 fees under the ceiling, or None when the base fee alone is above it (wait, do not send)."""
    suggested = chain.suggest_fees()
    ceiling = _ceiling()
    if suggested.base_fee >= ceiling:
        return None
    tip = min(suggested.max_priority_fee, int(settings.WHITELIST_MAX_PRIORITY_FEE_GWEI * GWEI), ceiling)
    tip = max(tip, 1)
    max_fee = min(ceiling, max(2 * suggested.base_fee + tip, tip))
    return Fees(max_fee=max_fee, max_priority_fee=tip, base_fee=suggested.base_fee)


def _locked_cursor(chain: Chain, chain_id: int, sender: str) -> NonceCursor:
    try:
        return NonceCursor.objects.select_for_update().get(chain_id=chain_id, sender=sender)
    except NonceCursor.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            NonceCursor.objects.create(chain_id=chain_id, sender=sender, next_nonce=chain.nonce(sender, block="latest"))
    except IntegrityError:
        pass  # another worker created it first; its value wins
    return NonceCursor.objects.select_for_update().get(chain_id=chain_id, sender=sender)


def sign_ready_batch(rt: Runtime, batch_pk: int) -> Transaction | None:
    """Sign a ready batch with the next nonce and store it, all in one transaction. Nothing is sent here."""
    signer = rt.signer
    assert signer is not None  # noqa: S101 - only called in key and board modes
    with transaction.atomic():
        batch = (
            Batch.objects.select_for_update(skip_locked=True)
            .filter(pk=batch_pk, status=Batch.Status.READY)
            .select_related("deployment")
            .first()
        )
        if batch is None:
            return None
        fees = initial_fees(rt.chain)
        if fees is None:
            logger.warning("Base fee above WHITELIST_MAX_FEE_GWEI; batch %s waits.", batch.pk)
            return None
        cursor = _locked_cursor(rt.chain, rt.chain_id, signer.address)
        # Someone else may have used the key: never reuse a nonce the chain has already seen.
        nonce = max(cursor.next_nonce, rt.chain.nonce(signer.address, block="latest"))
        tx = rt.chain.build_tx(
            chain_id=rt.chain_id,
            nonce=nonce,
            to=batch.deployment.address,
            data=batch.calldata,
            gas=batch.gas_limit,
            fees=fees,
        )
        signed = signer.sign(tx)
        row = Transaction.objects.create(
            batch=batch,
            chain_id=rt.chain_id,
            sender=signer.address,
            nonce=nonce,
            tx_hash=signed.tx_hash,
            raw=signed.raw,
            max_fee_per_gas=Decimal(fees.max_fee),
            max_priority_fee_per_gas=Decimal(fees.max_priority_fee),
            gas_limit=batch.gas_limit,
        )
        cursor.next_nonce = nonce + 1
        cursor.save(update_fields=["next_nonce"])
        batch_transition(batch=batch, to=Batch.Status.SIGNED, note=f"nonce {nonce}, tx {signed.tx_hash}")
        fault_point("in_sign_tx")
    return row


def broadcast(rt: Runtime, tx: Transaction, report: SyncReport) -> None:
    """Send a stored signed transaction. Safe to repeat: the same bytes always have the same hash."""
    try:
        rt.chain.send_raw(tx.raw)
    except AlreadySubmitted as exc:
        # Already in the pool or mined, or its nonce is used: the receipt lookup decides what happened.
        logger.info("Transaction %s: %s; looking up the receipt.", tx.tx_hash, exc)
        if exc.nonce_too_low and not _any_receipt(rt.chain, tx.batch):
            _nonce_taken(rt, tx)
            return
    fault_point("after_broadcast")
    now = timezone.now()
    with transaction.atomic():
        # Lock order everywhere is batch, then its transactions: _record_mined and _nonce_taken take the
        # batch first too, and the opposite order here deadlocked two workers on PostgreSQL.
        batch = Batch.objects.select_for_update().get(pk=tx.batch_id)
        row = Transaction.objects.select_for_update().get(pk=tx.pk)
        row.broadcast_count += 1
        row.broadcast_at = now
        if row.status == Transaction.Status.SIGNED:
            row.status = Transaction.Status.BROADCAST
        row.save(update_fields=["broadcast_count", "broadcast_at", "status", "updated_at"])
        if batch.status == Batch.Status.SIGNED:
            batch_transition(batch=batch, to=Batch.Status.BROADCAST, note=f"sent {tx.tx_hash}")
            report.sent += 1


def _any_receipt(chain: Chain, batch: Batch) -> bool:
    return any(chain.receipt(t.tx_hash) is not None for t in batch.transactions.all())


def _nonce_taken(rt: Runtime, tx: Transaction) -> None:
    """Our nonce was used by a transaction we did not sign (the key is shared): sign the batch again."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=tx.batch_id)
        Transaction.objects.filter(pk=tx.pk).update(status=Transaction.Status.REPLACED)
        if batch.status in (Batch.Status.SIGNED, Batch.Status.BROADCAST):
            batch_transition(
                batch=batch, to=Batch.Status.READY, note=f"nonce {tx.nonce} was used by another transaction"
            )


# Tracking --------------------------------------------------------------------------------------------------


def _confirmed(chain: Chain, block_number: int) -> bool:
    needed = settings.WHITELIST_CONFIRMATIONS
    if needed <= 0:
        return block_number <= chain.block("finalized")[0]
    return chain.block_number() - block_number + 1 >= needed


def _record_mined(rt: Runtime, batch: Batch, receipt: Any, report: SyncReport) -> None:
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        if batch.status not in (Batch.Status.SIGNED, Batch.Status.BROADCAST, Batch.Status.AWAITING_SAFE):
            return
        batch.transactions.exclude(tx_hash=receipt.tx_hash).update(status=Transaction.Status.REPLACED)
        batch.transactions.filter(tx_hash=receipt.tx_hash).update(status=Transaction.Status.MINED)
        fields = {
            "block_number": receipt.block_number,
            "block_hash": receipt.block_hash,
            "tx_hash": receipt.tx_hash,
            "gas_used": receipt.gas_used,
        }
        if receipt.status == 0:
            reason = rt.chain.replay_reason(
                sender=rt.sender,
                to=batch.deployment.address,
                data=batch.calldata,
                block=max(receipt.block_number - 1, 0),
            )
            batch_transition(
                batch=batch, to=Batch.Status.MINED, note=f"mined in block {receipt.block_number}", **fields
            )
            _fail(batch, f"The transaction reverted: {reason}")
            report.failed += 1
            return
        batch_transition(batch=batch, to=Batch.Status.MINED, note=f"mined in block {receipt.block_number}", **fields)


def _fail(batch: Batch, reason: str) -> None:
    batch_transition(batch=batch, to=Batch.Status.FAILED, note=reason, failure_reason=reason)
    batch.changes.update(status=Change.Status.FAILED, note=reason[:500])
    alert(subject=f"batch {batch.pk} failed", message=f"{batch}: {reason}", target=batch)


def _confirm(batch: Batch, report: SyncReport) -> None:
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != Batch.Status.MINED:
            return
        batch_transition(
            batch=batch,
            to=Batch.Status.CONFIRMED,
            note=f"confirmed in block {batch.block_number}",
            confirmed_at=timezone.now(),
        )
        batch.changes.update(status=Change.Status.CONFIRMED)
        audit_record(
            actor=None,
            action="whitelist.batch_confirmed",
            target=batch,
            data={"tx_hash": batch.tx_hash, "block": batch.block_number, "size": batch.size},
        )
        fault_point("in_confirm_tx")
        report.confirmed += 1


def _replace(rt: Runtime, batch: Batch, latest: Transaction, report: SyncReport) -> None:
    """Same nonce, both fee fields +12.5 % (rounded up) up to the ceiling; stored before it is sent."""
    signer = rt.signer
    assert signer is not None  # noqa: S101
    ceiling = _ceiling()
    max_fee = bump_fee(int(latest.max_fee_per_gas), ceiling)
    tip = bump_fee(int(latest.max_priority_fee_per_gas), ceiling)
    old_fee, old_tip = int(latest.max_fee_per_gas), int(latest.max_priority_fee_per_gas)
    if max_fee < math.ceil(old_fee * 11 / 10) or tip < math.ceil(old_tip * 11 / 10):
        # The ceiling leaves less than the +10 % every node requires: a replacement would be refused, so the
        # current transaction is kept in the pool instead.
        logger.warning("Batch %s: fee ceiling WHITELIST_MAX_FEE_GWEI reached; not replacing.", batch.pk)
        broadcast(rt, latest, report)
        report.rebroadcast += 1
        return
    fees = Fees(max_fee=max_fee, max_priority_fee=min(tip, max_fee), base_fee=0)
    tx = rt.chain.build_tx(
        chain_id=rt.chain_id,
        nonce=latest.nonce,
        to=batch.deployment.address,
        data=batch.calldata,
        gas=latest.gas_limit,
        fees=fees,
    )
    signed = signer.sign(tx)
    with transaction.atomic():
        b = Batch.objects.select_for_update().get(pk=batch.pk)  # batch first: the lock order of this module
        row = Transaction.objects.create(
            batch=batch,
            chain_id=rt.chain_id,
            sender=signer.address,
            nonce=latest.nonce,
            tx_hash=signed.tx_hash,
            raw=signed.raw,
            max_fee_per_gas=Decimal(fees.max_fee),
            max_priority_fee_per_gas=Decimal(fees.max_priority_fee),
            gas_limit=latest.gas_limit,
        )
        batch_transition(
            batch=b,
            to=Batch.Status.SIGNED,
            note=f"replacing {latest.tx_hash} (stuck) with {signed.tx_hash}, fees +12.5 %",
        )
    report.replaced += 1
    broadcast(rt, row, report)
    Transaction.objects.filter(pk=latest.pk, status=Transaction.Status.BROADCAST).update(
        status=Transaction.Status.REPLACED
    )


def track_batch(rt: Runtime, batch: Batch, report: SyncReport) -> None:
    attempts = list(batch.transactions.order_by("-id"))
    if batch.status == Batch.Status.SIGNED:
        # Signed and stored but not sent (the worker died, or the node was down): send the stored bytes.
        broadcast(rt, attempts[0], report)
        batch.refresh_from_db()
    if batch.status == Batch.Status.BROADCAST:
        for attempt in attempts:
            receipt = rt.chain.receipt(attempt.tx_hash)
            if receipt is not None:
                fault_point("after_receipt")
                _record_mined(rt, batch, receipt, report)
                batch.refresh_from_db()
                break
        else:
            latest = attempts[0]
            if not rt.chain.is_pending(latest.tx_hash):
                # Dropped from the pool (or never arrived): the stored transaction is sent again.
                broadcast(rt, latest, report)
                report.rebroadcast += 1
            elif latest.broadcast_at and timezone.now() - latest.broadcast_at > dt.timedelta(
                seconds=settings.WHITELIST_STUCK_AFTER_SECONDS
            ):
                _replace(rt, batch, latest, report)
            return
    if batch.status == Batch.Status.MINED:
        receipt = rt.chain.receipt(batch.tx_hash)
        if receipt is None or rt.chain.block_hash_at(receipt.block_number) != receipt.block_hash:
            _after_reorg(rt, batch, report)
            return
        if receipt.block_hash != batch.block_hash:
            # Re-mined in another block after a reorg: follow the new block.
            Batch.objects.filter(pk=batch.pk).update(block_number=receipt.block_number, block_hash=receipt.block_hash)
            batch.refresh_from_db()
        if _confirmed(rt.chain, batch.block_number or 0):
            _confirm(batch, report)


def _after_reorg(rt: Runtime, batch: Batch, report: SyncReport) -> None:
    """The receipt vanished: a reorg took the block away. Send the stored transaction again (same hash)."""
    with transaction.atomic():
        b = Batch.objects.select_for_update().get(pk=batch.pk)
        if b.status != Batch.Status.MINED:
            return
        if b.mode == Batch.Mode.SAFE:
            batch_transition(batch=b, to=Batch.Status.AWAITING_SAFE, note=f"block {b.block_number} was reorged out")
            return
        batch_transition(batch=b, to=Batch.Status.BROADCAST, note=f"block {b.block_number} was reorged out; re-sending")
        Transaction.objects.filter(batch=b, tx_hash=b.tx_hash).update(status=Transaction.Status.BROADCAST)
    mined = Transaction.objects.get(batch=batch, tx_hash=batch.tx_hash)
    broadcast(rt, mined, report)
    report.rebroadcast += 1


def follow_safe(rt: Runtime, batch: Batch, report: SyncReport) -> None:
    """A Safe-mode batch is done when the contract has emitted its batch id for every address."""
    contract = rt.chain.whitelist(batch.deployment.address)
    head = rt.chain.block_number()
    seen = [
        e
        for e in contract.events(batch.watch_from_block, head, chunk_blocks=settings.WHITELIST_LOG_CHUNK_BLOCKS)
        if e.batch_id == batch.batch_id
    ]
    if len(seen) < batch.size:
        return
    receipt = rt.chain.receipt(seen[-1].tx_hash)
    if receipt is not None:
        _record_mined(rt, batch, receipt, report)


def track_open(rt: Runtime, report: SyncReport) -> None:
    watched = [Batch.Status.SIGNED, Batch.Status.BROADCAST, Batch.Status.MINED]
    if rt.mode == "safe":
        watched.append(Batch.Status.AWAITING_SAFE)
    for batch in (
        Batch.objects.filter(status__in=watched, deployment__chain_id=rt.chain_id)
        .select_related("deployment")
        .order_by("id")
    ):
        if batch.status == Batch.Status.AWAITING_SAFE:
            follow_safe(rt, batch, report)
            batch.refresh_from_db()
            if batch.status == Batch.Status.MINED and _confirmed(rt.chain, batch.block_number or 0):
                _confirm(batch, report)
            continue
        if batch.mode == Batch.Mode.SAFE and batch.status == Batch.Status.MINED:
            track_batch(rt, batch, report)
            continue
        if rt.signer is None or batch.transactions.exclude(sender=rt.signer.address).exists():
            continue  # signed by another key: not ours to re-send
        track_batch(rt, batch, report)


def whitelist_sync(rt: Runtime) -> SyncReport:
    """One full pass: plan, sign and send, track. Raises ChainUnavailable if the node stops answering."""
    report = SyncReport()
    for list_key in ListKey.values:
        dep = deployment_current(list_key=list_key, chain_id=rt.chain_id)
        if dep is None:
            continue
        problems = deployment_problems(rt, dep)
        if problems:
            report.problems += problems
            for p in problems:
                logger.error("Whitelist %s: %s", list_key, p)
            continue
        try:
            plan_list(rt, dep, report)
        except Reverted as exc:
            # Estimation refused the batch (for example the role was revoked meanwhile): nothing was written.
            report.problems.append(f"{list_key}: the contract refuses the batch: {exc.reason}")
            logger.error("Whitelist %s: gas estimation reverted: %s", list_key, exc.reason)
    if report.batches:
        fault_point("after_claim")
    track_open(rt, report)
    if rt.signer is not None and not report.problems:
        for pk in (
            Batch.objects.filter(status=Batch.Status.READY, deployment__chain_id=rt.chain_id)
            .order_by("id")
            .values_list("pk", flat=True)
        ):
            row = sign_ready_batch(rt, pk)
            if row is not None:
                fault_point("after_sign")
                broadcast(rt, row, report)
    return report


def sync_until_settled(rt: Runtime, *, mine: Any = None, rounds: int = 200) -> SyncReport:
    """Run passes until nothing is open (tests and the benchmark; `mine` is called between passes)."""
    total = SyncReport()
    for _ in range(rounds):
        r = whitelist_sync(rt)
        for name in ("superseded", "skipped", "sent", "confirmed", "failed", "replaced", "rebroadcast"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
        total.batches += r.batches
        total.problems += r.problems
        open_batches = Batch.objects.filter(
            status__in=[Batch.Status.READY, Batch.Status.SIGNED, Batch.Status.BROADCAST, Batch.Status.MINED]
        ).exists()
        if not open_batches and not Change.objects.filter(status=Change.Status.PENDING).exists():
            return total
        if r.problems:
            return total
        if mine is not None:
            mine()
    return total


__all__ = ["ChainUnavailable", "Signer", "SyncReport", "whitelist_sync"]
