"""This app's endpoints under /api/v1/ (included by claystack_portal/api_router.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from operators import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("operators/", api.OperatorListApi.as_view(), name="operators-list"),
    path("operators/diversity/", api.DiversityApi.as_view(), name="operators-diversity"),
    path("operators/allocation/", api.AllocationApi.as_view(), name="operators-allocation"),
    path("operators/<uuid:public_id>/", api.OperatorDetailApi.as_view(), name="operators-detail"),
    path("operators/<uuid:public_id>/deposit-data/", api.DepositDataImportApi.as_view(), name="operators-deposit-data"),
    path("operators/<uuid:public_id>/application/", api.ApplicationLinkApi.as_view(), name="operators-application"),
    path("operators/<uuid:public_id>/addresses/", api.AddressListApi.as_view(), name="operators-addresses"),
    path("operators/<uuid:public_id>/submit/", api.SubmitApi.as_view(), name="operators-submit"),
    path("operators/<uuid:public_id>/status/", api.StatusApi.as_view(), name="operators-status"),
    path("operators/<uuid:public_id>/nodes/", api.NodeListApi.as_view(), name="operators-nodes"),
    path("operators/<uuid:public_id>/rewards/", api.RewardsApi.as_view(), name="operators-rewards"),
]
