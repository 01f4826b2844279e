"""Audit receivers for events that happen inside allauth and django.contrib.auth, which we do not fork."""

from __future__ import annotations

from typing import Any

from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from core.audit import audit_record


@receiver(auth_signals.user_logged_in)
def _audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="auth.login", target=user)


@receiver(auth_signals.user_logged_out)
def _audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action="auth.logout", target=user)


@receiver(auth_signals.user_login_failed)
def _audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Only the attempted identifier is kept: never the password.
    attempted = str(credentials.get("email") or credentials.get("username") or "")[:254]
    audit_record(actor=None, action="auth.login_failed", data={"attempted": attempted})


@receiver(mfa_signals.authenticator_added)
def _audit_mfa_added(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="mfa.added", target=user, data={"type": authenticator.type})


@receiver(mfa_signals.authenticator_removed)
def _audit_mfa_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="mfa.removed", target=user, data={"type": authenticator.type})


@receiver(mfa_signals.authenticator_reset)
def _audit_mfa_reset(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="mfa.reset", target=user, data={"type": authenticator.type})
