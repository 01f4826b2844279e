"""Celery tasks: thin interfaces over services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="operators.beacon_import", time_limit=300, soft_time_limit=270)
def beacon_import_task(epoch: int | None = None) -> str:
    """Import the epochs not yet imported (or one given epoch). A failure is recorded as a failed run with its
    reason and not retried here: the next beat tick starts again from the first missing epoch."""
    from django.conf import settings

    from operators.beacon_import import beacon_import_epoch, beacon_import_pending

    if not settings.OPERATORS_BEACON_URL:
        return "off: OPERATORS_BEACON_URL is not set"
    runs = [beacon_import_epoch(epoch=epoch)] if epoch is not None else beacon_import_pending()
    return ", ".join(f"{run.result} {run.epoch}" for run in runs) or "up to date"


@shared_task(name="operators.exits_check", time_limit=120, soft_time_limit=100)
def exits_check_task() -> int:
    """Notify operators of exits past their deadline (once per request)."""
    from operators.services import exit_requests_notify_overdue

    return exit_requests_notify_overdue()
