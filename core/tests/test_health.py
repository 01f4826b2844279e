from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from core.tasks import HEARTBEAT_KEY, heartbeat_task

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_cache_and_worker(client: Client) -> None:
    cache.delete(HEARTBEAT_KEY)
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is True
    assert body["checks"]["worker"] == {"ok": False, "last_seen": None, "age_seconds": None}
    heartbeat_task()
    assert client.get("/healthz").json()["checks"]["worker"]["ok"] is True


def test_healthz_fails_when_the_database_is_unreachable(client: Client, monkeypatch: Any) -> None:
    from core import views

    monkeypatch.setattr(views, "check_database", lambda: {"ok": False, "error": "OperationalError"})
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "fail"


def test_every_response_carries_a_request_id(client: Client) -> None:
    generated = client.get("/healthz")["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234567890")["X-Request-ID"] == "lb-1234567890"
    # A malformed incoming id is replaced, so it cannot inject into logs.
    assert client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"] != "bad id\nwith newline"
