"""Checks on what applicants type in and upload. Each failure names the field and what is accepted."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from kyc.countries import COUNTRY_CODES

_LEI_RE = re.compile(r"^[0-9A-Z]{18}[0-9]{2}$")


def lei_checksum_ok(lei: str) -> bool:
    """ISO 17442 check digits: ISO 7064 MOD 97-10 over the 20 characters, letters as 10..35, remainder 1."""
    digits = "".join(str(int(ch, 36)) for ch in lei)
    return int(digits) % 97 == 1


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


def validate_country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise ValidationError(
            f"“{value}” is not an ISO 3166-1 alpha-2 country code (two letters, for example GB, DE, SG).",
            code="country",
        )
    return code


# Document sniffing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SniffedType:
    content_type: str
    extensions: frozenset[str]


PDF = SniffedType("application/pdf", frozenset({".pdf"}))
JPEG = SniffedType("image/jpeg", frozenset({".jpg", ".jpeg"}))
PNG = SniffedType("image/png", frozenset({".png"}))
ACCEPTED_DESCRIPTION = "a PDF, JPEG or PNG file"


def _looks_like_complete_pdf(head: bytes, tail: bytes) -> bool:
    # A PDF ends with "%%EOF" (optionally followed by a line ending); a file cut short in transfer does not.
    return head.startswith(b"%PDF-") and b"%%EOF" in tail[-1024:]


def sniff_document(*, head: bytes, tail: bytes, filename: str) -> SniffedType:
    """Decide the type from the bytes; refuse other types, truncated files and names that disagree.

    `head` is the first few KB and `tail` the last KB of the file.
    """
    ext = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    if head.startswith(b"%PDF-"):
        if not _looks_like_complete_pdf(head, tail):
            raise ValidationError(
                "The PDF is incomplete (it has no end-of-file marker): upload the whole file again.",
                code="truncated_pdf",
            )
        kind = PDF
    elif head.startswith(b"\xff\xd8\xff"):
        if not tail.rstrip(b"\x00").endswith(b"\xff\xd9"):
            raise ValidationError("The JPEG image is incomplete: upload the whole file again.", code="truncated_jpeg")
        kind = JPEG
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        if b"IEND" not in tail[-16:]:
            raise ValidationError("The PNG image is incomplete: upload the whole file again.", code="truncated_png")
        kind = PNG
    else:
        raise ValidationError(
            f"“{filename}” is not {ACCEPTED_DESCRIPTION} (judged from its content, not its name).",
            code="file_type",
        )
    if ext not in kind.extensions:
        raise ValidationError(
            f"“{filename}” is named as {ext or 'a file without extension'} but its content is "
            f"{kind.content_type}: rename it to {' or '.join(sorted(kind.extensions))} or upload the right file.",
            code="extension_mismatch",
        )
    return kind


def max_document_bytes() -> int:
    return int(settings.KYC_DOCUMENT_MAX_BYTES)
