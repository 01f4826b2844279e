from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from kyc import identity_views, review_views, views

app_name = "kyc"

urlpatterns: list[URLPattern | URLResolver] = [
    path("applications/", views.application_list, name="list"),
    path("applications/new/", views.application_new, name="new"),
    path("applications/<uuid:public_id>/", views.application_status, name="status"),
    path("applications/<uuid:public_id>/resume/", views.application_resume, name="resume"),
    path("applications/<uuid:public_id>/step/<slug:step>/", views.application_step, name="step"),
    path("applications/<uuid:public_id>/people/add/", views.person_edit, name="person_add"),
    path("applications/<uuid:public_id>/people/<uuid:person_id>/", views.person_edit, name="person_edit"),
    path("applications/<uuid:public_id>/people/<uuid:person_id>/delete/", views.person_delete, name="person_delete"),
    path(
        "applications/<uuid:public_id>/documents/<uuid:document_id>/delete/",
        views.document_delete,
        name="document_delete",
    ),
    path("applications/<uuid:public_id>/wallets/<uuid:wallet_id>/prove/", views.wallet_prove, name="wallet_prove"),
    path("applications/<uuid:public_id>/wallets/<uuid:wallet_id>/delete/", views.wallet_delete, name="wallet_delete"),
    path("applications/<uuid:public_id>/submit/", views.application_submit, name="submit"),
    path("applications/<uuid:public_id>/resubmit/", views.application_resubmit, name="resubmit"),
    path("applications/<uuid:public_id>/renew/", views.application_renew, name="renew"),
    path("documents/<uuid:document_id>/", views.document_download, name="document"),
    # Identity verification: the applicant's page, the SDK's token refresh, and the link for people without account.
    path("applications/<uuid:public_id>/identity/", identity_views.identity_overview, name="identity"),
    path(
        "applications/<uuid:public_id>/identity/<uuid:person_id>/token/",
        identity_views.identity_token,
        name="identity_token",
    ),
    path("verify/<str:token>/", identity_views.identity_link, name="identity_link"),
    path("verify/<str:token>/token/", identity_views.identity_link_token, name="identity_link_token"),
    # Compliance review (staff).
    path("staff/cases/", review_views.case_queue, name="queue"),
    path("staff/cases/<uuid:public_id>/", review_views.case_detail, name="case"),
    path("staff/cases/<uuid:public_id>/<slug:action>/", review_views.case_action, name="case_action"),
    path("staff/notifications/", review_views.notification_list, name="notifications"),
    path("staff/notifications/read/", review_views.notification_mark_read, name="notifications_read"),
    path("staff/risk/countries/", review_views.country_risk_list, name="country_risk"),
    path("staff/risk/rules/", review_views.risk_rules, name="risk_rules"),
]
