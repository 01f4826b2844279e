"""The one module that talks to Ethereum (the only importer of web3 and eth_account).

Everything else in the app sees plain Python values: hex strings, ints, dataclasses, and the exceptions
below. Errors from the node are sorted into what the sync engine must do about them:

- `ChainUnavailable`: the node did not answer (connection refused, timeout, 5xx): retry later, lose nothing.
- `AlreadySubmitted`: "nonce too low", "already known", "replacement transaction underpriced", "same hash
  was already imported": the transaction (or one with its nonce) is already there: look up the receipt.
- `Reverted`: the EVM refused the call; `reason` is decoded from the contract's custom errors.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from eth_typing import HexStr
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    ProviderConnectionError,
    RequestTimedOut,
    TransactionNotFound,
    Web3RPCError,
)

from core.ethaddress import AddressError, parse_address

ARTIFACT_PATH = Path(__file__).resolve().parent / "contracts" / "ClayStackWhitelist.json"
MANAGER_ROLE = "0x" + keccak(text="WHITELIST_MANAGER_ROLE").hex()
ADMIN_ROLE = "0x" + "00" * 32
# EIP-7825 (Fusaka): a transaction may use at most 2**24 gas. Dev nodes do not enforce it, so we do.
TX_GAS_CAP = 16_777_216

WHITELISTED_TOPIC = "0x" + keccak(text="Whitelisted(address,uint64,bytes32)").hex()
REMOVED_TOPIC = "0x" + keccak(text="Removed(address,bytes32)").hex()

_ALREADY_SUBMITTED = (
    "nonce too low",
    "already known",
    "replacement transaction underpriced",
    "same hash was already imported",
    "transaction already imported",
    "known transaction",
)


class ChainError(Exception):
    """The node answered with an error we do not classify further."""


class ChainUnavailable(ChainError):
    """The node could not be reached or timed out: a transient fault, retried with backoff."""


class AlreadySubmitted(ChainError):
    """The node already has this transaction or its nonce was used: find the receipt instead."""

    @property
    def nonce_too_low(self) -> bool:
        return "nonce too low" in str(self).lower()


class Reverted(ChainError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Misconfigured(Exception):
    """A setting is wrong; `setting` names it so the operator knows what to fix."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting


@cache
def artifact() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ARTIFACT_PATH.read_text())
    return data


def checksum(address: str) -> str:
    """EIP-55 form of a 0x-prefixed 40-hex-digit address (`core.ethaddress.parse_address`); ValueError for
    anything else, and for the zero address."""
    try:
        fixed = parse_address(address, what="it")
    except AddressError as exc:
        raise ValueError(str(exc).rstrip(".")) from None
    if int(fixed, 16) == 0:
        raise ValueError("the zero address cannot be whitelisted")
    return fixed


def list_key_bytes(list_key: str) -> str:
    return "0x" + keccak(text=list_key).hex()


# Signing --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedTx:
    raw: str
    tx_hash: str


@dataclass(frozen=True)
class Signer:
    """A private key held in memory only. repr() never shows it, so it cannot end up in a log."""

    address: str
    _key: bytes = field(repr=False)

    def sign(self, tx: dict[str, Any]) -> SignedTx:
        signed = Account.sign_transaction(tx, self._key)
        return SignedTx(raw="0x" + signed.raw_transaction.hex(), tx_hash="0x" + signed.hash.hex())

    def __str__(self) -> str:
        return f"Signer({self.address})"


def signer_from_key(key: str, *, setting: str = "WHITELIST_SIGNER_KEY") -> Signer:
    try:
        account = Account.from_key(key.strip())
    except Exception:  # noqa: BLE001 - eth_account raises several types; none may echo the key
        raise Misconfigured(setting, "is not a valid 32-byte hex private key") from None
    return Signer(address=account.address, _key=bytes(account.key))


