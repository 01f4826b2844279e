"""Wallet address normalisation: one canonical form per address so that every case and checksum form of a
listed address finds it with a single indexed equality lookup (constant time, whatever the list size)."""

from __future__ import annotations

import re

_EVM = re.compile(r"^0x[0-9a-fA-F]{40}$")
# Base58/bech32 and other chains' addresses: case is significant there, so they are kept as published.
_OTHER = re.compile(r"^[0-9A-Za-z]{20,128}$")


def normalise_address(value: str) -> str:
    """EVM addresses in lower case (EIP-55 checksum casing is presentation only); other chains stripped but
    case-preserved; empty string when the value is not an address at all."""
    value = (value or "").strip().strip(".,;")
    if value[:2] in ("0X",):
        value = "0x" + value[2:]
    if _EVM.match(value):
        return value.lower()
    if len(value) == 40 and re.fullmatch(r"[0-9a-fA-F]{40}", value):
        return "0x" + value.lower()  # published without its 0x prefix
    if _OTHER.match(value):
        return value
    return ""


def is_evm_address(value: str) -> bool:
    return bool(_EVM.match(value.strip()))
