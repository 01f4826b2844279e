"""The review queue's API (staff with case.view): the same filters, sorts and search as the page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasCapability
from accounts.roles import Capability
from kyc import queue


class QueueCaseOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    subject_type = serializers.CharField()
    status = serializers.CharField()
    name = serializers.SerializerMethodField()
    risk_level = serializers.CharField()
    risk_score = serializers.IntegerField(allow_null=True)
    assignee = serializers.EmailField(source="assignee.email", allow_null=True, default=None)
    submitted_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    overdue = serializers.SerializerMethodField()
    open_hits = serializers.BooleanField(source="has_open_hits")

    def get_name(self, obj: Any) -> str:
        company = getattr(obj, "company", None)
        return str(company.legal_name) if company is not None else str(obj.applicant.email)

    def get_overdue(self, obj: Any) -> bool:
        return queue.is_overdue(obj)


class QueuePagination(LimitOffsetPagination):
    """limit/offset paging over `kyc.queue.queue_slice`: the total comes with the counts per status."""

    default_limit = settings.KYC_QUEUE_PAGE_SIZE
    max_limit = 200


class ReviewQueueApi(APIView):
    permission_classes = [HasCapability.for_(Capability.CASE_VIEW)]

    @extend_schema(responses=QueueCaseOutput(many=True))
    def get(self, request: Request) -> Response:
        filters = queue.QueueFilters.from_params(request.query_params)
        paginator = QueuePagination()
        paginator.request = request
        paginator.limit = paginator.get_limit(request) or paginator.default_limit
        paginator.offset = paginator.get_offset(request)
        result = queue.queue_slice(filters, user=request.user, offset=paginator.offset, limit=paginator.limit)
        paginator.count = result.total
        response = paginator.get_paginated_response(QueueCaseOutput(result.cases, many=True).data)
        response.data["counts"] = {key: n for key, _label, n in result.counts}
        return response
