from __future__ import annotations

from typing import Any

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "core:worker-heartbeat"


@shared_task(name="core.heartbeat", ignore_result=True, time_limit=30, soft_time_limit=20)
def heartbeat_task() -> None:
    """Beat sends it every minute; the time it last ran tells /healthz and the staff home the worker is alive."""
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)


@shared_task(name="core.audit_publish_head", ignore_result=True, time_limit=60, soft_time_limit=45)
def audit_publish_head_task() -> None:
    """Hourly: the signed head of the audit chain to the log and AUDIT_HEAD_SINK."""
    from core.audit_head import audit_head_publish

    audit_head_publish()


@shared_task(
    name="core.audit_anchor_head", bind=True, ignore_result=True, max_retries=6, time_limit=120, soft_time_limit=100
)
def audit_anchor_head_task(self: Any) -> None:
    """Daily: the signed head on chain, when the chain and AUDIT_ANCHOR_ADDRESS are configured."""
    from core.audit_head import AnchorUnavailable, audit_head_anchor

    try:
        audit_head_anchor()
    except AnchorUnavailable as exc:
        raise self.retry(exc=exc, countdown=min(60 * 2**self.request.retries, 3600)) from exc
