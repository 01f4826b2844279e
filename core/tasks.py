from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "core:worker-heartbeat"


@shared_task(name="core.heartbeat", ignore_result=True, time_limit=30, soft_time_limit=20)
def heartbeat_task() -> None:
    """Beat sends it every minute; the time it last ran tells /healthz and the staff home the worker is alive."""
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)
