"""Sends one request as one persona and names the answer in the matrix's vocabulary."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from core.models import AuditEvent

# Outcomes ---------------------------------------------------------------------------------------------------
OK = "ok"  # 2xx
LOGIN = "login"  # a redirect to the login page (the portal's or the admin's, which forwards to it)
MFA = "mfa"  # a staff user without TOTP: sent to set it up (pages) or a 403 with code mfa_required (API)
FORBIDDEN = "403"
NOT_FOUND = "404"
NOT_ALLOWED = "405"
BAD_REQUEST = "400"
REDIRECT = "redirect"  # any other redirect
# For unsafe requests with an empty body by someone entitled to act: anything but a denial or a server error
# (the form re-rendered, a 400 naming the missing fields, a redirect after the action).
ALLOWED = "allowed"
# Refused by the service after the access check (a 2xx/3xx/400 with a message), provably without effect:
# no audit event was written.
REFUSED = "refused"

DENIALS = {LOGIN, MFA, FORBIDDEN, NOT_FOUND, NOT_ALLOWED}


def classify(response: HttpResponse) -> str:
    code = response.status_code
    if 200 <= code < 300:
        return OK
    if 300 <= code < 400:
        location = response.get("Location", "")
        if location.startswith(("/accounts/login/", "/admin/login/")):
            return LOGIN
        if location.startswith("/accounts/2fa/totp/activate/"):
            return MFA
        return REDIRECT
    if code == 403:
        if response.get("Content-Type", "").startswith("application/json"):
            try:
                if response.json().get("code") == "mfa_required":
                    return MFA
            except ValueError:
                pass
        return FORBIDDEN
    return str(code)


def matches(expected: str, observed: str, wrote_audit: bool) -> bool:
    if expected == ALLOWED:
        return observed in {OK, REDIRECT, BAD_REQUEST}
    if expected == REFUSED:
        return observed in {OK, REDIRECT, BAD_REQUEST} and not wrote_audit
    if expected in DENIALS and wrote_audit:
        return False  # denied, yet something was recorded as done
    return expected == observed


def request_as(
    client: Client, method: str, url: str, headers: dict[str, str] | None = None
) -> tuple[str, bool, HttpResponse]:
    """(outcome, wrote an audit event, response). Unsafe methods carry a valid CSRF token, so a denial is the
    access rule's and not the CSRF check's (the client enforces CSRF like a browser would)."""
    extra: dict[str, Any] = {"headers": headers} if headers else {}
    if method not in {"GET", "HEAD", "OPTIONS"}:
        token = _get_new_csrf_string()
        client.cookies[settings.CSRF_COOKIE_NAME] = token
        extra["HTTP_X_CSRFTOKEN"] = token
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    response = getattr(client, method.lower())(url, **extra)
    after = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    return classify(response), after != before, response