def signer_from_keystore(path: str, password: str) -> Signer:
    try:
        blob = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise Misconfigured("WHITELIST_KEYSTORE_PATH", f"cannot read the keystore file {path}: {exc}") from None
    try:
        key = Account.decrypt(blob, password)
    except Exception:  # noqa: BLE001 - wrong password or corrupt file; the message must not leak details
        raise Misconfigured("WHITELIST_KEYSTORE_PASSWORD", "does not decrypt the keystore file") from None
    account = Account.from_key(key)
    return Signer(address=account.address, _key=bytes(account.key))


def keystore_encrypt(key: str, password: str) -> dict[str, Any]:
    """An Ethereum V3 keystore (scrypt) for `key`, for `whitelist_keystore` and tests."""
    result: dict[str, Any] = Account.encrypt(HexStr(key), password)
    return result


def new_private_key() -> str:
    return "0x" + bytes(Account.create().key).hex()


def random_address() -> str:
    """A fresh, checksummed address nobody holds the key of (tests and benchmarks)."""
    return str(Account.create().address)


# Values the sync engine reads --------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    status: int
    block_number: int
    block_hash: str
    gas_used: int
    effective_gas_price: int
    contract_address: str | None = None


@dataclass(frozen=True)
class Fees:
    max_fee: int
    max_priority_fee: int
    base_fee: int


@dataclass(frozen=True)
class ChainEvent:
    kind: str  # "added" or "removed"
    account: str
    valid_until: int
    batch_id: str
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value)
    return text if text.startswith("0x") else "0x" + text


def _classify(exc: Exception) -> Exception:
    if isinstance(exc, requests.exceptions.RequestException | ProviderConnectionError | RequestTimedOut | OSError):
        return ChainUnavailable(f"the node did not answer: {type(exc).__name__}: {exc}")
    message = str(exc)
    if isinstance(exc, Web3RPCError) and isinstance(exc.rpc_response, dict):
        err = exc.rpc_response.get("error")
        if isinstance(err, dict):
            message = str(err.get("message", message))
    lowered = message.lower()
    if any(s in lowered for s in _ALREADY_SUBMITTED):
        return AlreadySubmitted(message)
    return ChainError(message)


def _error_selectors() -> dict[str, tuple[str, list[str]]]:
    out: dict[str, tuple[str, list[str]]] = {}
    for item in artifact()["abi"]:
        if item["type"] == "error":
            types = [i["type"] for i in item["inputs"]]
            sig = f"{item['name']}({','.join(types)})"
            out["0x" + keccak(text=sig).hex()[:8]] = (item["name"], types)
    return out


def decode_revert(data: str | bytes | None) -> str:
    """A person-readable reason from revert data: our custom errors, OpenZeppelin's, Error(string), Panic."""
    from eth_abi import decode

    hexdata = _hex(data) if data else "0x"
    if len(hexdata) < 10:
        return "reverted without a reason"
    selector, body = hexdata[:10], bytes.fromhex(hexdata[10:])
    if selector == "0x08c379a0":
        return str(decode(["string"], body)[0])
    if selector == "0x4e487b71":
        return f"Panic({decode(['uint256'], body)[0]})"
    known = _error_selectors().get(selector)
    if known is None:
        return f"reverted with unknown error {selector}"
    name, types = known
    try:
        values = decode(types, body)
    except Exception:  # noqa: BLE001 - malformed data still deserves a readable answer
        return name
    rendered = ", ".join(_hex(v) if isinstance(v, bytes) else str(v) for v in values)
    return f"{name}({rendered})"


def _revert_data(exc: Exception) -> str | None:
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return data
    if isinstance(data, dict):
        inner = data.get("data")
        if isinstance(inner, str):
            return inner
    return None


def _tester_revert_reason(message: str) -> str:
    import ast

    text = message.removeprefix("execution reverted: ")
    if text.startswith(("b'", 'b"')):
        try:
            return decode_revert(ast.literal_eval(text))
        except (ValueError, SyntaxError):
            pass
    return text


def _raise_reverted(exc: Exception) -> None:
    data = _revert_data(exc)
    raise Reverted(decode_revert(data) if data else str(exc)) from exc


