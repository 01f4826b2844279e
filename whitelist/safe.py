"""Safe mode: the portal holds no key. A batch becomes a Safe Transaction Builder JSON file that the
owners import (Safe{Wallet} > Apps > Transaction Builder > drag and drop), sign and execute; the sync then
follows the execution through the contract's events, matched by the batch id."""

from __future__ import annotations

import time
from typing import Any

from whitelist.chain import artifact, decode_batch_calldata
from whitelist.models import Batch


def safe_transaction_builder_json(*, batch: Batch, safe_address: str) -> dict[str, Any]:
    """The Transaction Builder's batch file format (version 1.0), with the decoded call for the reviewers."""
    method = next(
        item
        for item in artifact()["abi"]
        if item.get("type") == "function" and item["name"] == ("addBatch" if batch.action == "add" else "removeBatch")
    )
    _, addresses, _, _ = decode_batch_calldata(batch.calldata)  # in calldata order, so both views agree
    values: dict[str, str] = {"accounts": "[" + ",".join(addresses) + "]", "batchId": batch.batch_id}
    if batch.action == "add":
        values["until"] = str(batch.valid_until)
    return {
        "version": "1.0",
        "chainId": str(batch.deployment.chain_id),
        "createdAt": int(time.time() * 1000),
        "meta": {
            "name": f"ClayStack whitelist batch {batch.pk}: {batch.action} {batch.size} on {batch.list_key}",
            "description": f"Batch id {batch.batch_id}. Calldata identical to the portal's record.",
            "txBuilderVersion": "1.16.5",
            "createdFromSafeAddress": safe_address,
            "createdFromOwnerAddress": "",
            "checksum": "",
        },
        "transactions": [
            {
                "to": batch.deployment.address,
                "value": "0",
                "data": batch.calldata,
                "contractMethod": {
                    "inputs": [
                        {"internalType": i["internalType"], "name": i["name"], "type": i["type"]}
                        for i in method["inputs"]
                    ],
                    "name": method["name"],
                    "payable": False,
                },
                "contractInputsValues": values,
            }
        ],
    }
