"""URLs of the case's screening (included from claystack_portal/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from kyc import screening_views

app_name = "kyc_screening"

urlpatterns: list[URLPattern | URLResolver] = [
    # Public: Sumsub calls it; the payload digest, not a session, authenticates the caller.
    path("webhooks/sumsub/", screening_views.sumsub_webhook, name="sumsub_webhook"),
    # Staff with the case-review capability.
    path(
        "staff/cases/<uuid:public_id>/screening/rerun/",
        screening_views.case_screening_rerun_view,
        name="rerun",
    ),
]