class Chain:
    """A connection to one node. Every method raises ChainUnavailable when the node does not answer."""

    def __init__(self, w3: Web3, *, supports_batch: bool = True) -> None:
        self.w3 = w3
        self.supports_batch = supports_batch

    @classmethod
    def http(cls, url: str, *, timeout: float = 10.0) -> Chain:
        if not url.startswith(("http://", "https://")):
            raise Misconfigured("ETH_RPC_URL", f"must be an http(s):// URL, not {url!r}")
        # No silent retries inside web3: the sync engine decides when to retry, with backoff.
        provider = Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None)
        return cls(Web3(provider))

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ContractLogicError, ContractCustomError):
            raise
        except (requests.exceptions.RequestException, ProviderConnectionError, RequestTimedOut, OSError) as exc:
            raise _classify(exc) from exc
        except Web3RPCError as exc:
            raise _classify(exc) from exc
        except Exception as exc:
            # eth-tester's provider raises its own TransactionFailed with the revert bytes in the message.
            if type(exc).__name__ == "TransactionFailed":
                raise Reverted(_tester_revert_reason(str(exc))) from exc
            raise

    # Node state ------------------------------------------------------------------------------------------
    def chain_id(self) -> int:
        return int(self._call(lambda: self.w3.eth.chain_id))

    def block_number(self) -> int:
        return int(self._call(lambda: self.w3.eth.block_number))

    def block(self, tag: str | int) -> tuple[int, str, int]:
        """(number, hash, timestamp) of a block by number or tag ("latest", "safe", "finalized")."""
        blk = self._call(self.w3.eth.get_block, tag)
        return int(blk["number"]), _hex(blk["hash"]), int(blk["timestamp"])

    def block_hash_at(self, number: int) -> str | None:
        try:
            blk = self._call(self.w3.eth.get_block, number)
        except ChainError:
            return None
        return _hex(blk["hash"]) if blk else None

    def nonce(self, address: str, *, block: str = "pending") -> int:
        return int(self._call(self.w3.eth.get_transaction_count, address, block))

    def balance(self, address: str) -> int:
        return int(self._call(self.w3.eth.get_balance, address))

    def code_at(self, address: str) -> bytes:
        return bytes(self._call(self.w3.eth.get_code, address))

    def suggest_fees(self) -> Fees:
        """EIP-1559 fees: the node's priority-fee suggestion and twice the latest base fee as headroom."""
        blk = self._call(self.w3.eth.get_block, "latest")
        base = int(blk.get("baseFeePerGas", 0) or 0)
        try:
            tip = int(self._call(lambda: self.w3.eth.max_priority_fee))
        except ChainError:
            tip = 1_000_000_000
        return Fees(max_fee=2 * base + tip, max_priority_fee=tip, base_fee=base)

    # Transactions ----------------------------------------------------------------------------------------
    def send_raw(self, raw: str) -> str:
        return _hex(self._call(self.w3.eth.send_raw_transaction, raw))

    def receipt(self, tx_hash: str) -> Receipt | None:
        try:
            rec = self._call(self.w3.eth.get_transaction_receipt, tx_hash)
        except TransactionNotFound:
            return None
        except ChainError as exc:
            if isinstance(exc, ChainUnavailable) or "not found" not in str(exc).lower():
                raise
            return None
        if rec is None:
            return None
        created = rec.get("contractAddress")
        return Receipt(
            tx_hash=_hex(rec["transactionHash"]),
            status=int(rec["status"]),
            block_number=int(rec["blockNumber"]),
            block_hash=_hex(rec["blockHash"]),
            gas_used=int(rec["gasUsed"]),
            effective_gas_price=int(rec.get("effectiveGasPrice", 0) or 0),
            contract_address=str(created) if created else None,
        )

    def _transaction(self, tx_hash: str) -> Any | None:
        """The node's view of a transaction (in its pool or mined), or None if it does not know it."""
        try:
            return self._call(self.w3.eth.get_transaction, tx_hash)
        except TransactionNotFound:
            return None
        except ChainError as exc:
            if isinstance(exc, ChainUnavailable) or "not found" not in str(exc).lower():
                raise
            return None

    def is_pending(self, tx_hash: str) -> bool:
        """Whether the node still knows the transaction (in its pool or mined)."""
        return self._transaction(tx_hash) is not None

    def transaction_input(self, tx_hash: str) -> tuple[str | None, bytes, int | None] | None:
        """(to, input, block number or None while pending) of a transaction, or None if the node has not
        seen it. The audit trail's anchors are read back this way."""
        tx = self._transaction(tx_hash)
        if tx is None:
            return None
        to = tx.get("to")
        block = tx.get("blockNumber")
        return (str(to) if to else None, bytes(tx["input"]), int(block) if block is not None else None)

    def replay_reason(self, *, sender: str, to: str, data: str, block: int) -> str:
        """Why a mined transaction reverted: the same call replayed on the state it ran against."""
        try:
            self._call(self.w3.eth.call, {"from": sender, "to": to, "data": data}, block)
        except (ContractLogicError, ContractCustomError) as exc:
            data_hex = _revert_data(exc)
            return decode_revert(data_hex) if data_hex else str(exc)
        except Reverted as exc:
            return exc.reason
        except ChainError as exc:
            return str(exc)
        return "reverted (the call succeeds when replayed: probably out of gas)"

    def estimate_gas(self, *, sender: str, to: str | None, data: str) -> int:
        tx: dict[str, Any] = {"from": sender, "data": data}
        if to:
            tx["to"] = to
        try:
            return int(self._call(self.w3.eth.estimate_gas, tx))
        except (ContractLogicError, ContractCustomError) as exc:
            _raise_reverted(exc)
        except Reverted:
            raise
        except ChainError as exc:
            if "revert" in str(exc).lower():
                raise Reverted(str(exc)) from exc
            raise
        raise AssertionError("unreachable")

    def build_tx(self, *, chain_id: int, nonce: int, to: str | None, data: str, gas: int, fees: Fees) -> dict[str, Any]:
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": chain_id,
            "nonce": nonce,
            "data": data,
            "gas": gas,
            "value": 0,
            "maxFeePerGas": fees.max_fee,
            "maxPriorityFeePerGas": fees.max_priority_fee,
        }
        if to:
            tx["to"] = to
        return tx

    # The contract ----------------------------------------------------------------------------------------
    def deploy_data(self, *, admin: str, manager: str, list_key: str) -> str:
        from eth_abi import encode

        args = encode(["address", "address", "bytes32"], [admin, manager, bytes.fromhex(list_key_bytes(list_key)[2:])])
        return str(artifact()["bytecode"]) + args.hex()

    def whitelist(self, address: str) -> WhitelistContract:
        return WhitelistContract(self, address)

    # Test helpers (dev nodes only) ------------------------------------------------------------------------
    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        """A raw JSON-RPC call, for dev-node methods (evm_mine, anvil_reorg...) used by tests and devrun."""
        response = self._call(self.w3.provider.make_request, method, params or [])
        if isinstance(response, dict) and response.get("error"):
            raise _classify(ChainError(str(response["error"].get("message", response["error"]))))
        return response.get("result") if isinstance(response, dict) else response


