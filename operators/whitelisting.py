"""The operators' side of the whitelist: hand an operator's addresses to the whitelist app's outbox.

This module is the only place that calls the whitelist app, so a change of its service is one edit here. It runs
inside the approval (or suspension) transaction: the whitelist change rows commit or roll back with the decision.
"""

from __future__ import annotations

from typing import Any

from operators.models import OperatorAddress, OperatorProfile
from whitelist.models import ListKey
from whitelist.services import whitelist_change_request


def operator_addresses_request_whitelisting(*, operator: OperatorProfile, by: Any, action: str) -> int:
    """Queue an `add` (approval) or `remove` (suspension) of every address of the operator on the operators'
    list. Returns how many changes were queued. Raises ApplicationError (from the whitelist) for a refused address.
    An address held back by screening was never added, so a removal skips it.
    """
    addresses = list(operator.addresses.all())
    if action == "remove":
        addresses = [a for a in addresses if a.whitelist_state != OperatorAddress.WhitelistState.HELD]
    for address in addresses:
        operator_address_request_whitelisting(
            operator=operator,
            address=address,
            by=by,
            action=action,
            why="approved" if action == "add" else "suspended",
        )
    return len(addresses)


def operator_address_request_whitelisting(
    *, operator: OperatorProfile, address: OperatorAddress, by: Any, action: str, why: str
) -> None:
    """Queue one address of the operator; `why` ends up in the whitelist's address history."""
    change = whitelist_change_request(
        address=address.address,
        list_key=ListKey.OPERATORS,
        action=action,
        reason=f"Node operator {operator.name} {why}: {address.get_purpose_display().lower()}",
        actor=by,
        reference=f"operators.operator:{operator.public_id}",
    )
    address.whitelist_state = (
        OperatorAddress.WhitelistState.REQUESTED
        if action == "add"
        else OperatorAddress.WhitelistState.REMOVAL_REQUESTED
    )
    address.whitelist_reference = str(change.public_id)
    address.save(update_fields=["whitelist_state", "whitelist_reference", "updated_at"])
