"""Reading a deposit-data JSON file as the staking deposit CLI writes it (`deposit_data-<ts>.json`).

The file is a JSON array of objects with `pubkey`, `withdrawal_credentials`, `amount`, `signature`,
`deposit_message_root`, `deposit_data_root`, `fork_version`, `network_name`, `deposit_cli_version`. Every entry
is checked in full and every problem is reported with the entry's position (1-based, as a person counts) and the
line of the file where the entry starts, so one upload tells the operator everything to fix.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from eth_typing import BLSPubkey, BLSSignature
from py_ecc.bls import G2ProofOfPossession as bls

from operators import ssz
from operators.ethvalues import parse_bls_pubkey, parse_hex, withdrawal_credentials_address

MIN_DEPOSIT_GWEI = 1_000_000_000
MAX_DEPOSIT_GWEI = 2048 * 1_000_000_000  # EIP-7251 (compounding) maximum effective balance
REQUIRED_FIELDS = (
    "pubkey",
    "withdrawal_credentials",
    "amount",
    "signature",
    "deposit_message_root",
    "deposit_data_root",
    "fork_version",
)


@dataclass(frozen=True)
class DepositEntry:
    position: int
    line: int
    pubkey: str  # 0x + 96 hex, lower case
    withdrawal_credentials: str  # 0x + 64 hex
    withdrawal_address: str | None
    amount_gwei: int
    signature: str
    deposit_data_root: str


@dataclass(frozen=True)
class EntryProblem:
    entry: int  # 1-based position in the array
    line: int  # line of the file where the entry starts
    field: str
    message: str

    def __str__(self) -> str:
        return f"Entry {self.entry} (line {self.line}), {self.field}: {self.message}"


@dataclass
class DepositFile:
    entries: list[DepositEntry] = field(default_factory=list)
    problems: list[EntryProblem] = field(default_factory=list)
    signatures_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.entries)


class _LineTracker:
    """Finds the line on which each top-level array element starts, by scanning the raw text once."""

    @staticmethod
    def element_lines(text: str) -> list[int]:
        lines: list[int] = []
        depth = 0
        line = 1
        in_string = escape = expect_value = False
        for ch in text:
            if ch == "\n":
                line += 1
            if in_string:
                if escape:
                    escape = False
                elif ch == "\\":
                    escape = True
                elif ch == '"':
                    in_string = False
                continue
            if depth == 1 and expect_value and not ch.isspace() and ch not in ",]":
                lines.append(line)
                expect_value = False
            if ch == '"':
                in_string = True
            elif ch in "[{":
                depth += 1
                if depth == 1:
                    expect_value = True
            elif ch in "]}":
                depth -= 1
            elif ch == "," and depth == 1:
                expect_value = True
        return lines


def parse_deposit_file(
    raw: bytes,
    *,
    expected_fork_version: str,
    expected_network: str,
    allowed_withdrawal_addresses: set[str],
    verify_signatures: bool,
    signature_limit: int | None = None,
    sample_seed: bytes | None = None,
) -> DepositFile:
    """Check every entry; return the good entries and every problem. Accept the file only if `.ok`.

    `allowed_withdrawal_addresses` are the operator's declared withdrawal addresses (EIP-55); credentials must
    point at one of them (0x01 or 0x02 credentials). A pubkey repeated inside the file is a problem too.
    A BLS signature check costs about 0.3 s in pure Python: with `signature_limit` set and more entries than
    that, a sample of `signature_limit` entries is verified; `signatures_checked` says how many. The sample is
    drawn from `sample_seed`, which the caller derives from a server-side secret and the file (the uploader
    must not be able to compute it: seeded from the file alone, padding the file would pick the sample).
    """
    if verify_signatures and signature_limit is not None and not sample_seed:
        raise ValueError("a signature sample needs a sample_seed the uploader cannot compute")
    result = DepositFile()
    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        result.problems.append(EntryProblem(0, getattr(exc, "lineno", 1), "file", f"not valid JSON ({exc})."))
        return result
    except RecursionError:
        result.problems.append(EntryProblem(0, 1, "file", "not a deposit-data file: its JSON is nested too deeply."))
        return result
    if not isinstance(data, list):
        result.problems.append(EntryProblem(0, 1, "file", "must be a JSON array of deposit entries."))
        return result
    if not data:
        result.problems.append(EntryProblem(0, 1, "file", "holds no deposit entries."))
        return result
    lines = _LineTracker.element_lines(text)
    to_verify: set[int] | None = None  # None: every entry
    if verify_signatures and signature_limit is not None and len(data) > signature_limit:
        # random.Random only spreads the secret seed over the positions; the unpredictability is the seed's.
        rng = random.Random(sample_seed)  # noqa: S311
        to_verify = set(rng.sample(range(1, len(data) + 1), signature_limit))
    seen: dict[str, int] = {}
    allowed = {a.lower() for a in allowed_withdrawal_addresses}
    for position, item in enumerate(data, start=1):
        line = lines[position - 1] if position - 1 < len(lines) else 1
        problems: list[EntryProblem] = []

        def problem(
            field_name: str,
            message: str,
            position: int = position,
            line: int = line,
            problems: list[EntryProblem] = problems,
        ) -> None:
            problems.append(EntryProblem(position, line, field_name, message))

        if not isinstance(item, dict):
            problem("entry", "must be a JSON object.")
            result.problems.extend(problems)
            continue
        missing = [f for f in REQUIRED_FIELDS if f not in item]
        if missing:
            problem("entry", f"missing field(s) {', '.join(missing)}.")
            result.problems.extend(problems)
            continue
        values: dict[str, bytes] = {}
        for name, length in (
            ("withdrawal_credentials", 32),
            ("signature", 96),
            ("deposit_message_root", 32),
            ("deposit_data_root", 32),
            ("fork_version", 4),
        ):
            try:
                values[name] = parse_hex(item[name], length=length, what=name)
            except ValueError as exc:
                problem(name, str(exc))
        pubkey = ""
        try:
            pubkey = parse_bls_pubkey(item["pubkey"])
        except ValueError as exc:
            problem("pubkey", str(exc))
        amount = item["amount"]
        if isinstance(amount, str) and amount.isdigit():
            amount = int(amount)
        if isinstance(amount, bool) or not isinstance(amount, int):
            problem("amount", "must be a whole number of gwei.")
            amount = None
        elif not MIN_DEPOSIT_GWEI <= amount <= MAX_DEPOSIT_GWEI:
            problem("amount", f"must be between {MIN_DEPOSIT_GWEI} and {MAX_DEPOSIT_GWEI} gwei; got {amount}.")
            amount = None

        fork_version = values.get("fork_version")
        if fork_version is not None and fork_version.hex() != expected_fork_version:
            problem(
                "fork_version",
                f"{fork_version.hex()} is not this pool's network ({expected_network}, fork version "
                f"{expected_fork_version}).",
            )
        network_name = item.get("network_name")
        if network_name is not None and network_name != expected_network:
            problem("network_name", f"'{network_name}' is not this pool's network ({expected_network}).")

        withdrawal_address = None
        credentials = values.get("withdrawal_credentials")
        if credentials is not None:
            withdrawal_address = withdrawal_credentials_address(credentials)
            if withdrawal_address is None:
                problem(
                    "withdrawal_credentials",
                    "must be execution-address credentials (0x01 or 0x02 followed by 11 zero bytes and the address); "
                    "BLS (0x00) credentials are not accepted.",
                )
            elif withdrawal_address.lower() not in allowed:
                declared = ", ".join(sorted(allowed_withdrawal_addresses)) or "none declared yet"
                problem(
                    "withdrawal_credentials",
                    f"point at {withdrawal_address}, which is not a withdrawal address declared by this operator "
                    f"({declared}).",
                )

        if pubkey:
            if pubkey in seen:
                problem("pubkey", f"appears again: entry {seen[pubkey]} has the same key.")
            else:
                seen[pubkey] = position

        if pubkey and credentials is not None and amount is not None and "deposit_message_root" in values:
            pk = bytes.fromhex(pubkey[2:])
            message_root = ssz.deposit_message_root(pubkey=pk, withdrawal_credentials=credentials, amount=amount)
            if message_root != values["deposit_message_root"]:
                problem("deposit_message_root", f"does not match the entry's contents (expected {message_root.hex()}).")
            elif "signature" in values and "deposit_data_root" in values:
                data_root = ssz.deposit_data_root(
                    pubkey=pk, withdrawal_credentials=credentials, amount=amount, signature=values["signature"]
                )
                if data_root != values["deposit_data_root"]:
                    problem("deposit_data_root", f"does not match the entry's contents (expected {data_root.hex()}).")
                elif (
                    verify_signatures
                    and fork_version is not None
                    and not problems
                    and (to_verify is None or position in to_verify)
                ):
                    result.signatures_checked += 1
                    domain = ssz.compute_deposit_domain(fork_version)
                    if not bls.Verify(
                        BLSPubkey(pk), ssz.signing_root(message_root, domain), BLSSignature(values["signature"])
                    ):
                        problem("signature", "is not a valid deposit signature by this key for this network.")

        if problems:
            result.problems.extend(problems)
            continue
        assert credentials is not None and amount is not None  # noqa: S101 - guaranteed by the checks above
        result.entries.append(
            DepositEntry(
                position=position,
                line=line,
                pubkey=pubkey,
                withdrawal_credentials="0x" + credentials.hex(),
                withdrawal_address=withdrawal_address,
                amount_gwei=amount,
                signature="0x" + values["signature"].hex(),
                deposit_data_root="0x" + values["deposit_data_root"].hex(),
            )
        )
    return result


def make_deposit_entry(
    *, secret_key: int, withdrawal_address: str, amount_gwei: int, fork_version: str, network_name: str
) -> dict[str, Any]:
    """Build one entry exactly as the deposit CLI would (used by tests and the demo seed)."""
    pubkey = bls.SkToPk(secret_key)
    credentials = b"\x01" + b"\x00" * 11 + bytes.fromhex(withdrawal_address[2:])
    fork = bytes.fromhex(fork_version)
    message_root = ssz.deposit_message_root(pubkey=pubkey, withdrawal_credentials=credentials, amount=amount_gwei)
    signature = bls.Sign(secret_key, ssz.signing_root(message_root, ssz.compute_deposit_domain(fork)))
    data_root = ssz.deposit_data_root(
        pubkey=pubkey, withdrawal_credentials=credentials, amount=amount_gwei, signature=signature
    )
    return {
        "pubkey": pubkey.hex(),
        "withdrawal_credentials": credentials.hex(),
        "amount": amount_gwei,
        "signature": signature.hex(),
        "deposit_message_root": message_root.hex(),
        "deposit_data_root": data_root.hex(),
        "fork_version": fork_version,
        "network_name": network_name,
        "deposit_cli_version": "2.7.0",
    }
