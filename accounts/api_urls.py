"""This app's endpoints under /api/v1/ beyond the original three (included by claystack_portal/api_router.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from accounts import api

_KEYS = "organisations/<uuid:public_id>/api-keys/"

urlpatterns: list[URLPattern | URLResolver] = [
    path(_KEYS, api.ApiKeyListCreateApi.as_view(), name="api-keys"),
    path(_KEYS + "<uuid:key_id>/rotate/", api.ApiKeyRotateApi.as_view(), name="api-key-rotate"),
    path(_KEYS + "<uuid:key_id>/revoke/", api.ApiKeyRevokeApi.as_view(), name="api-key-revoke"),
]
