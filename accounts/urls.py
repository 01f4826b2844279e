from __future__ import annotations

from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/audit/", views.staff_audit, name="staff_audit"),
]
