"""The operators' side of the whitelist: hand an approved operator's addresses to the whitelist app's outbox.

This module is the only place that knows the whitelist app's service, so a change of its signature is one edit.
It runs inside the approval transaction: the whitelist change rows commit (or roll back) with the decision.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from operators.models import OperatorAddress, OperatorProfile

logger = logging.getLogger(__name__)
OPERATORS_LIST = "operators"


def _service() -> Any:
    try:
        module = importlib.import_module("whitelist.services")
    except ImportError:
        return None
    return getattr(module, "whitelist_change_request", None)


def operator_addresses_request_whitelisting(*, operator: OperatorProfile, by: Any, action: str = "add") -> int:
    """Ask the whitelist to add (or remove) every address of the operator. Returns how many were requested.

    When the whitelist app offers no service yet, each address is marked `unavailable` so staff see that the
    step is still owed, and nothing is lost: approving again after the service lands requests them.
    """
    request = _service()
    addresses = list(operator.addresses.all())
    if request is None:
        OperatorAddress.objects.filter(pk__in=[a.pk for a in addresses]).update(
            whitelist_state=OperatorAddress.WhitelistState.UNAVAILABLE
        )
        logger.warning(
            "whitelist.services.whitelist_change_request is not available; %s addresses wait", len(addresses)
        )
        return 0
    for address in addresses:
        change = request(
            address=address.address,
            action=action,
            list_key=OPERATORS_LIST,
            reason=f"Operator {operator.name} ({operator.public_id}) {action}: {address.get_purpose_display()}",
            reference=str(operator.public_id),
            by=by,
        )
        address.whitelist_state = OperatorAddress.WhitelistState.REQUESTED
        address.whitelist_reference = str(getattr(change, "pk", "") or "")
        address.save(update_fields=["whitelist_state", "whitelist_reference", "updated_at"])
    return len(addresses)
