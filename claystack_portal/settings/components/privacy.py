"""Settings of the `privacy` app (retention and anonymisation of personal data), read from the environment.
Imported by base.py; owned by the app.

Anti-money-laundering law (e.g. the EU AMLD, art. 40; the UK MLR 2017, reg. 40) requires customer due
diligence records to be kept for five years after the business relationship ends: a configuration below
five years would make the portal destroy records it must keep, so start-up refuses it.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from claystack_portal.env import env

AML_MINIMUM_RETENTION_YEARS = 5

# Years an application's personal data is kept after the relationship ended (a rejection, revocation or
# expiry of the approval, counted from that decision), before the beat job anonymises it.
PRIVACY_RETENTION_YEARS_AML: int = env.int("PRIVACY_RETENTION_YEARS_AML", default=AML_MINIMUM_RETENTION_YEARS)
if PRIVACY_RETENTION_YEARS_AML < AML_MINIMUM_RETENTION_YEARS:
    raise ImproperlyConfigured(
        f"PRIVACY_RETENTION_YEARS_AML={PRIVACY_RETENTION_YEARS_AML} is below the legal minimum: AML records are "
        f"kept at least {AML_MINIMUM_RETENTION_YEARS} years after the relationship ends."
    )
# Drafts never submitted are not AML records (no relationship began): deleted this many days after their
# last change.
PRIVACY_DRAFT_RETENTION_DAYS: int = env.int("PRIVACY_DRAFT_RETENTION_DAYS", default=90)
if PRIVACY_DRAFT_RETENTION_DAYS < 1:
    raise ImproperlyConfigured(
        f"PRIVACY_DRAFT_RETENTION_DAYS={PRIVACY_DRAFT_RETENTION_DAYS} must be at least 1 (days after a draft's last "
        "change)."
    )
# What replaces a personal value once anonymised.
PRIVACY_ANONYMISED_MARKER: str = "[anonymised]"

# Personal-data exports (privacy/my-data and the staff subject access export) are built by a task: a requester
# may ask for PRIVACY_EXPORTS_PER_DAY archives of one subject in 24 hours (failed ones not counted), each is
# downloadable for PRIVACY_EXPORT_TTL_HOURS, then deleted. A build not started after PRIVACY_EXPORT_STALE_MINUTES
# (its message lost) is enqueued again; a build gets PRIVACY_EXPORT_BUILD_TIME_LIMIT seconds.
PRIVACY_EXPORTS_PER_DAY: int = env.int("PRIVACY_EXPORTS_PER_DAY", default=3)
PRIVACY_EXPORT_TTL_HOURS: int = env.int("PRIVACY_EXPORT_TTL_HOURS", default=24)
PRIVACY_EXPORT_STALE_MINUTES: int = env.int("PRIVACY_EXPORT_STALE_MINUTES", default=15)
PRIVACY_EXPORT_BUILD_TIME_LIMIT: int = env.int("PRIVACY_EXPORT_BUILD_TIME_LIMIT", default=1800)
if PRIVACY_EXPORTS_PER_DAY < 1 or PRIVACY_EXPORT_TTL_HOURS < 1:
    raise ImproperlyConfigured("PRIVACY_EXPORTS_PER_DAY and PRIVACY_EXPORT_TTL_HOURS must be at least 1.")

# Celery beat entries of this app, merged into CELERY_BEAT_SCHEDULE by base.py.
BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "privacy.retention_enforce": {
        "task": "privacy.retention_enforce",
        "schedule": timedelta(hours=env.int("PRIVACY_RETENTION_EVERY_HOURS", default=24)),
    },
    "privacy.data_exports_sweep": {"task": "privacy.data_exports_sweep", "schedule": timedelta(minutes=10)},
}
