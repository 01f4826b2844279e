"""Celery tasks of the kyc app: thin interfaces over services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kyc.idempotency_purge", ignore_result=True, time_limit=300, soft_time_limit=240)
def idempotency_purge_task() -> int:
    from kyc.services import idempotency_records_purge

    return idempotency_records_purge()


@shared_task(name="kyc.approvals_expire", ignore_result=True, time_limit=600, soft_time_limit=540)
def approvals_expire_task() -> int:
    from kyc.review import approvals_warn_before_expiry, cases_expire_due

    approvals_warn_before_expiry()
    return cases_expire_due()
