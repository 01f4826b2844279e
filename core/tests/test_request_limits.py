"""Request size limits: a body larger than REQUEST_MAX_BODY_BYTES is refused with a 413 from its Content-Length,
before any of it is read; Django's own upload limits are set."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kyc.models import Document
from kyc.services import application_create

SIXTY_MB = 60 * 1024 * 1024
BOUNDARY = "limit-test-boundary"


class _LargeBody:
    """A multipart body of `size` bytes made on demand (one document named `file`), counting what is read."""

    def __init__(self, size: int) -> None:
        self.data_head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nid_front\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="scan.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.size = size
        self.position = 0

    def _byte_at(self, index: int) -> bytes:
        if index < len(self.data_head):
            return self.data_head[index : index + 1]
        if index >= self.size - len(self.tail):
            return self.tail[index - (self.size - len(self.tail)) : index - (self.size - len(self.tail)) + 1]
        return b"0"

    def read(self, n: int = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.size, self.position + n)
        chunk = b"".join(self._byte_at(i) for i in range(self.position, min(end, self.position + 65536)))
        self.position += len(chunk)
        return chunk

    def readline(self, n: int = -1) -> bytes:
        line = b""
        while self.position < self.size and not line.endswith(b"\n") and (n < 0 or len(line) < n):
            line += self.read(1)
        return line


def _send(client: Client, path: str, body: _LargeBody) -> Any:
    return client.generic(
        "POST",
        path,
        CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(body.size),
        **{"wsgi.input": body},
    )


@pytest.fixture
def draft(alice: Any) -> Any:
    return application_create(by=alice, subject_type="individual")


def test_a_60_mb_upload_is_refused_before_its_body_is_read(draft: Any, alice: Any) -> None:
    client = Client()
    client.force_login(alice)
    for path in (
        f"/applications/{draft.public_id}/step/documents/",
        f"/api/v1/applications/{draft.public_id}/documents/",
    ):
        body = _LargeBody(SIXTY_MB)
        response = _send(client, path, body)
        assert response.status_code == 413, path
        assert body.position == 0, f"{path} read {body.position} bytes of the body"
        assert "60.0 MB" in response.content.decode() and "at most 11.0 MB" in response.content.decode()
    assert client.get(f"/api/v1/applications/{draft.public_id}/documents/").json() == []
    assert not Document.objects.exists()


def test_an_upload_within_the_limit_still_reaches_the_view(draft: Any, alice: Any) -> None:
    client = Client()
    client.force_login(alice)
    body = _LargeBody(200 * 1024)
    response = _send(client, f"/api/v1/applications/{draft.public_id}/documents/", body)
    # Read in full and judged by the upload checks (this is no real PDF), not refused for its size.
    assert response.status_code == 400
    assert body.position == body.size


def test_djangos_upload_limits_are_set(settings: Any) -> None:
    from claystack_portal.settings import base

    assert base.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2 * 1024 * 1024
    assert base.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2 * 1024 * 1024
    assert base.DATA_UPLOAD_MAX_NUMBER_FILES <= 5
    assert base.REQUEST_MAX_BODY_BYTES == base.KYC_DOCUMENT_MAX_BYTES + 1024 * 1024
    assert "core.middleware.RequestSizeLimitMiddleware" in settings.MIDDLEWARE
