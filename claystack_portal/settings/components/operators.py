"""Settings of the `operators` app, read from the environment. Imported by base.py; owned by the app."""

from __future__ import annotations

from claystack_portal.env import env  # noqa: F401

# Celery beat entries of this app, merged into CELERY_BEAT_SCHEDULE by base.py.
BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
