from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.permissions import user_has_mfa, user_is_staff_member

# What a staff user without MFA may still reach: setting MFA up, verifying e-mail, logging out.
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz")


class StaffMFARequiredMiddleware:
    """Sends a staff user without TOTP to set it up before any other page or API answers them.

    Runs after authentication so `request.user` is known; the capability checks in views enforce MFA again,
    so removing this middleware would not open a staff page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and user_is_staff_member(user)
            and not user_has_mfa(user)
        ):
            setup_url = reverse("mfa_activate_totp")
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "detail": "Staff accounts must enable two-factor authentication first.",
                        "code": "mfa_required",
                        "setup_url": setup_url,
                    },
                    status=403,
                )
            messages.warning(request, "Staff accounts must set up two-factor authentication before continuing.")
            return redirect(f"{setup_url}?next={request.path}")
        return self.get_response(request)


_LAST_SEEN_KEY = "portal_last_seen"
# The last-seen time is written at most this often, so a staff user's every click does not rewrite the session.
_LAST_SEEN_RESOLUTION = 30


class StaffSessionTimeoutMiddleware:
    """Ends a staff session after `STAFF_SESSION_IDLE_SECONDS` without a request, and makes its cookie end with
    the browser. Applicants keep `SESSION_COOKIE_AGE` (a long form is filled in over hours).

    The staff decision is made per request, so someone granted a role mid-session is held to the staff rule from
    the next request on. Logging out fires Django's `user_logged_out`, which the audit trail records.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user_is_staff_member(user):
            now = int(time.time())
            idle = int(settings.STAFF_SESSION_IDLE_SECONDS)
            last_seen = request.session.get(_LAST_SEEN_KEY)
            if isinstance(last_seen, int) and now - last_seen > idle:
                logout(request)
                message = f"Your staff session ended after {idle // 60} minutes without activity; sign in again."
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": message, "code": "session_expired"}, status=403)
                messages.info(request, message)
                return redirect_to_login(request.get_full_path())
            if not isinstance(last_seen, int) or now - last_seen >= _LAST_SEEN_RESOLUTION:
                request.session[_LAST_SEEN_KEY] = now
            if not request.session.get_expire_at_browser_close():
                request.session.set_expiry(0)
        return self.get_response(request)
