"""The portal's URLs plus the bare baseline view, reachable only under the benchmark's settings."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from claystack_portal.urls import urlpatterns as portal_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    """The least a Django view can do: what every request costs before any application work."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), *portal_urlpatterns]

handler400 = "core.views.error_400"
handler403 = "core.views.error_403"
handler404 = "core.views.error_404"
handler500 = "core.views.error_500"
