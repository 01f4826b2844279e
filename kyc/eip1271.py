"""EIP-1271 contract-wallet signature check through a JSON-RPC `eth_call`.

Deliberately small and free of web3 (only `whitelist/chain.py` imports web3): two JSON-RPC calls over
HTTP with a timeout, ABI encoding with eth_abi.
"""

from __future__ import annotations

import itertools

import requests
from eth_abi import encode

MAGIC_VALUE = bytes.fromhex("1626ba7e")  # bytes4(keccak256("isValidSignature(bytes32,bytes)"))

_ids = itertools.count(1)


class ChainUnavailable(Exception):
    """The RPC endpoint could not answer (network, timeout, JSON-RPC error)."""


def _rpc(url: str, method: str, params: list[object], timeout: float) -> str:
    payload = {"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": params}
    try:
        response = requests.post(url, json=payload, timeout=timeout)
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ChainUnavailable(f"the RPC endpoint did not answer {method}: {exc.__class__.__name__}") from exc
    if not isinstance(body, dict):
        raise ChainUnavailable(f"the RPC endpoint gave a malformed answer to {method}")
    if "error" in body:
        error = body["error"]
        # A revert is an answer ("not valid"), not an outage.
        message = error.get("message", "") if isinstance(error, dict) else str(error)
        if "revert" in str(message).lower():
            return "0x"
        raise ChainUnavailable(f"the RPC endpoint refused {method}: {message}")
    result = body.get("result")
    if not isinstance(result, str):
        raise ChainUnavailable(f"the RPC endpoint gave no result for {method}")
    return result


def chain_id(*, rpc_url: str, timeout: float) -> int:
    return int(_rpc(rpc_url, "eth_chainId", [], timeout), 16)


def has_code(*, rpc_url: str, address: str, timeout: float) -> bool:
    code = _rpc(rpc_url, "eth_getCode", [address, "latest"], timeout)
    return code not in ("0x", "0x0", "")


def is_valid_signature(*, rpc_url: str, contract: str, digest: bytes, signature: bytes, timeout: float) -> bool:
    """Ask `contract.isValidSignature(digest, signature)`; true only for the EIP-1271 magic value."""
    data = MAGIC_VALUE + encode(["bytes32", "bytes"], [digest, signature])
    result = _rpc(rpc_url, "eth_call", [{"to": contract, "data": "0x" + data.hex()}, "latest"], timeout)
    raw = bytes.fromhex(result[2:]) if result.startswith("0x") else b""
    return len(raw) >= 4 and raw[:4] == MAGIC_VALUE
