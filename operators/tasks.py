"""Celery tasks: thin interfaces over services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="operators.beacon_import", time_limit=300, soft_time_limit=270)
def beacon_import_task(epoch: int | None = None) -> str:
    """Import one epoch of validator history. Failures are recorded as a failed run, never retried blindly:
    the next beat tick tries the next epoch, and a missed epoch can be imported again by number."""
    from django.conf import settings

    from operators.beacon_import import beacon_import_epoch

    if not settings.OPERATORS_BEACON_URL:
        return "off: OPERATORS_BEACON_URL is not set"
    run = beacon_import_epoch(epoch=epoch)
    return f"{run.result} {run.epoch}"


@shared_task(name="operators.exits_check", time_limit=120)
def exits_check_task() -> int:
    """Notify operators of exits past their deadline (once per request)."""
    from operators.services import exit_requests_notify_overdue

    return exit_requests_notify_overdue()
