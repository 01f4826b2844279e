"""What the Safe Transaction Builder does with an imported batch file, written out from its source
(safe-global/safe-react-apps, apps/tx-builder: `validateChecksum` in src/lib/checksum.ts, `encodeToHexData`
and `parseInputValue` in src/utils.ts), so tests can check the portal's export the way the Builder will."""

from __future__ import annotations

import copy
from typing import Any

from eth_abi import encode
from eth_utils import keccak

from whitelist.safe import transaction_builder_checksum


def builder_accepts_checksum(batch_file: dict[str, Any]) -> bool:
    """`validateChecksum`: delete meta.checksum, recompute, compare."""
    target = copy.deepcopy(batch_file)
    checksum = target["meta"].pop("checksum", None)
    return transaction_builder_checksum(target) == checksum


def _parse_string_to_array(value: str) -> list[str]:
    # parseStringToArray: drop the outer brackets, split on commas outside nested brackets, trim each item.
    items: list[str] = []
    depth = 0
    current = ""
    for char in value.strip()[1:-1]:
        if char == "," and depth == 0:
            items.append(current.strip())
            current = ""
            continue
        depth += char == "["
        depth -= char == "]"
        current += char
    if current.strip() or items:
        items.append(current.strip())
    return items


def _parse_input(field_type: str, value: str) -> Any:
    value = value.strip()
    if field_type.endswith("[]"):
        base = field_type[:-2]
        return [_parse_input(base, item.replace('"', "").replace("'", "")) for item in _parse_string_to_array(value)]
    if field_type == "bool":
        return value.lower() == "true"
    if field_type.startswith(("uint", "int")):
        return int(value)
    if field_type.startswith("bytes"):
        return bytes.fromhex(value[2:])
    return value


def builder_encode(transaction: dict[str, Any]) -> str:
    """The calldata the Builder sends for a transaction: its `data` if present, else `encodeToHexData` of
    the contract method and the values typed (or imported) in its form."""
    if transaction.get("data"):
        return str(transaction["data"])
    method = transaction["contractMethod"]
    types = [i["type"] for i in method["inputs"]]
    values = [
        _parse_input(i["type"], transaction["contractInputsValues"].get(i["name"]) or "") for i in method["inputs"]
    ]
    selector = keccak(text=f"{method['name']}({','.join(types)})")[:4]
    return "0x" + (selector + encode(types, values)).hex()
