from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from whitelist import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("staff/whitelist/", views.overview, name="whitelist_overview"),
    path("staff/whitelist/changes/", views.changes, name="whitelist_changes"),
    path("staff/whitelist/progress.json", views.progress, name="whitelist_progress"),
    path("staff/whitelist/push/", views.push_now, name="whitelist_push"),
    path("staff/whitelist/dry-run/", views.dry_run, name="whitelist_dry_run"),
    path("staff/whitelist/drift/", views.drift, name="whitelist_drift"),
    path("staff/whitelist/drift/<int:pk>/heal/", views.drift_heal, name="whitelist_drift_heal"),
    path("staff/whitelist/batches/<int:pk>/", views.batch_detail, name="whitelist_batch"),
    path("staff/whitelist/batches/<int:pk>/approve/", views.batch_approve_view, name="whitelist_batch_approve"),
    path("staff/whitelist/batches/<int:pk>/cancel/", views.batch_cancel_view, name="whitelist_batch_cancel"),
    path("staff/whitelist/batches/<int:pk>/safe.json", views.batch_safe_export, name="whitelist_batch_safe"),
    path("staff/whitelist/address/", views.address_search, name="whitelist_address_search"),
    path("staff/whitelist/address/<str:address>/", views.address_detail, name="whitelist_address"),
]
