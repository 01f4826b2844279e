from __future__ import annotations

from django.urls import path

from assurance import views

app_name = "assurance"

urlpatterns = [
    path("staff/integrity/", views.overview, name="overview"),
    path("staff/integrity/run/", views.run_now, name="run"),
    path("staff/integrity/<int:pk>/", views.verification_detail, name="verification"),
]
