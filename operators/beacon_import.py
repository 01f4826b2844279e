"""Import one epoch of validator history from the beacon node, all or nothing.

Reads everything first (sync status, validator states at the epoch's last slot, attestation rewards, proposer
duties and the headers of our duty slots), checks it for consistency, and only then writes, in one transaction.
A failure of any kind leaves one `BeaconImportRun` with result `failed` and the reason, and no history rows.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from operators.beacon import (
    FAR_FUTURE_EPOCH,
    BeaconClient,
    BeaconError,
    BeaconSyncing,
    IdealReward,
    TotalReward,
)
from operators.models import BeaconImportRun, OperatorProfile, SlashingEvent, Validator, ValidatorEpoch
from operators.services import exit_requests_mark_seen, operator_score_refresh

logger = logging.getLogger(__name__)

_STATUS = {
    "pending_initialized": Validator.BeaconStatus.PENDING,
    "pending_queued": Validator.BeaconStatus.PENDING,
    "active_ongoing": Validator.BeaconStatus.ACTIVE,
    "active_exiting": Validator.BeaconStatus.EXITING,
    "active_slashed": Validator.BeaconStatus.SLASHED,
    "exited_unslashed": Validator.BeaconStatus.EXITED,
    "exited_slashed": Validator.BeaconStatus.SLASHED,
    "withdrawal_possible": Validator.BeaconStatus.EXITED,
    "withdrawal_done": Validator.BeaconStatus.EXITED,
}


def default_client() -> BeaconClient:
    return BeaconClient(settings.OPERATORS_BEACON_URL, timeout=settings.OPERATORS_BEACON_TIMEOUT_SECONDS)


def _fail(epoch: int | None, reason: str) -> BeaconImportRun:
    logger.warning("beacon import of epoch %s failed: %s", epoch, reason)
    return BeaconImportRun.objects.create(epoch=epoch, result=BeaconImportRun.Result.FAILED, reason=reason[:2000])


def beacon_import_epoch(*, client: BeaconClient | None = None, epoch: int | None = None) -> BeaconImportRun:
    """Import `epoch` (default: the head's epoch minus OPERATORS_BEACON_EPOCH_LAG) unless it was imported already.

    Emits an audit row per import and refreshes the score of every operator whose validators were seen.
    """
    spe = settings.OPERATORS_SLOTS_PER_EPOCH
    target = epoch
    try:
        client = client or default_client()
        sync = client.syncing()
        if sync.is_syncing:
            raise BeaconSyncing(
                f"The beacon node is syncing ({sync.sync_distance} slots behind); its data would be stale."
            )
        if sync.is_optimistic or sync.el_offline:
            raise BeaconError(
                "The beacon node's execution client is offline or the head is optimistic (not verified); "
                "nothing is imported until it is."
            )
        head_epoch = sync.head_slot // spe
        target = epoch if epoch is not None else head_epoch - settings.OPERATORS_BEACON_EPOCH_LAG
        if target < 0 or target > head_epoch:
            raise BeaconError(f"Epoch {target} is not between 0 and the head epoch {head_epoch}.")
        done = BeaconImportRun.objects.filter(epoch=target, result=BeaconImportRun.Result.OK).first()
        if done is not None:
            return done
        validators = list(Validator.objects.exclude(beacon_status=Validator.BeaconStatus.EXITED).order_by("id"))
        by_key = {v.pubkey: v for v in validators}
        state_id = str((target + 1) * spe - 1)
        states = client.validators(state_id=state_id, ids=list(by_key)) if by_key else []
        seen: dict[str, object] = {}
        for state in states:
            key = state.validator.pubkey.lower()
            if key not in by_key:
                raise BeaconError(f"The node returned validator {key[:14]}… which was not asked for.")
            if key in seen:
                raise BeaconError(f"The node returned validator {key[:14]}… twice.")
            seen[key] = state
        indices = {state.index: state for state in states}
        active = [s.index for s in states if s.status.startswith("active")]
        rewards = client.attestation_rewards(epoch=target, indices=active) if active else None
        total_by_index: dict[int, TotalReward] = {}
        ideal_by_balance: dict[int, IdealReward] = {}
        if rewards is not None:
            ideal_by_balance = {i.effective_balance: i for i in rewards.ideal_rewards}
            for total in rewards.total_rewards:
                if total.validator_index not in indices:
                    raise BeaconError(f"Rewards name validator {total.validator_index}, which was not asked for.")
                total_by_index[total.validator_index] = total
        duties = [d for d in client.proposer_duties(epoch=target) if d.validator_index in indices]
        proposed: dict[int, list[bool]] = {}
        for duty in duties:
            if not target * spe <= duty.slot < (target + 1) * spe:
                raise BeaconError(f"A proposer duty at slot {duty.slot} is outside epoch {target}.")
            header = client.block_header(block_id=str(duty.slot))
            ok = (
                header is not None and header.canonical and header.header.message.proposer_index == duty.validator_index
            )
            proposed.setdefault(duty.validator_index, []).append(ok)
    except BeaconError as exc:
        return _fail(target, str(exc))

    now = timezone.now()
    rows = []
    touched_operators: set[int] = set()
    with transaction.atomic():
        for index, state in indices.items():
            validator = by_key[state.validator.pubkey.lower()]
            touched_operators.add(validator.operator_id)
            reward = total_by_index.get(index)
            ideal = ideal_by_balance.get(state.validator.effective_balance)
            if reward is not None and ideal is None and state.status.startswith("active"):
                # Ideal rewards are listed per effective balance; a reward without its ideal cannot be scored.
                transaction.set_rollback(True)
                return _fail(target, f"No ideal reward for effective balance {state.validator.effective_balance}.")
            duty_results = proposed.get(index, [])
            rows.append(
                ValidatorEpoch(
                    validator=validator,
                    epoch=target,
                    status=state.status,
                    balance_gwei=state.balance,
                    effective_balance_gwei=state.validator.effective_balance,
                    head_reward=reward.head if reward else 0,
                    target_reward=reward.target if reward else 0,
                    source_reward=reward.source if reward else 0,
                    inactivity_penalty=reward.inactivity if reward else 0,
                    ideal_reward=(ideal.head + ideal.target + ideal.source) if (ideal and reward) else 0,
                    proposer_duties=len(duty_results),
                    blocks_proposed=sum(duty_results),
                    slashed=state.validator.slashed,
                )
            )
            new_status = _STATUS[state.status]
            if state.validator.slashed:
                new_status = Validator.BeaconStatus.SLASHED
                SlashingEvent.objects.get_or_create(validator=validator, defaults={"epoch": target})
            exit_epoch = None if state.validator.exit_epoch == FAR_FUTURE_EPOCH else state.validator.exit_epoch
            fields = []
            if validator.index != index:
                validator.index = index
                fields.append("index")
            if validator.beacon_status != new_status:
                validator.beacon_status = new_status
                fields.append("beacon_status")
            if exit_epoch is not None and validator.exit_epoch is None:
                validator.exit_epoch, validator.exit_seen_at = exit_epoch, now
                fields += ["exit_epoch", "exit_seen_at"]
                exit_requests_mark_seen(validator=validator, seen_at=now)
            if fields:
                validator.save(update_fields=[*fields, "updated_at"])
        ValidatorEpoch.objects.bulk_create(rows)
        run = BeaconImportRun.objects.create(epoch=target, result=BeaconImportRun.Result.OK, validators=len(rows))
        audit_record(
            actor=None, action="operator.beacon_imported", target=run, data={"epoch": target, "validators": len(rows)}
        )
        for operator in OperatorProfile.objects.filter(pk__in=touched_operators):
            operator_score_refresh(operator=operator, epoch_to=target)
    return run


def beacon_import_pending(*, client: BeaconClient | None = None, max_epochs: int = 8) -> list[BeaconImportRun]:
    """Catch up: import every epoch after the last imported one up to head - lag, oldest first, at most
    `max_epochs` per call, stopping at the first failure (the next beat tick retries from there).

    The first run on an empty history imports only the latest epoch: history before the portal knew the
    validators is not reconstructed.
    """
    client = client or default_client()
    try:
        sync = client.syncing()
    except BeaconError as exc:
        return [_fail(None, str(exc))]
    if sync.is_syncing:
        return [
            _fail(None, f"The beacon node is syncing ({sync.sync_distance} slots behind); its data would be stale.")
        ]
    latest = sync.head_slot // settings.OPERATORS_SLOTS_PER_EPOCH - settings.OPERATORS_BEACON_EPOCH_LAG
    last_done = (
        BeaconImportRun.objects.filter(result=BeaconImportRun.Result.OK)
        .order_by("-epoch")
        .values_list("epoch", flat=True)
        .first()
    )
    first = latest if last_done is None else last_done + 1
    first = max(first, latest - max_epochs + 1, 0)
    runs = []
    for epoch in range(first, latest + 1):
        run = beacon_import_epoch(client=client, epoch=epoch)
        runs.append(run)
        if run.result != BeaconImportRun.Result.OK:
            break
    if runs and runs[-1].result == BeaconImportRun.Result.OK:
        ValidatorEpoch.objects.filter(epoch__lt=latest - settings.OPERATORS_HISTORY_RETENTION_EPOCHS).delete()
    return runs
