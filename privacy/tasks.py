"""Celery tasks of the privacy app: thin interfaces over services."""

from __future__ import annotations

from typing import Any

from celery import shared_task


# Idempotent (anonymised applications are skipped), so a late ack after a crash only redoes finished work.
@shared_task(
    name="privacy.retention_enforce", ignore_result=True, acks_late=True, time_limit=1800, soft_time_limit=1700
)
def retention_enforce_task() -> dict[str, Any]:
    from privacy.services import retention_enforce

    return retention_enforce()
