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


def build_policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(sources)}".strip() for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Adds `settings.CONTENT_SECURITY_POLICY` to every response that does not set its own policy.

    Django 5.2 has none built in. The policy forbids inline scripts, inline styles and event-handler attributes,
    so templates load their JavaScript and CSS from /static/ (a test scans the templates for inline code).
    """

    header = "Content-Security-Policy"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = build_policy(getattr(settings, "CONTENT_SECURITY_POLICY", {}))
        if getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", False):
            self.header = "Content-Security-Policy-Report-Only"

        directives = dict(getattr(settings, "CONTENT_SECURITY_POLICY", {}))
        directives["frame-ancestors"] = ["'self'"]
        self.frameable_policy = build_policy(directives)
        self.frameable: frozenset[str] = frozenset(getattr(settings, "FRAMEABLE_URL_NAMES", ()))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not self.policy or "Content-Security-Policy" in response or self.header in response:
            return response
        match = getattr(request, "resolver_match", None)
        if match is not None and match.view_name in self.frameable:
            # A document the portal previews in its own pages (an <iframe>/<object> on the same origin).
            response[self.header] = self.frameable_policy
            response["X-Frame-Options"] = "SAMEORIGIN"
        else:
            response[self.header] = self.policy
        return response
