"""Parsing of the Ethereum values operators hand us: BLS public keys and withdrawal credentials (addresses are
parsed by `core.ethaddress.parse_address`, the one address parser of the project).

Each parser returns the canonical form or raises `ValueError` with a message that names what is accepted, so
forms, the API and the deposit-data importer report the same words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from eth_typing import BLSPubkey
from eth_utils import to_checksum_address
from py_ecc.bls import G2ProofOfPossession as bls
from py_ecc.bls.g2_primitives import pubkey_to_G1
from py_ecc.optimized_bls12_381 import is_inf

_HEX = re.compile(r"^[0-9a-f]*$")


def _strip_hex(value: str) -> str:
    value = value.strip().lower()
    return value[2:] if value.startswith("0x") else value


def parse_hex(value: object, *, length: int, what: str) -> bytes:
    """`length` bytes given as hex, with or without 0x."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a hex string of {length} bytes.")
    raw = _strip_hex(value)
    if not _HEX.match(raw):
        raise ValueError(f"{what} must be hexadecimal (0-9, a-f).")
    if len(raw) != length * 2:
        raise ValueError(f"{what} must be {length} bytes ({length * 2} hex characters); got {len(raw) // 2} bytes.")
    return bytes.fromhex(raw)


@lru_cache(maxsize=4096)
def _is_valid_g1(pubkey: bytes) -> bool:
    # KeyValidate: a compressed point on the curve, in the G1 subgroup, not the point at infinity.
    try:
        if is_inf(pubkey_to_G1(BLSPubkey(pubkey))):
            return False
    except (ValueError, AssertionError):
        return False
    return bool(bls.KeyValidate(BLSPubkey(pubkey)))


def parse_bls_pubkey(value: object) -> str:
    """A validator public key: 48 bytes, a valid compressed BLS12-381 G1 point. Returns 0x + 96 lower-case hex."""
    raw = parse_hex(value, length=48, what="A BLS public key")
    if not _is_valid_g1(raw):
        raise ValueError("This is not a valid BLS12-381 public key (not a compressed point of the G1 subgroup).")
    return "0x" + raw.hex()


def withdrawal_credentials_address(credentials: bytes) -> str | None:
    """The execution address of 0x01 / 0x02 credentials, None for BLS (0x00) credentials."""
    if credentials[0] in (1, 2) and credentials[1:12] == b"\x00" * 11:
        return to_checksum_address(credentials[12:])
    return None


def withdrawal_credentials_for(address: str, *, prefix: int = 1) -> bytes:
    return bytes([prefix]) + b"\x00" * 11 + bytes.fromhex(_strip_hex(address))
