"""Celery tasks: thin interfaces that take ids and call a service. Checks are idempotent (a done check is
skipped), so acks_late is safe; a provider failure is retried with backoff, then recorded as an error."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from screening.base import ProviderUnavailable

CHECK_MAX_RETRIES = 5


@shared_task(name="screening.check_run", bind=True, acks_late=True, max_retries=CHECK_MAX_RETRIES)
def check_run_task(self, check_id: int) -> None:  # type: ignore[no-untyped-def]
    from screening.services import check_fail, check_run

    try:
        check_run(check_id=check_id)
    except ProviderUnavailable as exc:
        if self.request.retries >= CHECK_MAX_RETRIES:
            check_fail(check_id=check_id, error=str(exc))
            return
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 900)) from exc


@shared_task(name="screening.monitoring_for_version", acks_late=True)
def monitoring_for_version_task(version_id: int) -> None:
    from screening.services import monitoring_run

    monitoring_run(version_id=version_id)


@shared_task(name="screening.monitoring_scheduled")
def monitoring_scheduled_task() -> None:
    from screening.services import monitoring_run

    monitoring_run(version_id=None)


@shared_task(name="screening.lists_refresh")
def lists_refresh_task() -> None:
    """Download and import every source with configured URLs; only where SCREENING_AUTO_DOWNLOAD is on."""
    if not settings.SCREENING_AUTO_DOWNLOAD:
        return
    from screening.services import list_download_and_import

    for source, urls in settings.SCREENING_LIST_URLS.items():
        if urls and all(urls.values()):
            list_download_and_import(source=source)


@shared_task(name="screening.checks_sweep", time_limit=120, soft_time_limit=100)
def checks_sweep_task() -> int:
    """Send again the checks whose message was lost; running a check twice is harmless (a done one is skipped)."""
    from screening.selectors import checks_stuck

    stuck = checks_stuck()
    for check_id in stuck:
        check_run_task.delay(check_id)
    return len(stuck)
