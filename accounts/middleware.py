from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
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
