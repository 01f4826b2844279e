from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core import context

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, trusting X-Forwarded-For only for the configured number of proxies."""
    proxies = int(getattr(settings, "NUM_PROXIES", 0))
    candidate = request.META.get("REMOTE_ADDR", "")
    if proxies > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    try:
        return str(ip_address(candidate))
    except ValueError:
        return None


class RequestContextMiddleware:
    """Gives every request an id (kept from X-Request-ID when well-formed) for logs and the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        ctx = context.RequestContext(
            request_id=request_id,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
        )
        token = context.set_current(ctx)
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response
