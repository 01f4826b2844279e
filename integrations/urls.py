from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from integrations import views

app_name = "integrations"

urlpatterns: list[URLPattern | URLResolver] = [
    path("integrations/webhooks/", views.endpoint_list, name="endpoints"),
    path("integrations/webhooks/new/", views.endpoint_new, name="endpoint_new"),
    path("integrations/webhooks/<uuid:public_id>/", views.endpoint_detail, name="endpoint"),
    path("integrations/webhooks/<uuid:public_id>/<slug:action>/", views.endpoint_action, name="endpoint_action"),
]
