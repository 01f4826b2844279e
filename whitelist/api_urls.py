"""This app's endpoints under /api/v1/ (included by claystack_portal/api_router.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from whitelist.api import WhitelistLookupApi

urlpatterns: list[URLPattern | URLResolver] = [
    path("whitelist/<str:address>", WhitelistLookupApi.as_view(), name="whitelist-lookup"),
]
