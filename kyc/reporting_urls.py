"""Staff reporting URLs (included by claystack_portal/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from kyc import reporting_views

app_name = "reporting"

urlpatterns: list[URLPattern | URLResolver] = [
    path("staff/reports/", reporting_views.dashboard, name="dashboard"),
    path("staff/reports/queue.csv", reporting_views.export_queue, name="export_queue"),
    path("staff/reports/decisions.csv", reporting_views.export_decisions, name="export_decisions"),
]
