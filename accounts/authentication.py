"""API-key authentication and per-key / per-user throttling for the REST API.

`Authorization: Api-Key csk_...` (or `Bearer csk_...`) authenticates as the key's creator with `request.auth`
set to the `ApiKey`; views that accept keys declare, per HTTP method, the scope a key needs:

    class ApplicationDetailApi(APIView):
        api_key_scopes = {"GET": ApiKeyScope.STATUS_READ}

A view (or a method) without a declaration refuses keys with a 403, so a new endpoint is closed to keys
until someone decides which scope opens it. Object scoping: `api_key_organisation(request)` is the only
organisation a key-authenticated request may touch.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from accounts.api_keys import KEY_PREFIX, api_key_authenticate
from accounts.models import ApiKey, Organisation, User

_KEYWORDS = ("api-key", "bearer")
SCOPES_ATTR = "api_key_scopes"


def _key_credentials(request: Any) -> str | None:
    """The key from the Authorization header, None when the header is absent or is another scheme."""
    header = get_authorization_header(request)
    if not header:
        return None
    parts = header.decode("latin-1").split()
    if not parts or parts[0].lower() not in _KEYWORDS:
        return None
    if parts[0].lower() == "bearer" and (len(parts) != 2 or not parts[1].startswith(KEY_PREFIX)):
        return None  # a Bearer token of some other kind: not ours to judge
    if len(parts) != 2:
        raise exceptions.AuthenticationFailed(
            "The Authorization header must read 'Api-Key <key>', with no spaces in the key."
        )
    return parts[1]


def required_scope(view: Any, method: str) -> str | None:
    declared: dict[str, str] = getattr(view, SCOPES_ATTR, None) or {}
    if method == "HEAD":
        method = "GET"
    return declared.get(method)


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        plaintext = _key_credentials(request)
        if plaintext is None:
            return None
        key = api_key_authenticate(plaintext=plaintext)
        if key is None:
            raise exceptions.AuthenticationFailed("This API key is not valid: it is unknown, revoked or expired.")
        view = (request.parser_context or {}).get("view")
        scope = required_scope(view, request.method or "GET")
        if scope is None:
            raise exceptions.PermissionDenied(
                f"This endpoint does not accept API keys for {request.method}; sign in to the portal instead."
            )
        if scope not in key.scopes:
            raise exceptions.PermissionDenied(f"This API key lacks the scope {scope} that this call needs.")
        return key.created_by, key

    def authenticate_header(self, request: Request) -> str | None:
        # Only a request that tried a key gets a 401 with a challenge; an anonymous browser call keeps the
        # session API's 403, which is what the portal's JavaScript and tests expect.
        header = get_authorization_header(request).decode("latin-1").lower()
        if header.startswith(_KEYWORDS):
            return 'Api-Key realm="api"'
        return None


class ApiKeySchema(OpenApiAuthenticationExtension):
    """Describes the key scheme in the OpenAPI schema (registered by being defined)."""

    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key csk_...` (or `Bearer csk_...`), created by an organisation owner. Scopes: "
            "status:read, applications:submit.",
        }


def api_key_organisation(request: Any) -> Organisation | None:
    """The organisation a key-authenticated request is confined to; None for a signed-in person."""
    auth = getattr(request, "auth", None)
    return auth.organisation if isinstance(auth, ApiKey) else None


class _SettingsRateThrottle(SimpleRateThrottle):
    """Rates come from `settings.API_THROTTLE_RATES[scope]` at each request, so tests and operators can change
    them without a restart of the class definitions; a missing rate switches the throttle off."""

    def get_rate(self) -> str | None:
        rates: dict[str, str | None] = getattr(settings, "API_THROTTLE_RATES", {})
        return rates.get(self.scope or "")


class ApiKeyRateThrottle(_SettingsRateThrottle):
    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiKey):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}
        return None


class UserRateThrottle(_SettingsRateThrottle):
    scope = "user"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, ApiKey) or not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
