from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from kyc.tests.factories import ELF_BYTES, JPEG_BYTES, PDF_BYTES, PNG_BYTES, REAL_LEI
from kyc.validation import lei_checksum_ok, sniff_document, validate_country, validate_lei

GLEIF = Path(settings.BASE_DIR).parent / "shared" / "data" / "kyb" / "gleif_lei_records_flat.csv"


def test_a_real_lei_is_accepted_and_normalised() -> None:
    assert validate_lei(" 21380068p1drhmj8ku70 ") == REAL_LEI


@pytest.mark.skipif(not GLEIF.exists(), reason="GLEIF excerpt in ../shared/data is absent (fresh clone)")
def test_every_lei_in_the_gleif_excerpt_passes_the_check_digits() -> None:
    with GLEIF.open(newline="", encoding="utf-8") as f:
        leis = [row["lei"] for row in csv.DictReader(f)]
    assert len(leis) > 50
    assert all(lei_checksum_ok(lei) for lei in leis)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("21380068P1DRHMJ8KU7", "exactly 20 characters; this one has 19"),
        ("21380068P1DRHMJ8KU7X", "2 check digits"),
        ("21380068P1DRHMJ8KU71", "check digits do not match"),
        ("21380068P1DRHMJ8UK70", "check digits do not match"),  # two characters swapped
    ],
)
def test_a_wrong_lei_is_refused_with_what_is_wrong(value: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as exc:
        validate_lei(value)
    assert fragment in exc.value.messages[0]


def test_country_codes_are_iso_alpha_2() -> None:
    assert validate_country("gb") == "GB"
    with pytest.raises(ValidationError, match="ISO 3166-1 alpha-2"):
        validate_country("UK")


def _sniff(data: bytes, name: str) -> str:
    return sniff_document(head=data[:8192], tail=data[-1024:], filename=name).content_type


def test_pdf_png_and_jpeg_are_recognised_from_their_bytes() -> None:
    assert _sniff(PDF_BYTES, "a.pdf") == "application/pdf"
    assert _sniff(PNG_BYTES, "a.PNG") == "image/png"
    assert _sniff(JPEG_BYTES, "a.jpeg") == "image/jpeg"


def test_a_renamed_executable_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a PDF, JPEG or PNG file"):
        _sniff(ELF_BYTES, "passport.pdf")


def test_a_truncated_pdf_is_refused() -> None:
    with pytest.raises(ValidationError, match="PDF is incomplete"):
        _sniff(PDF_BYTES[:60], "statement.pdf")


def test_a_file_whose_name_and_bytes_disagree_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"named as \.pdf but its content is image/png"):
        _sniff(PNG_BYTES, "scan.pdf")