class WhitelistContract:
    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address = to_checksum_address(address)
        self._c = chain.w3.eth.contract(address=self.address, abi=artifact()["abi"])

    def add_data(self, accounts: Sequence[str], valid_until: int, batch_id: str) -> str:
        return str(self._c.encode_abi("addBatch", [list(accounts), valid_until, batch_id]))

    def remove_data(self, accounts: Sequence[str], batch_id: str) -> str:
        return str(self._c.encode_abi("removeBatch", [list(accounts), batch_id]))

    def _view(self, fn: Any, block: int | str = "latest") -> Any:
        try:
            return self.chain._call(fn.call, block_identifier=block)
        except (ContractLogicError, ContractCustomError) as exc:
            _raise_reverted(exc)

    def has_role(self, role: str, account: str) -> bool:
        return bool(self._view(self._c.functions.hasRole(role, account)))

    def list_key(self) -> str:
        return _hex(self._view(self._c.functions.LIST_KEY()))

    def valid_until(self, account: str, block: int | str = "latest") -> int:
        return int(self._view(self._c.functions.validUntil(account), block))

    def is_whitelisted(self, account: str, block: int | str = "latest") -> bool:
        return bool(self._view(self._c.functions.isWhitelisted(account), block))

    def valid_until_many(self, accounts: Sequence[str], block: int | str = "latest", *, chunk: int = 2000) -> list[int]:
        """Many entries at one pinned block, `chunk` addresses per eth_call (no Multicall3 needed)."""
        out: list[int] = []
        for i in range(0, len(accounts), chunk):
            part = list(accounts[i : i + chunk])
            out.extend(int(v) for v in self._view(self._c.functions.validUntilMany(part), block))
        return out

    def events(self, from_block: int, to_block: int, *, chunk_blocks: int = 5000) -> Iterable[ChainEvent]:
        """Every Whitelisted/Removed event in the range, oldest first, fetched `chunk_blocks` at a time.

        Decoded by hand from topics and data: for 10,000 events web3's ABI decoder costs seconds."""
        start = from_block
        while start <= to_block:
            end = min(to_block, start + chunk_blocks - 1)
            logs = self.chain._call(
                self.chain.w3.eth.get_logs,
                {
                    "address": self.address,
                    "fromBlock": start,
                    "toBlock": end,
                    "topics": [[WHITELISTED_TOPIC, REMOVED_TOPIC]],
                },
            )
            for log in logs:
                topic0 = _hex(log["topics"][0])
                account = to_checksum_address("0x" + _hex(log["topics"][1])[-40:])
                data = _hex(log["data"])[2:]
                if topic0 == WHITELISTED_TOPIC:
                    kind, until, batch = "added", int(data[0:64], 16), "0x" + data[64:128]
                else:
                    kind, until, batch = "removed", 0, "0x" + data[0:64]
                yield ChainEvent(
                    kind=kind,
                    account=account,
                    valid_until=until,
                    batch_id=batch,
                    block_number=int(log["blockNumber"]),
                    block_hash=_hex(log["blockHash"]),
                    tx_hash=_hex(log["transactionHash"]),
                    log_index=int(log["logIndex"]),
                )
            start = end + 1


