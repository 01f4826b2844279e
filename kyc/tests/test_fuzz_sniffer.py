"""Fuzzing the upload sniffer: any bytes under any name end in a clear refusal (ValidationError with a message
and a code) or in the type the bytes really are, under a name with that type's extension; never another
exception. Through `document_validate`, the path an upload takes. Bounded and reproducible."""

from __future__ import annotations

from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kyc.services import document_validate
from kyc.validation import JPEG, PDF, PNG

FUZZ = settings(max_examples=300, derandomize=True, deadline=None, database=None)

PDF_SEED = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_SEED = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17 + b"\x00\x00\x00\x00IEND\xaeB`\x82"
JPEG_SEED = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 40 + b"\xff\xd9"

names = st.one_of(
    st.sampled_from(["passport.pdf", "id.PNG", "photo.jpeg", "photo.jpg", "scan", ".pdf", "a.", "x.pdf.exe"]),
    st.text(max_size=40),
    st.text(max_size=20).map(lambda s: s + ".pdf"),
)


@st.composite
def contents(draw: st.DrawFn) -> bytes:
    seed = draw(st.sampled_from([PDF_SEED, PNG_SEED, JPEG_SEED, b""]))
    data = bytearray(seed)
    for _ in range(draw(st.integers(0, 3))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "truncate", "flip", "pad"]))
        if op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=64))
        elif op == "truncate":
            del data[pos:]
        elif op == "flip" and data:
            data[min(pos, len(data) - 1)] ^= 0xFF
        elif op == "pad":
            data[pos:pos] = b"\x00" * draw(st.integers(1, 9000))  # pushes markers out of the sniffed edges
    return bytes(data)


def check(data: bytes, name: str) -> None:
    try:
        upload = SimpleUploadedFile(name, data)
    except SuspiciousFileOperation:
        assume(False)  # a name Django's upload handling never delivers ("", ".", "a/..")
        return
    try:
        content_type, sha256, size = document_validate(upload=upload)
    except ValidationError as exc:
        assert exc.messages and exc.messages[0].strip()
        assert exc.code
        return
    kind = {PDF.content_type: PDF, PNG.content_type: PNG, JPEG.content_type: JPEG}[content_type]
    assert size == len(data) and len(sha256) == 64
    assert any(upload.name.lower().endswith(ext) for ext in kind.extensions)
    if kind is PDF:
        assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
    elif kind is PNG:
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and b"IEND" in data[-16:]
    else:
        assert data.startswith(b"\xff\xd8\xff") and data.rstrip(b"\x00").endswith(b"\xff\xd9")


@FUZZ
@given(data=st.binary(max_size=4096), name=names)
def test_arbitrary_bytes_under_any_name_are_refused_clearly_or_recognised_correctly(data: bytes, name: str):
    check(data, name)


@FUZZ
@given(data=contents(), name=names)
def test_damaged_pdf_png_and_jpeg_files_are_refused_clearly_or_recognised_correctly(data: bytes, name: str):
    check(data, name)
