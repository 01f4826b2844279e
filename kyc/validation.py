"""Checks on what applicants type in and upload. Each failure names the field and what is accepted."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

# Re-exported: the LEI checks moved to core (organisations need them too); kyc callers import them from here.
from core.identifiers import lei_checksum_ok as lei_checksum_ok
from core.identifiers import validate_lei as validate_lei
from kyc.countries import COUNTRY_CODES


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
