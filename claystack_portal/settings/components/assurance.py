"""Settings of the assurance app (the integrity check)."""

from __future__ import annotations

from celery.schedules import crontab

# Celery beat entries of this app, merged into CELERY_BEAT_SCHEDULE by base.py: the integrity check once a day,
# after the night's expiries (kyc.expire_due runs hourly).
BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "assurance.compliance_verify": {"task": "assurance.compliance_verify", "schedule": crontab(hour=4, minute=30)},
}
