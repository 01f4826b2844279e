from __future__ import annotations

from django.urls import path

from accounts import api_key_views, invitation_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/audit/", views.staff_audit, name="staff_audit"),
    path("organisations/new/", views.organisation_new, name="organisation_new"),
    path("organisations/<uuid:public_id>/members/", invitation_views.organisation_members, name="organisation_members"),
    path(
        "organisations/<uuid:public_id>/invitations/<uuid:invitation_id>/revoke/",
        invitation_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("organisations/<uuid:public_id>/api-keys/", api_key_views.api_keys, name="organisation_api_keys"),
    path(
        "organisations/<uuid:public_id>/api-keys/<uuid:key_id>/rotate/",
        api_key_views.api_key_rotate_view,
        name="api_key_rotate",
    ),
    path(
        "organisations/<uuid:public_id>/api-keys/<uuid:key_id>/revoke/",
        api_key_views.api_key_revoke_view,
        name="api_key_revoke",
    ),
    path("invitations/<str:token>/", invitation_views.invitation_accept, name="invitation_accept"),
]
