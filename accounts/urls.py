from __future__ import annotations

from django.urls import path

from accounts import invitation_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/audit/", views.staff_audit, name="staff_audit"),
    path("organisations/<uuid:public_id>/members/", invitation_views.organisation_members, name="organisation_members"),
    path(
        "organisations/<uuid:public_id>/invitations/<uuid:invitation_id>/revoke/",
        invitation_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", invitation_views.invitation_accept, name="invitation_accept"),
]
