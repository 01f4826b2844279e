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
def lists_refresh_task() -> list[str]:
    """Start a separate refresh per source with configured URLs (so one failing source never stops the others);
    only where SCREENING_AUTO_DOWNLOAD is on. Returns the sources started."""
    if not settings.SCREENING_AUTO_DOWNLOAD:
        return []
    from screening.services import list_sources_downloadable

    sources = list_sources_downloadable()
    for source in sources:
        list_refresh_task.delay(source)
    return sources


@shared_task(
    name="screening.list_refresh", bind=True, acks_late=True, time_limit=1800, soft_time_limit=1700, max_retries=None
)
def list_refresh_task(self, source: str) -> str:  # type: ignore[no-untyped-def]
    """Thin: download and import one source (its own beat entry). A network failure is retried with backoff up
    to SCREENING_REFRESH_RETRIES; a file that does not parse is not (the next beat tries again). Idempotent: the
    same files create no new version."""
    from screening.services import ListRefreshFailed, list_refresh

    if not settings.SCREENING_AUTO_DOWNLOAD:
        return "off"
    try:
        return list_refresh(source=source)
    except ListRefreshFailed as exc:
        if exc.transient and self.request.retries < settings.SCREENING_REFRESH_RETRIES:
            raise self.retry(exc=exc, countdown=min(60 * 2**self.request.retries, 1800)) from exc
        return f"failed: {exc}"


@shared_task(name="screening.lists_stale_check", time_limit=120, soft_time_limit=100)
def lists_stale_check_task() -> int:
    """Thin: tell staff about every list that is stale or was never imported (see list_stale_alert)."""
    from screening.services import lists_stale_alert

    return lists_stale_alert()


@shared_task(name="screening.checks_sweep", time_limit=120, soft_time_limit=100)
def checks_sweep_task() -> int:
    """Send again the checks whose message was lost; running a check twice is harmless (a done one is skipped)."""
    from screening.selectors import checks_stuck

    stuck = checks_stuck()
    for check_id in stuck:
        check_run_task.delay(check_id)
    return len(stuck)


@shared_task(name="screening.index_build", acks_late=True, time_limit=3600, soft_time_limit=3500)
def index_build_task() -> int:
    """Thin: build the candidate index of the active lists once and share it through its file (idempotent)."""
    from screening.selectors import index_build

    return index_build()
