"""Everything under /api/v1/. Each app adds its endpoints here; the schema and docs are generated."""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its set-up script from a URL, so the page needs no inline script (CSP). There is no
    # Redoc page: Redoc injects inline styles, which the policy forbids.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("me/", accounts_api.MeApi.as_view(), name="me"),
    path("organisations/", accounts_api.OrganisationListApi.as_view(), name="organisations"),
    path("audit-events/", accounts_api.AuditEventListApi.as_view(), name="audit-events"),
    path("", include("accounts.api_urls")),
    path("", include("kyc.api_urls")),
    path("", include("screening.api_urls")),
    path("", include("whitelist.api_urls")),
    path("", include("operators.api_urls")),
]
