from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from accounts.permissions import user_is_staff_member
from core.crypto import decrypt_str, encrypt_str


@dataclass(frozen=True)
class PortalSite:
    """What allauth's e-mail templates read from a Site."""

    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Applicants sign up themselves; staff accounts are made by an admin (admin site or create_staff_user).
        return bool(getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True))

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        if user_is_staff_member(request.user):
            return reverse("staff_home")
        return super().get_login_redirect_url(request)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # The portal does not run django.contrib.sites, so allauth would name the request's host ("Hello from
        # 127.0.0.1:8000!"): the e-mails name the portal and the domain it is served on (PORTAL_DOMAIN when set).
        request = allauth_context.request
        domain = settings.PORTAL_DOMAIN or (request.get_host() if request is not None else "")
        site = PortalSite(name=settings.PORTAL_NAME, domain=domain)
        super().send_mail(template_prefix, email, {**context, "current_site": site})

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        from accounts.services import user_signed_up_record

        user = super().save_user(request, user, form, commit=commit)
        if commit:
            user_signed_up_record(user=user)
        return user


class MFAAdapter(DefaultMFAAdapter):
    """allauth stores TOTP secrets as given; we encrypt them with the portal's field keys."""

    def encrypt(self, text: str) -> str:
        return encrypt_str(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_str(encrypted_text)
