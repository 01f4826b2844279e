"""Readiness checks shared by /healthz and the staff home."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from core.tasks import HEARTBEAT_KEY


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy", reported by class name
        return {"ok": False, "error": type(exc).__name__}


def check_cache() -> dict[str, Any]:
    try:
        cache.set("core:healthz", "1", timeout=10)
        return {"ok": cache.get("core:healthz") == "1"}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": type(exc).__name__}


def worker_heartbeat() -> dict[str, Any]:
    try:
        raw = cache.get(HEARTBEAT_KEY)
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": type(exc).__name__}
    if not raw:
        return {"ok": False, "last_seen": None, "age_seconds": None}
    age = (timezone.now() - dt.datetime.fromisoformat(raw)).total_seconds()
    # Beat sends a heartbeat every minute: three missed ones means the worker or beat is down.
    return {"ok": age < 180, "last_seen": raw, "age_seconds": round(age, 1)}
