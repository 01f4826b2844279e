"""The portal's URLs plus one view that fails, so a test can follow a server error into the logs."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from claystack_portal import urls as portal_urls


def boom(request: HttpRequest, who: str) -> HttpResponse:
    raise RuntimeError(f"lookup of {who} failed")


urlpatterns = [path("boom/<str:who>/", boom), *portal_urls.urlpatterns]
handler500 = portal_urls.handler500
