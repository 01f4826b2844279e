"""This app's endpoints under /api/v1/ (included by claystack_portal/api_router.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
