"""The current TOTP code of a secret: what the demo's start-up banner and `manage.py demo_totp` print. Kept apart
from `accounts.demo` so the command loads no service (it answers in well under a second)."""

from __future__ import annotations

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.utils import timezone

TOTP_PERIOD = 30


def current_totp_code(secret: str, *, at: float | None = None) -> str:
    moment = timezone.now().timestamp() if at is None else at
    return format_hotp_value(hotp_value(secret, int(moment) // TOTP_PERIOD))


def totp_seconds_left(at: float) -> float:
    """How long the code of the window containing `at` stays valid."""
    return TOTP_PERIOD - (at % TOTP_PERIOD)
