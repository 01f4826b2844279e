"""Settings of the `integrations` app (outbound webhooks). Imported by base.py; owned by the app."""

from __future__ import annotations

from datetime import timedelta

from claystack_portal.env import env

# Every webhook request: (connect, read) timeouts in seconds.
INTEGRATIONS_WEBHOOK_TIMEOUT_SECONDS: tuple[float, float] = (
    env.float("INTEGRATIONS_WEBHOOK_CONNECT_TIMEOUT_SECONDS", default=5.0),
    env.float("INTEGRATIONS_WEBHOOK_READ_TIMEOUT_SECONDS", default=10.0),
)
# Attempts per delivery before giving up, and the exponential backoff between them (base * 2^(n-1), capped):
# 30 s, 1 min, 2 min, ... about 32 min before the 8th attempt by default.
INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS: int = env.int("INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS", default=8)
INTEGRATIONS_WEBHOOK_BACKOFF_BASE_SECONDS: int = env.int("INTEGRATIONS_WEBHOOK_BACKOFF_BASE_SECONDS", default=30)
INTEGRATIONS_WEBHOOK_BACKOFF_MAX_SECONDS: int = env.int("INTEGRATIONS_WEBHOOK_BACKOFF_MAX_SECONDS", default=6 * 3600)
# An endpoint whose attempts fail this many times in a row is disabled (its page says why).
INTEGRATIONS_WEBHOOK_DISABLE_AFTER: int = env.int("INTEGRATIONS_WEBHOOK_DISABLE_AFTER", default=20)
# After a secret rotation the previous secret keeps signing (a second v1 value) this long, unless retired.
INTEGRATIONS_WEBHOOK_ROTATION_OVERLAP_HOURS: int = env.int("INTEGRATIONS_WEBHOOK_ROTATION_OVERLAP_HOURS", default=24)
# Plain http to localhost (a receiver on the developer's machine). Also allowed whenever DEBUG is on.
INTEGRATIONS_WEBHOOK_ALLOW_LOCAL_HTTP: bool = env.bool("INTEGRATIONS_WEBHOOK_ALLOW_LOCAL_HTTP", default=False)

# Celery beat entries of this app, merged into CELERY_BEAT_SCHEDULE by base.py.
BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Re-enqueues deliveries whose retry is due (a lost task message delays an event, never drops it).
    "integrations.deliveries_sweep": {"task": "integrations.deliveries_sweep", "schedule": timedelta(minutes=1)},
}
