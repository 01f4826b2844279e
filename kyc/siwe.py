"""EIP-4361 (Sign-In with Ethereum) messages: building the challenge and checking what came back.

Only what the portal needs: it builds the message itself and later compares the signed text with the
stored one field by field, so each refusal can say exactly what differs (domain, address, chain, nonce).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak

from core.ethaddress import AddressError, parse_address

STATEMENT = "I confirm that I control this wallet and apply for access to ClayStack's permissioned staking pools."

_HEADER = re.compile(r"^(?P<domain>[^\s]+) wants you to sign in with your Ethereum account:$")


@dataclass(frozen=True)
class SiweMessage:
    domain: str
    address: str
    statement: str
    uri: str
    version: str
    chain_id: int
    nonce: str
    issued_at: str
    expiration_time: str

    def render(self) -> str:
        return (
            f"{self.domain} wants you to sign in with your Ethereum account:\n"
            f"{self.address}\n\n"
            f"{self.statement}\n\n"
            f"URI: {self.uri}\n"
            f"Version: {self.version}\n"
            f"Chain ID: {self.chain_id}\n"
            f"Nonce: {self.nonce}\n"
            f"Issued At: {self.issued_at}\n"
            f"Expiration Time: {self.expiration_time}"
        )


class SiweParseError(ValueError):
    pass


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(
    *, domain: str, address: str, uri: str, chain_id: int, nonce: str, issued_at: dt.datetime, expires_at: dt.datetime
) -> SiweMessage:
    return SiweMessage(
        domain=domain,
        address=address,
        statement=STATEMENT,
        uri=uri,
        version="1",
        chain_id=chain_id,
        nonce=nonce,
        issued_at=rfc3339(issued_at),
        expiration_time=rfc3339(expires_at),
    )


def parse(text: str) -> SiweMessage:
    """Parse the subset of EIP-4361 the portal issues (no resources, no not-before, no request id)."""
    lines = text.replace("\r\n", "\n").split("\n")
    if len(lines) < 10:
        raise SiweParseError("it is not an EIP-4361 message (too few lines)")
    header = _HEADER.match(lines[0])
    if not header:
        raise SiweParseError("its first line is not '<domain> wants you to sign in with your Ethereum account:'")
    address = lines[1].strip()
    try:
        parse_address(address, what="its second line")
    except AddressError as exc:
        raise SiweParseError(str(exc).rstrip(".")) from None
    fields: dict[str, str] = {}
    statement = ""
    for line in lines[2:]:
        if ": " in line and line.split(": ", 1)[0] in {
            "URI",
            "Version",
            "Chain ID",
            "Nonce",
            "Issued At",
            "Expiration Time",
        }:
            name, value = line.split(": ", 1)
            fields[name] = value.strip()
        elif line.strip() and not fields:
            statement = line.strip()
    missing = [n for n in ("URI", "Version", "Chain ID", "Nonce", "Issued At", "Expiration Time") if n not in fields]
    if missing:
        raise SiweParseError(f"it lacks the field(s) {', '.join(missing)}")
    try:
        chain_id = int(fields["Chain ID"])
    except ValueError as exc:
        raise SiweParseError("its Chain ID is not a number") from exc
    return SiweMessage(
        domain=header.group("domain"),
        address=address,
        statement=statement,
        uri=fields["URI"],
        version=fields["Version"],
        chain_id=chain_id,
        nonce=fields["Nonce"],
        issued_at=fields["Issued At"],
        expiration_time=fields["Expiration Time"],
    )


class SignatureFormatError(ValueError):
    pass


def signature_bytes(signature: str) -> bytes:
    """The signature's bytes; empty for `0x` (or nothing), which is what a Safe{Wallet} hands back when its
    owners signed the message on chain (SignMessageLib): only the contract can say whether that is valid."""
    sig = signature.strip()
    if sig.startswith(("0x", "0X")):
        sig = sig[2:]
    try:
        return bytes.fromhex(sig)
    except ValueError as exc:
        raise SignatureFormatError("the signature is not hexadecimal (expected 0x followed by hex digits)") from exc


def recover_signer(message: str, signature: bytes) -> str | None:
    """The EOA that produced an EIP-191 personal_sign signature, or None when none can be recovered."""
    if len(signature) != 65:
        return None
    try:
        return str(Account.recover_message(encode_defunct(text=message), signature=signature))
    except Exception:  # noqa: BLE001 - eth-keys raises several types for malformed (r, s, v); all mean "no signer"
        return None


def eip191_hash(message: str) -> bytes:
    """The digest a contract wallet is asked about (EIP-1271), same prefixing as personal_sign."""
    data = message.encode()
    return keccak(b"\x19Ethereum Signed Message:\n" + str(len(data)).encode() + data)
