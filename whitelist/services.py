"""Writes of the whitelist app that other apps and the staff pages call. Each is atomic and audited.

The chain itself is only reached by the sync engine (`whitelist.sync`), after these rows are committed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction
from django.utils import timezone

from accounts.permissions import user_has_capability
from accounts.roles import Capability
from core.audit import audit_record
from core.exceptions import ApplicationError
from whitelist.chain import checksum
from whitelist.models import (
    BATCH_TRANSITIONS,
    Batch,
    BatchApproval,
    BatchEvent,
    Change,
    ListKey,
    Reconciliation,
    Target,
)
from whitelist.targets import target_candidates, targets_derive

logger = logging.getLogger(__name__)

# The contract stores a uint64 of seconds.
MAX_VALID_UNTIL = 2**64 - 1


def _enqueue_sync() -> None:
    """Ask for a sync now. Runs after commit, so the decision is already recorded in the outbox: a broker
    that is down must not turn it into an error for the person who decided (they would think it was lost
    and decide again). The beat sweep (whitelist.sync every 15 s) sends it once the broker is back."""
    if settings.WHITELIST_RPC_URL:
        from kombu.exceptions import OperationalError

        from whitelist.tasks import whitelist_sync_task

        try:
            whitelist_sync_task.delay()
        except (OperationalError, OSError) as exc:
            logger.warning("Whitelist sync not enqueued (broker unavailable: %s); the beat sweep will run it.", exc)


@transaction.atomic
def whitelist_change_request(
    *,
    address: str,
    list_key: str,
    action: str,
    reason: str,
    actor: Any,
    valid_until: dt.datetime | None = None,
    reference: str = "",
) -> Change:
    """Queue one change of one address on one list, in the caller's transaction (the outbox).

    Call it inside the transaction that records the decision (approval, expiry, revocation), so the
    decision and the change commit together or not at all.

    - `address`: any case; stored EIP-55 checksummed. A malformed address, a mixed-case address with a
      wrong checksum and the zero address are refused.
    - `list_key`: "stakers" or "operators". `action`: "add" or "remove".
    - `valid_until`: for "add", when the entry expires (default WHITELIST_DEFAULT_VALIDITY_DAYS from now;
      must be in the future); must be None for "remove".
    - `reason`: shown in the address history. `reference`: an opaque reference to the case or decision
      (for example "kyc.application:42"); the whitelist never interprets it. `actor`: the user deciding,
      or None for the system.

    Raises ApplicationError naming the field. Writes a Change (pending) and an audit entry; after commit
    the sync task is enqueued.
    """
    try:
        address = checksum(address)
    except ValueError as exc:
        raise ApplicationError(f"address: {exc}.", code="invalid_address") from None
    if list_key not in ListKey.values:
        raise ApplicationError(
            f"list_key: unknown list {list_key!r}; choose {' or '.join(ListKey.values)}.", code="invalid_list"
        )
    if action not in Change.Action.values:
        raise ApplicationError(f"action: must be add or remove, not {action!r}.", code="invalid_action")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("reason: say why the address is added or removed.", code="invalid_reason")
    if len(reason) > 500 or len(reference) > 200:
        raise ApplicationError("reason is limited to 500 characters and reference to 200.", code="too_long")
    now = timezone.now()
    if action == Change.Action.ADD:
        if valid_until is None:
            valid_until = now + dt.timedelta(days=settings.WHITELIST_DEFAULT_VALIDITY_DAYS)
        if timezone.is_naive(valid_until):
            raise ApplicationError("valid_until: give a timezone-aware date and time.", code="invalid_valid_until")
        if valid_until <= now:
            raise ApplicationError("valid_until: must be in the future.", code="invalid_valid_until")
        if valid_until.timestamp() >= MAX_VALID_UNTIL:
            raise ApplicationError("valid_until: too far in the future.", code="invalid_valid_until")
        # The contract holds whole seconds: store what will be on chain, so comparisons are exact.
        valid_until = valid_until.replace(microsecond=0)
    elif valid_until is not None:
        raise ApplicationError("valid_until: a removal has no expiry; leave it empty.", code="invalid_valid_until")
    change = Change.objects.create(
        address=address,
        list_key=list_key,
        action=action,
        valid_until=valid_until,
        reason=reason,
        reference=reference,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action="whitelist.change_requested",
        target=change,
        after={
            "address": address,
            "list": list_key,
            "action": action,
            "valid_until": valid_until.isoformat() if valid_until else None,
            "reference": reference,
        },
        data={"reason": reason},
    )
    transaction.on_commit(_enqueue_sync, robust=True)
    return change


@transaction.atomic
def whitelist_targets_update(
    *, list_key: str, addresses: Iterable[str], actor: Any, reason: str, reference: str = ""
) -> list[Change]:
    """Recompute the target of each address from the registered sources (`whitelist.targets`) and queue the
    difference in the outbox, in the caller's transaction.

    Call it inside every decision that can change who is proven: approval, expiry, revocation, renewal, a
    confirmed sanctions match, an operator's approval or suspension. An address stays listed while any source
    still proves it (a renewed customer's wallet is not removed when the old approval ends), and moves to the
    latest expiry any source gives. `reason` becomes the reason of each queued change (so every removal has
    one); `reference` names the decision for removals (additions carry the proving source's reference).

    Locks the target rows of the addresses (creating them first), so two decisions about one address queue
    their changes one after the other. Returns the queued changes.
    """
    if list_key not in ListKey.values:
        raise ApplicationError(f"list_key: unknown list {list_key!r}.", code="invalid_list")
    now = timezone.now()
    try:
        wanted = sorted({checksum(a) for a in addresses})
    except ValueError as exc:
        raise ApplicationError(f"address: {exc}.", code="invalid_address") from None
    if not wanted:
        return []
    Target.objects.bulk_create(
        [Target(list_key=list_key, address=a, updated_at=now) for a in wanted], ignore_conflicts=True
    )
    rows = {t.address: t for t in Target.objects.select_for_update().filter(list_key=list_key, address__in=wanted)}
    derived = targets_derive(list_key=list_key, addresses=wanted, now=now)
    changes: list[Change] = []
    for address in wanted:
        row, claim = rows[address], derived[address]
        # Whole seconds: what the contract stores, so the comparison with the stored target is exact.
        want = claim.valid_until.replace(microsecond=0) if claim else None
        if want == row.valid_until:
            if claim and claim.reference != row.reference:
                row.reference = claim.reference  # a renewal took over at the same expiry: the proof moved
                row.save(update_fields=["reference"])
            continue
        change = whitelist_change_request(
            address=address,
            list_key=list_key,
            action=Change.Action.ADD if claim else Change.Action.REMOVE,
            valid_until=want,
            reason=reason,
            actor=actor,
            reference=claim.reference if claim else (reference or row.reference),
        )
        row.valid_until, row.reason, row.updated_at = want, reason[:500], now
        row.reference = claim.reference if claim else row.reference
        row.save(update_fields=["valid_until", "reason", "updated_at", "reference"])
        changes.append(change)
    return changes


def whitelist_targets_refresh(*, list_key: str, actor: Any, reason: str, chunk: int = 500) -> int:
    """Recompute every address any source might prove and every address with a target (the beat job and
    `manage.py whitelist_targets_refresh`): heals a target that went wrong, for example rows written before
    targets were derived. Each chunk is its own transaction. Returns the number of changes queued."""
    addresses = set(target_candidates(list_key))
    addresses |= set(Target.objects.filter(list_key=list_key).values_list("address", flat=True))
    ordered = sorted(addresses)
    queued = 0
    for i in range(0, len(ordered), chunk):
        queued += len(
            whitelist_targets_update(list_key=list_key, addresses=ordered[i : i + chunk], actor=actor, reason=reason)
        )
    return queued


def batch_transition(*, batch: Batch, to: str, note: str = "", actor: Any = None, **fields: Any) -> Batch:
    """Move a batch along the state machine (BATCH_TRANSITIONS), with a history row. Caller holds the lock."""
    if to not in BATCH_TRANSITIONS[batch.status]:
        raise ApplicationError(f"A batch that is {batch.get_status_display().lower()} cannot become {to}.")
    old = batch.status
    batch.status = to
    for name, value in fields.items():
        setattr(batch, name, value)
    batch.save(update_fields=["status", "updated_at", *fields.keys()])
    BatchEvent.objects.create(
        batch=batch,
        from_status=old,
        to_status=to,
        note=note[:2000],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )
    return batch


def board_member_count() -> int:
    from accounts.models import RoleAssignment
    from accounts.roles import StaffRole

    return RoleAssignment.objects.filter(role=StaffRole.BOARD_MEMBER, user__is_active=True).count()


@transaction.atomic
def batch_approve(*, batch: Batch, by: Any) -> Batch:
    """A board member approves a batch; at the quorum (M of N) it becomes ready to send.

    Requires WHITELIST_BOARD_APPROVE; one approval per member; only batches awaiting approval."""
    if not user_has_capability(by, Capability.WHITELIST_BOARD_APPROVE):
        raise ApplicationError("Only board members can approve whitelist batches.", code="forbidden")
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != Batch.Status.AWAITING_APPROVAL:
        raise ApplicationError(f"This batch is {batch.get_status_display().lower()}: it cannot be approved.")
    if BatchApproval.objects.filter(batch=batch, user=by).exists():
        raise ApplicationError("You have already approved this batch.", code="already_approved")
    BatchApproval.objects.create(batch=batch, user=by)
    count = BatchApproval.objects.filter(batch=batch).count()
    audit_record(
        actor=by,
        action="whitelist.batch_approved",
        target=batch,
        data={"approvals": count, "required": batch.approvals_required},
    )
    if count >= batch.approvals_required:
        batch_transition(batch=batch, to=Batch.Status.READY, note=f"{count} board approvals", actor=by)
        transaction.on_commit(_enqueue_sync, robust=True)
    return batch


@transaction.atomic
def batch_cancel(*, batch: Batch, by: Any, reason: str) -> Batch:
    """Cancel a batch that has not been signed; its changes go back to the queue as failed-and-noted."""
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in (Batch.Status.AWAITING_APPROVAL, Batch.Status.AWAITING_SAFE, Batch.Status.READY):
        raise ApplicationError(f"A batch that is {batch.get_status_display().lower()} can no longer be cancelled.")
    batch_transition(batch=batch, to=Batch.Status.CANCELLED, note=reason, actor=by)
    batch.changes.update(status=Change.Status.FAILED, note=f"batch cancelled: {reason}"[:500])
    audit_record(actor=by, action="whitelist.batch_cancelled", target=batch, data={"reason": reason})
    return batch


def alert(*, subject: str, message: str, target: Any = None) -> None:
    """Tell people: an error log line, a mail to the admins, an audit entry."""
    logger.error("%s: %s", subject, message)
    mail_admins(f"Whitelist: {subject}", message, fail_silently=True)
    audit_record(actor=None, action="whitelist.alert", target=target, data={"subject": subject, "message": message})


@transaction.atomic
def whitelist_drift_heal(*, reconciliation: Reconciliation, by: Any) -> list[Change]:
    """Turn a drift report into outbox changes: remove what is on chain but not approved, add what is
    approved but missing or has another expiry. Each change references the reconciliation; audited."""
    rec = Reconciliation.objects.select_for_update().get(pk=reconciliation.pk)
    if rec.healed_at:
        raise ApplicationError("This drift report has already been healed.", code="already_healed")
    if not rec.drift:
        raise ApplicationError("This reconciliation found no drift.", code="no_drift")
    now = timezone.now()
    changes: list[Change] = []
    for item in rec.drift:
        common = {
            "address": item["address"],
            "list_key": rec.list_key,
            "actor": by,
            "reference": f"whitelist.reconciliation:{rec.pk}",
        }
        if item["kind"] == "on_chain_not_approved":
            changes.append(
                whitelist_change_request(action="remove", reason="Heal drift: on chain but not approved", **common)
            )
        else:
            until = dt.datetime.fromtimestamp(int(item["expected"]), tz=dt.UTC)
            if until <= now:
                continue  # the approval has expired meanwhile: nothing to restore
            label = "approved but missing" if item["kind"] == "approved_missing" else "expiry differs"
            changes.append(
                whitelist_change_request(action="add", valid_until=until, reason=f"Heal drift: {label}", **common)
            )
    rec.healed_at, rec.healed_by = now, by
    rec.save(update_fields=["healed_at", "healed_by", "updated_at"])
    audit_record(
        actor=by, action="whitelist.drift_healed", target=rec, data={"changes": [str(c.public_id) for c in changes]}
    )
    return changes


@transaction.atomic
def whitelist_push_now(*, by: Any) -> None:
    """Staff asked for a sync now instead of at the next beat tick."""
    audit_record(actor=by, action="whitelist.push_now")
    transaction.on_commit(_enqueue_sync, robust=True)