def bump_fee(value: int, ceiling: int) -> int:
    """+12.5 %, rounded up, capped at the ceiling: geth wants +10 % on both fields; Hardhat refuses an exact
    +10 % rounded down, so 12.5 % rounded up clears every node's replacement rule."""
    return min(ceiling, math.ceil(value * 9 / 8))


# In-process chain for unit tests --------------------------------------------------------------------------


def eth_tester_chain() -> tuple[Chain, list[str]]:
    """A fresh py-evm chain in this process and its funded test keys (tests only)."""
    from eth_tester import EthereumTester, PyEVMBackend  # type: ignore[import-not-found,unused-ignore]
    from web3 import EthereumTesterProvider

    backend = PyEVMBackend()
    tester = EthereumTester(backend=backend)
    w3 = Web3(EthereumTesterProvider(tester))
    keys = [k.to_hex() for k in backend.account_keys]
    chain = Chain(w3, supports_batch=False)
    chain.tester = tester  # type: ignore[attr-defined]
    return chain, keys


def decode_batch_calldata(data: str) -> tuple[str, list[str], int, str]:
    """(function name, accounts in calldata order, valid-until or 0, batch id) of an addBatch/removeBatch call."""
    contract = Web3().eth.contract(abi=artifact()["abi"])
    fn, args = contract.decode_function_input(data)
    accounts = [str(to_checksum_address(a)) for a in args["accounts"]]
    return str(fn.fn_name), accounts, int(args.get("until", 0)), _hex(args["batchId"])
