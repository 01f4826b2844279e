from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from core import health
from core.tasks import HEARTBEAT_KEY, heartbeat_task

pytestmark = pytest.mark.django_db

SECRET = "s3cret-pa55word"


class _RpcHandler(BaseHTTPRequestHandler):
    answer: bytes = b""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def rpc_node() -> Iterator[Any]:
    """A chain node in the test process: set `.answer` to what it replies to any JSON-RPC call."""
    handler = type("Handler", (_RpcHandler,), {"answer": b'{"jsonrpc":"2.0","id":1,"result":"0x1b4"}'})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.handler = handler
    server.url = f"http://rpcuser:{SECRET}@127.0.0.1:{server.server_address[1]}/"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _fresh_state(settings: Any) -> Iterator[None]:
    settings.WHITELIST_RPC_URL = ""
    health.rpc_memo_clear()
    cache.delete(HEARTBEAT_KEY)
    yield
    health.rpc_memo_clear()


@pytest.fixture
def fresh_lists() -> None:
    from screening.models import ListVersion

    for source in ("ofac", "un"):
        ListVersion.objects.create(source=source, number=1, is_active=True, checksum="0" * 64)


def test_healthz_is_ok_when_every_component_answers(
    client: Client, rpc_node: Any, settings: Any, fresh_lists: Any
) -> None:
    settings.WHITELIST_RPC_URL = rpc_node.url
    heartbeat_task()
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok", body
    checks = body["checks"]
    assert checks["database"]["ok"] and checks["database"]["critical"] is True
    assert checks["redis"]["ok"] and checks["redis"]["critical"] is True
    assert checks["rpc"] == {
        "ok": True,
        "configured": True,
        "block": 436,
        "latency_ms": checks["rpc"]["latency_ms"],
        "critical": False,
    }
    assert checks["lists"]["ok"] and [entry["source"] for entry in checks["lists"]["lists"]] == ["ofac", "un"]
    assert checks["worker"]["ok"] is True
    assert SECRET not in response.content.decode() and "rpcuser" not in response.content.decode()


def test_an_unreachable_database_fails_readiness_without_leaking_the_error_text(
    client: Client, monkeypatch: Any
) -> None:
    def broken_cursor(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError(f'connection to "db.internal" failed: password={SECRET} authentication failed')

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError", "critical": True}
    assert SECRET not in response.content.decode() and "db.internal" not in response.content.decode()


def test_a_stopped_redis_fails_readiness(client: Client, settings: Any) -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://:{SECRET}@127.0.0.1:1/0",
        }
    }
    settings.REDIS_URL = f"redis://:{SECRET}@127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["redis"]["ok"] is False and body["checks"]["redis"]["error"] == "ConnectionError"
    assert body["checks"]["database"]["ok"] is True
    assert SECRET not in response.content.decode()


def test_a_separate_redis_broker_that_is_down_fails_readiness(client: Client, settings: Any) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    redis_check = response.json()["checks"]["redis"]
    assert (redis_check["ok"], redis_check["error"], redis_check["component"]) == (False, "ConnectionError", "broker")


def test_a_chain_node_that_is_down_degrades_but_keeps_the_instance_in_rotation(
    client: Client, rpc_node: Any, settings: Any, fresh_lists: Any
) -> None:
    heartbeat_task()
    settings.WHITELIST_RPC_URL = rpc_node.url
    rpc_node.shutdown()
    rpc_node.server_close()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["rpc"] == {"ok": False, "error": "ConnectionError", "configured": True, "critical": False}
    assert SECRET not in response.content.decode()


def test_a_chain_node_answering_garbage_is_reported(client: Client, rpc_node: Any, settings: Any) -> None:
    settings.WHITELIST_RPC_URL = rpc_node.url
    rpc_node.handler.answer = b"<html>502 Bad Gateway</html>"
    rpc = client.get("/healthz").json()["checks"]["rpc"]
    assert rpc["ok"] is False and rpc["error"] == "InvalidResponse"
    health.rpc_memo_clear()
    rpc_node.handler.answer = b'{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"header not found"}}'
    assert client.get("/healthz").json()["checks"]["rpc"]["error"] == "InvalidResponse"


def test_the_chain_node_is_asked_at_most_once_per_interval(client: Client, rpc_node: Any, settings: Any) -> None:
    settings.WHITELIST_RPC_URL = rpc_node.url
    assert client.get("/healthz").json()["checks"]["rpc"]["block"] == 436
    rpc_node.handler.answer = b'{"jsonrpc":"2.0","id":1,"result":"0x1b5"}'
    assert client.get("/healthz").json()["checks"]["rpc"]["block"] == 436
    health.rpc_memo_clear()
    assert client.get("/healthz").json()["checks"]["rpc"]["block"] == 437


def test_without_a_chain_node_configured_there_is_nothing_to_check(client: Client) -> None:
    assert client.get("/healthz").json()["checks"]["rpc"] == {"ok": True, "configured": False, "critical": False}


def test_stale_or_missing_sanctions_lists_are_reported_as_degraded(client: Client, settings: Any) -> None:
    from screening.models import ListVersion

    heartbeat_task()
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["checks"]["lists"]["ok"] is False
    assert {e["source"]: e["stale"] for e in body["checks"]["lists"]["lists"]} == {"ofac": True, "un": True}
    ListVersion.objects.create(source="ofac", number=1, is_active=True, checksum="0" * 64)
    old = ListVersion.objects.create(source="un", number=1, is_active=True, checksum="0" * 64)
    ListVersion.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=settings.SCREENING_LIST_MAX_AGE_HOURS + 1)
    )
    lists = client.get("/healthz").json()["checks"]["lists"]
    assert lists["ok"] is False
    assert {e["source"]: e["stale"] for e in lists["lists"]} == {"ofac": False, "un": True}


def test_a_silent_worker_is_reported_but_does_not_fail_readiness(client: Client, fresh_lists: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "degraded"
    assert response.json()["checks"]["worker"] == {
        "ok": False,
        "last_seen": None,
        "age_seconds": None,
        "critical": False,
    }
    cache.set(HEARTBEAT_KEY, (timezone.now() - dt.timedelta(minutes=5)).isoformat(), timeout=None)
    assert client.get("/healthz").json()["checks"]["worker"]["ok"] is False
    heartbeat_task()
    body = client.get("/healthz").json()
    assert body["checks"]["worker"]["ok"] is True and body["status"] == "ok"


def test_healthz_answers_json_to_anonymous_callers_and_is_never_cached(client: Client) -> None:
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert json.loads(response.content)["checks"]["database"]["vendor"] == connection.vendor


def test_every_response_carries_a_request_id(client: Client) -> None:
    generated = client.get("/healthz")["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234567890")["X-Request-ID"] == "lb-1234567890"
    # A malformed incoming id is replaced, so it cannot inject into logs.
    assert client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"] != "bad id\nwith newline"
