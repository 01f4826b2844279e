"""Safe mode: the portal holds no key. A batch becomes a Safe Transaction Builder JSON file that the
owners import (Safe{Wallet} > Apps > Transaction Builder > drag and drop), sign and execute; the sync then
follows the execution through the contract's events, matched by the batch id."""

from __future__ import annotations

import json
import time
from typing import Any

from eth_utils import keccak

from whitelist.chain import artifact, decode_batch_calldata
from whitelist.models import Batch


def _js_json(value: Any) -> str:
    # JSON.stringify for what a batch file holds: strings, integers, booleans, null, lists of strings.
    if isinstance(value, float):
        raise TypeError("the Transaction Builder checksum is only reproducible for integers")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _serialize(value: Any) -> str:
    """The Builder's `serializeJSONObject` (apps/tx-builder/src/lib/checksum.ts in safe-react-apps): arrays as
    `[a,b]`; objects as `{` + the JSON array of their sorted keys + each value followed by a comma + `}`."""
    if isinstance(value, list):
        return "[" + ",".join(_serialize(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value)
        return "{" + _js_json(keys) + "".join(_serialize(value[k]) + "," for k in keys) + "}"
    return _js_json(value)


def transaction_builder_checksum(batch_file: dict[str, Any]) -> str:
    """`meta.checksum` as the Transaction Builder computes it (`calculateChecksum`): keccak-256 of the
    serialised file with `meta.name` set to null. The Builder checks it on import after deleting
    `meta.checksum`, so it is computed over the file without that key; a mismatch shows the warning
    "This batch contains some changed properties since you saved or downloaded it"."""
    return "0x" + keccak(text=_serialize({**batch_file, "meta": {**batch_file["meta"], "name": None}})).hex()


def safe_transaction_builder_json(*, batch: Batch, safe_address: str) -> dict[str, Any]:
    """The Transaction Builder's batch file format (version 1.0) with its checksum. The call is given as the
    contract method and its values, not as raw data, so the Builder shows the signers the method and the
    address list and encodes the call itself; the values are decoded from the stored calldata, so that
    encoding is the portal's calldata byte for byte."""
    method = next(
        item
        for item in artifact()["abi"]
        if item.get("type") == "function" and item["name"] == ("addBatch" if batch.action == "add" else "removeBatch")
    )
    _, addresses, _, _ = decode_batch_calldata(batch.calldata)  # in calldata order, so both views agree
    values: dict[str, str] = {"accounts": "[" + ",".join(addresses) + "]", "batchId": batch.batch_id}
    if batch.action == "add":
        values["until"] = str(batch.valid_until)
    batch_file: dict[str, Any] = {
        "version": "1.0",
        "chainId": str(batch.deployment.chain_id),
        "createdAt": int(time.time() * 1000),
        "meta": {
            "name": f"ClayStack whitelist batch {batch.pk}: {batch.action} {batch.size} on {batch.list_key}",
            "description": (
                f"Batch id {batch.batch_id}. The call below encodes to the portal's recorded calldata "
                f"(keccak-256 {'0x' + keccak(hexstr=batch.calldata).hex()})."
            ),
            "txBuilderVersion": "1.16.5",
            "createdFromSafeAddress": safe_address,
            "createdFromOwnerAddress": "",
        },
        "transactions": [
            {
                "to": batch.deployment.address,
                "value": "0",
                # null, as in the Builder's own files: with data present it would show "Custom hex data".
                "data": None,
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
    batch_file["meta"]["checksum"] = transaction_builder_checksum(batch_file)
    return batch_file
