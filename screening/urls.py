from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from screening import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("staff/screening/lists/", views.staff_lists, name="screening_staff_lists"),
]
