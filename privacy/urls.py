from __future__ import annotations

from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("staff/privacy/", views.retention_overview, name="retention"),
    path("staff/privacy/holds/", views.legal_hold_set, name="hold_set"),
    path("staff/privacy/holds/<uuid:public_id>/clear/", views.legal_hold_clear, name="hold_clear"),
    path("staff/privacy/export/", views.staff_export, name="staff_export"),
    path("privacy/my-data/", views.my_data, name="my_data"),
    path("privacy/exports/<uuid:export_id>/", views.export_download, name="export_download"),
]
