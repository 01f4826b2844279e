from __future__ import annotations

from celery import shared_task


@shared_task(name="assurance.compliance_verify", ignore_result=True, time_limit=1800, soft_time_limit=1700)
def compliance_verify_task() -> None:
    """Daily from beat: the integrity check, recorded and alerted on (`assurance.services.verification_run`)."""
    from assurance.services import verification_run

    verification_run(trigger="beat")
