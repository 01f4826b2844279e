"""Checks on identifiers several apps take from applicants (organisations in accounts, company profiles in kyc).
Each failure is a ValidationError whose message says what is wrong and what is accepted."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

_LEI_RE = re.compile(r"^[0-9A-Z]{18}[0-9]{2}$")


def lei_checksum_ok(lei: str) -> bool:
    """ISO 17442 check digits: ISO 7064 MOD 97-10 over the 20 characters, letters as 10..35, remainder 1."""
    try:
        # python-stdnum, when installed, is the reference implementation; the arithmetic below is the same rule.
        from stdnum import lei as stdnum_lei  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        digits = "".join(str(int(ch, 36)) for ch in lei)
        return int(digits) % 97 == 1
    return bool(stdnum_lei.is_valid(lei))


def validate_lei(value: str) -> str:
    lei = value.strip().upper().replace(" ", "")
    if len(lei) != 20:
        raise ValidationError(f"An LEI has exactly 20 characters; this one has {len(lei)}.", code="lei_length")
    if not _LEI_RE.match(lei):
        raise ValidationError(
            "An LEI is 18 letters or digits followed by 2 check digits (ISO 17442).", code="lei_format"
        )
    if not lei_checksum_ok(lei):
        raise ValidationError(
            "The LEI's check digits do not match (ISO 17442 / ISO 7064 MOD 97-10): check for a typing error.",
            code="lei_checksum",
        )
    return lei
