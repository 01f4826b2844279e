"""The one parser of Ethereum (execution-layer) addresses typed or pasted by people: wallets on an application,
an operator's withdrawal and fee-recipient addresses, cluster members, whitelist entries, the SIWE message.

ERC-55: an address in one case (all lower or all upper hex digits) carries no checksum and is accepted; a
mixed-case address carries one and must match it exactly, because a mixed-case address with one letter's
case flipped is almost always a typo of a different address. The `0x` prefix is required: a bare 40-digit
hex string is as likely a fragment of a hash or key as an address. (eth-utils' `is_address` no longer
checks the checksum, so it is not used for this.)
"""

from __future__ import annotations

import re

from eth_utils import keccak

_HEX40 = re.compile(r"[0-9a-fA-F]{40}")


class AddressError(ValueError):
    """Not an address, or a mixed-case address whose ERC-55 checksum does not match. `code` names which."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def to_checksum(hex40: str) -> str:
    """ERC-55 form of 40 hex digits (any case): a letter is upper case where the matching nibble of
    keccak256(lower-case hex text) is 8 or more."""
    lower = hex40.lower()
    digest = keccak(text=lower).hex()
    return "0x" + "".join(c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(lower))


def parse_address(value: object, *, what: str = "An Ethereum address") -> str:
    """`value` as an ERC-55 checksummed address, or `AddressError` naming what is wrong (in words for a form).

    Surrounding white space is ignored; the `0x` prefix is required (either case of the x)."""
    text = value.strip() if isinstance(value, str) else ""
    if not (len(text) == 42 and text[:2] in ("0x", "0X") and _HEX40.fullmatch(text[2:])):
        hint = " (the 0x prefix is missing)" if isinstance(value, str) and _HEX40.fullmatch(text) else ""
        raise AddressError(f"{what} must be 0x followed by 40 hexadecimal characters{hint}.", code="address_format")
    body = text[2:]
    fixed = to_checksum(body)
    if body != body.lower() and body != body.upper() and fixed[2:] != body:
        raise AddressError(
            f"{what} has mixed case that does not match its EIP-55 checksum: it was probably mistyped; "
            "copy it again from the wallet.",
            code="address_checksum",
        )
    return fixed
