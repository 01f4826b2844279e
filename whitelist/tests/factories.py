from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from whitelist.chain import checksum, random_address
from whitelist.models import Batch, Change, Deployment, Target
from whitelist.services import whitelist_change_request


def fresh_address() -> str:
    return random_address()


# One reference time for the whole run: the chain stores expiry in whole seconds and a batch carries one
# expiry, so changes made a moment apart must not straddle a second boundary and split into two batches.
_RUN_STARTED = timezone.now().replace(microsecond=0)


def _decided(change: Change) -> Change:
    """These tests stand in for the deciding apps: the change they request is what a decision derived, so the
    target (what reconciliation expects) follows it, as `whitelist_targets_update` would have set it."""
    Target.objects.update_or_create(
        list_key=change.list_key,
        address=checksum(change.address),
        defaults={"valid_until": change.valid_until, "reference": change.reference, "updated_at": timezone.now()},
    )
    return change


def request_add(address: str | None = None, *, list_key: str = "stakers", days: int = 30, **kw: Any) -> Change:
    return _decided(
        whitelist_change_request(
            address=address or fresh_address(),
            list_key=list_key,
            action="add",
            valid_until=kw.pop("valid_until", _RUN_STARTED + dt.timedelta(days=days)),
            reason=kw.pop("reason", "KYC approved"),
            reference=kw.pop("reference", "kyc.application:1"),
            actor=kw.pop("actor", None),
        )
    )


def request_remove(address: str, *, list_key: str = "stakers", **kw: Any) -> Change:
    return _decided(
        whitelist_change_request(
            address=address,
            list_key=list_key,
            action="remove",
            reason=kw.pop("reason", "KYC revoked"),
            reference=kw.pop("reference", "kyc.application:1"),
            actor=kw.pop("actor", None),
        )
    )


def record_confirmed(
    address: str, *, action: str = "add", valid_until: dt.datetime | None = None, list_key: str = "stakers"
) -> Change:
    """A change recorded as confirmed on chain in block 42, without a chain (for pages that read the record)."""
    deployment, _ = Deployment.objects.get_or_create(
        chain_id=31337,
        address="0x" + "1" * 40,
        defaults={
            "list_key": list_key,
            "tx_hash": "0x" + "2" * 64,
            "block_number": 1,
            "deployer": "0x" + "3" * 40,
            "admin": "0x" + "3" * 40,
        },
    )
    batch = Batch.objects.create(
        batch_id=Batch.new_batch_id(),
        deployment=deployment,
        list_key=list_key,
        action=action,
        valid_until=int(valid_until.timestamp()) if valid_until else 0,
        status=Batch.Status.CONFIRMED,
        size=1,
        calldata="0x",
        block_number=42,
        tx_hash="0x" + "4" * 64,
        confirmed_at=timezone.now(),
    )
    return Change.objects.create(
        address=address,
        list_key=list_key,
        action=action,
        valid_until=valid_until,
        reason="KYC approved" if action == "add" else "KYC revoked",
        status=Change.Status.CONFIRMED,
        batch=batch,
    )
