from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from core import views as core_views

# The admin site logs in through allauth, so its login gets MFA and rate limits too.
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "ClayStack Compliance Portal administration"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("claystack_portal.api_router")),
    path("", include("accounts.urls")),
    path("", include("kyc.urls")),
    path("", include("kyc.screening_urls")),
    path("", include("screening.urls")),
    path("", include("whitelist.urls")),
    path("", include("operators.urls")),
    path("", include("kyc.reporting_urls")),
    path("", include("integrations.urls")),
    path("", include("privacy.urls")),
    path("", include("assurance.urls")),
]

handler400 = "core.views.error_400"
handler403 = "core.views.error_403"
handler404 = "core.views.error_404"
handler500 = "core.views.error_500"
