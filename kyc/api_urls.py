"""This app's endpoints under /api/v1/ (included by claystack_portal/api_router.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from kyc import api, review_api

_APP = "applications/<uuid:public_id>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("applications/", api.ApplicationListCreateApi.as_view(), name="kyc-applications"),
    path(_APP, api.ApplicationDetailApi.as_view(), name="kyc-application"),
    path(_APP + "details/", api.ApplicationDetailsApi.as_view(), name="kyc-application-details"),
    path(_APP + "profile/", api.ApplicationProfileApi.as_view(), name="kyc-application-profile"),
    path(_APP + "company/", api.ApplicationCompanyApi.as_view(), name="kyc-application-company"),
    path(_APP + "people/", api.PersonListCreateApi.as_view(), name="kyc-people"),
    path(_APP + "people/<uuid:person_id>/", api.PersonDetailApi.as_view(), name="kyc-person"),
    path(_APP + "documents/", api.DocumentListCreateApi.as_view(), name="kyc-documents"),
    path(_APP + "documents/<uuid:document_id>/", api.DocumentDetailApi.as_view(), name="kyc-document"),
    path(_APP + "wallets/", api.WalletListCreateApi.as_view(), name="kyc-wallets"),
    path(_APP + "wallets/<uuid:wallet_id>/", api.WalletDetailApi.as_view(), name="kyc-wallet"),
    path(_APP + "wallets/<uuid:wallet_id>/challenge/", api.WalletChallengeApi.as_view(), name="kyc-wallet-challenge"),
    path(_APP + "wallets/<uuid:wallet_id>/proof/", api.WalletProofApi.as_view(), name="kyc-wallet-proof"),
    path(_APP + "submit/", api.ApplicationSubmitApi.as_view(), name="kyc-application-submit"),
    path(_APP + "timeline/", api.ApplicationTimelineApi.as_view(), name="kyc-application-timeline"),
    path("review/queue/", review_api.ReviewQueueApi.as_view(), name="kyc-review-queue"),
    path("review/cases/<uuid:public_id>/claim/", review_api.CaseClaimApi.as_view(), name="kyc-review-claim"),
    path("review/cases/<uuid:public_id>/approve/", review_api.CaseApproveApi.as_view(), name="kyc-review-approve"),
    path("review/cases/<uuid:public_id>/reject/", review_api.CaseRejectApi.as_view(), name="kyc-review-reject"),
]
