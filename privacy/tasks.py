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


# Idempotent: the build claims its export (pending -> building), so a redelivered message does nothing.
@shared_task(
    name="privacy.data_export_build", ignore_result=True, acks_late=True, time_limit=1800, soft_time_limit=1740
)
def data_export_build_task(export_id: int) -> None:
    from privacy.services import data_export_build

    data_export_build(export_id=export_id)


@shared_task(name="privacy.data_exports_sweep", ignore_result=True, time_limit=600, soft_time_limit=540)
def data_exports_sweep_task() -> dict[str, int]:
    from privacy.services import data_exports_sweep

    return data_exports_sweep()
