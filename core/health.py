"""Readiness checks shared by /healthz and the staff home.

Each check answers a small dict with at least `ok`. Errors are reported by exception class name only: messages of
database, Redis and HTTP errors can carry host names, user names or passwords from connection URLs, and /healthz
is public.

Critical components (`CRITICAL`) decide the HTTP status: without the database or Redis (cache, broker, rate
limits, sessions of the API throttles) the web tier cannot serve, so the load balancer should take it out. The
chain node, list freshness and the worker heartbeat are reported and turn the status to "degraded", but a web
instance that cannot help them stays in rotation: the whitelist outbox waits, and stale lists are a compliance
alert, not a reason to stop serving status pages.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from core.tasks import HEARTBEAT_KEY

CRITICAL = ("database", "redis")
RPC_TIMEOUT_SECONDS = 2.0
# Load balancers poll every few seconds on every instance; the chain node is asked at most this often per process.
RPC_CACHE_SECONDS = 10.0

_rpc_lock = threading.Lock()
_rpc_memo: dict[str, tuple[float, dict[str, Any]]] = {}


def _failure(exc: BaseException) -> dict[str, Any]:
    return {"ok": False, "error": type(exc).__name__}


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy", reported by class name
        return _failure(exc)


def check_cache() -> dict[str, Any]:
    try:
        # Past the fail-open layer (core.cache): readiness must see the error that pages are spared.
        strict = getattr(cache, "strict", cache)
        strict.set("core:healthz", "1", timeout=10)
        return {"ok": strict.get("core:healthz") == "1"}
    except Exception as exc:  # noqa: BLE001
        return _failure(exc)


def check_redis() -> dict[str, Any]:
    """The cache round trip, and a PING of the Celery broker when it is a Redis of its own."""
    result = check_cache()
    backend = "redis" if settings.REDIS_URL else "file"
    result["backend"] = backend
    broker = str(getattr(settings, "CELERY_BROKER_URL", ""))
    if result["ok"] and broker.startswith(("redis://", "rediss://")) and broker != settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(broker, socket_connect_timeout=2, socket_timeout=2).ping()
        except Exception as exc:  # noqa: BLE001
            return {**_failure(exc), "backend": backend, "component": "broker"}
    return result


def check_rpc() -> dict[str, Any]:
    """`eth_blockNumber` on the whitelist's chain node, with a short timeout. Not configured: nothing to check."""
    url = str(getattr(settings, "WHITELIST_RPC_URL", "") or "")
    if not url:
        return {"ok": True, "configured": False}
    now = time.monotonic()
    with _rpc_lock:
        memo = _rpc_memo.get(url)
        if memo is not None and now - memo[0] < RPC_CACHE_SECONDS:
            return memo[1]
    started = time.monotonic()
    try:
        response = requests.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
            timeout=RPC_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        body = response.json()
        block = int(body["result"], 16)
        result: dict[str, Any] = {
            "ok": True,
            "configured": True,
            "block": block,
            "latency_ms": round((time.monotonic() - started) * 1000, 1),
        }
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        # The node answered, but not a block number: an error object, HTML from a proxy, garbage.
        result = {**_failure(exc), "configured": True, "error": "InvalidResponse"}
    except Exception as exc:  # noqa: BLE001 - timeouts, refused connections, HTTP errors
        result = {**_failure(exc), "configured": True}
    with _rpc_lock:
        _rpc_memo[url] = (time.monotonic(), result)
    return result


def rpc_memo_clear() -> None:
    with _rpc_lock:
        _rpc_memo.clear()


def check_lists() -> dict[str, Any]:
    """Freshness of the sanctions lists screening relies on (SCREENING_LIST_MAX_AGE_HOURS)."""
    # Imported here: core uses no app at import time; the health report is the one place that looks across them.
    from screening.selectors import list_freshness

    try:
        lists = list_freshness()
    except Exception as exc:  # noqa: BLE001
        return _failure(exc)
    return {
        "ok": not any(f.stale for f in lists),
        "lists": [
            {
                "source": f.source,
                "version": f.version.number if f.version else None,
                "age_hours": round(f.age.total_seconds() / 3600, 1) if f.age is not None else None,
                "stale": f.stale,
            }
            for f in lists
        ],
    }


def worker_heartbeat() -> dict[str, Any]:
    try:
        raw = cache.get(HEARTBEAT_KEY)
    except Exception as exc:  # noqa: BLE001
        return _failure(exc)
    if not raw:
        return {"ok": False, "last_seen": None, "age_seconds": None}
    age = (timezone.now() - dt.datetime.fromisoformat(raw)).total_seconds()
    # Beat sends a heartbeat every minute: three missed ones means the worker or beat is down.
    return {"ok": age < 180, "last_seen": raw, "age_seconds": round(age, 1)}


def health_report() -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) for /healthz: 200 when every critical component is ok (status "ok", or "degraded"
    when a non-critical one is not), 503 ("fail") otherwise. Every component's state is in `checks`."""
    checks = {
        "database": check_database(),
        "redis": check_redis(),
        "rpc": check_rpc(),
        "lists": check_lists(),
        "worker": worker_heartbeat(),
    }
    for name, check in checks.items():
        check["critical"] = name in CRITICAL
    if not all(checks[name]["ok"] for name in CRITICAL):
        return 503, {"status": "fail", "checks": checks}
    status = "ok" if all(c["ok"] for c in checks.values()) else "degraded"
    return 200, {"status": status, "checks": checks}
