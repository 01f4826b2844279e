"""Audit receivers for events that happen inside allauth and django.contrib.auth, which we do not fork."""

from __future__ import annotations

from typing import Any

from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from accounts.models import User
from core.audit import audit_digest, audit_label, audit_record


@receiver(auth_signals.user_logged_in)
def _audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="auth.login", target=user)


@receiver(auth_signals.user_logged_out)
def _audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action="auth.logout", target=user)


@receiver(auth_signals.user_login_failed)
def _audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Never the password, and never a typed e-mail (the trail outlives personal data): an existing account is
    # named as the trail names its user, anything else by a keyed digest, which still shows repeated attempts
    # on one identifier.
    attempted = str(credentials.get("email") or credentials.get("username") or "").strip().lower()[:254]
    user = User.objects.filter(email__iexact=attempted).first() if attempted else None
    data = {"attempted": audit_label(user)} if user is not None else {"attempted_digest": audit_digest(attempted)}
    audit_record(actor=None, action="auth.login_failed", data=data)


@receiver(mfa_signals.authenticator_added)
def _audit_mfa_added(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="mfa.added", target=user, data={"type": authenticator.type})


@receiver(mfa_signals.authenticator_removed)
def _audit_mfa_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="mfa.removed", target=user, data={"type": authenticator.type})


@receiver(mfa_signals.authenticator_reset)
def _audit_mfa_reset(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="mfa.reset", target=user, data={"type": authenticator.type})
