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
    path("operators/<uuid:public_id>/rewards/", api.RewardsApi.as_view(), name="operators-rewards"),
]
