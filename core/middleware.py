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


class RequestSizeLimitMiddleware:
    """Refuses a request whose declared body is larger than REQUEST_MAX_BODY_BYTES with a 413, from the
    Content-Length alone: the body is never read, so a 60 MB upload costs neither memory nor a temporary file.

    A body sent without a Content-Length (chunked) is not read by Django at all; the reverse proxy's own limit
    (docs/deploy.md) is the first line, this is the second for a proxy left at its default.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = int(settings.REQUEST_MAX_BODY_BYTES)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return _too_large(request, declared=declared, limit=limit)
        return self.get_response(request)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _too_large(request: HttpRequest, *, declared: int, limit: int) -> HttpResponse:
    from django.http import JsonResponse
    from django.shortcuts import render

    message = (
        f"The request is {_megabytes(declared)}; the portal accepts at most {_megabytes(limit)} at once. "
        f"Send documents one at a time, each at most {_megabytes(int(settings.KYC_DOCUMENT_MAX_BYTES))}."
    )
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "request_too_large"}, status=413)
    return render(request, "413.html", {"message": message}, status=413)


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
