"""The operators' side of the whitelist: an operator's addresses are on the operators' list while the operator is
approved, its KYC/KYB case is approved and in date, and the address is proven (a wallet of that case, or signed for
in the operator flow), not held by screening and with no confirmed sanctions match. Their on-chain expiry is the
case's `valid_until`.

This module is the only place that calls the whitelist app. It registers the operators' list source and recomputes
the targets of an operator's addresses inside the decision that changed them (approval, suspension, a new address,
the linked case revoked, expired or renewed), so the change rows commit or roll back with the decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from kyc.models import Application
from kyc.whitelisting import sanctioned_addresses, wallet_proofs
from operators.models import OperatorAddress, OperatorProfile
from whitelist.models import ListKey, Target
from whitelist.targets import Claim, Source, target_source_register


def _operator_claims(addresses: list[str], now: dt.datetime) -> dict[str, Claim]:
    """An address of an approved operator, vetted under an approved and in-date case, proven (a wallet of that case,
    or signed for in the operator flow), not held by screening and with no confirmed sanctions match anywhere."""
    on_case = {(address, app) for address, app, _until, _ref in wallet_proofs(addresses=addresses, now=now)}
    barred = sanctioned_addresses(addresses)
    rows = (
        OperatorAddress.objects.filter(
            address__in=addresses,
            operator__status=OperatorProfile.Status.APPROVED,
            operator__kyc_application__status=Application.Status.APPROVED,
            operator__kyc_application__valid_until__gt=now,
        )
        .exclude(whitelist_state=OperatorAddress.WhitelistState.HELD)
        .values_list(
            "address", "proven_at", "operator__kyc_application_id", "operator__kyc_application__valid_until",
            "operator__public_id",
        )
    )  # fmt: skip
    best: dict[str, Claim] = {}
    for address, proven_at, app, until, operator_id in rows:
        proven = (address, app) in on_case or (proven_at is not None and address not in barred)
        if proven and until is not None and (address not in best or until > best[address].valid_until):
            best[address] = Claim(valid_until=until, reference=f"operators.operator:{operator_id}")
    return best


def _operator_candidates() -> Iterator[str]:
    yield from OperatorAddress.objects.values_list("address", flat=True).distinct().iterator(chunk_size=5000)


OPERATORS_SOURCE = Source(claims=_operator_claims, candidates=_operator_candidates)


def register_sources() -> None:
    target_source_register(ListKey.OPERATORS, OPERATORS_SOURCE)


def operator_addresses_resync(*, operator: OperatorProfile, by: Any, reason: str) -> int:
    """Recompute the operators' list target of every address of the operator and record on each address what was
    asked of the whitelist. Returns how many changes were queued."""
    # Imported here: the source above registers at start-up, and the whitelist's services load web3.
    from whitelist.services import whitelist_targets_update

    addresses = list(operator.addresses.all())
    changes = whitelist_targets_update(
        list_key=ListKey.OPERATORS,
        addresses=[a.address for a in addresses],
        actor=by,
        reason=f"Node operator {operator.name} {reason}"[:500],
        reference=f"operators.operator:{operator.public_id}",
    )
    listed = set(
        Target.objects.filter(
            list_key=ListKey.OPERATORS, address__in=[a.address for a in addresses], valid_until__isnull=False
        ).values_list("address", flat=True)
    )
    queued = {c.address: str(c.public_id) for c in changes}
    for row in addresses:
        if row.address in queued:
            row.whitelist_reference = queued[row.address]
            row.save(update_fields=["whitelist_reference", "updated_at"])
        if row.whitelist_state == OperatorAddress.WhitelistState.HELD:
            continue
        if row.address in listed:
            state = OperatorAddress.WhitelistState.REQUESTED
        elif row.whitelist_state == OperatorAddress.WhitelistState.NOT_REQUESTED:
            state = OperatorAddress.WhitelistState.NOT_REQUESTED
        else:
            state = OperatorAddress.WhitelistState.REMOVAL_REQUESTED
        if state != row.whitelist_state:
            row.whitelist_state = state
            row.save(update_fields=["whitelist_state", "updated_at"])
    return len(changes)
