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
    """limit/offset paging whose total comes with the page (COUNT(*) OVER ()), not from a separate COUNT."""

    default_limit = settings.KYC_QUEUE_PAGE_SIZE
    max_limit = 200

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        rows, self.count = queue.window_slice(queryset, offset=self.offset, limit=self.limit or self.default_limit)
        return rows


class ReviewQueueApi(APIView):
    permission_classes = [HasCapability.for_(Capability.CASE_VIEW)]

    @extend_schema(responses=QueueCaseOutput(many=True))
    def get(self, request: Request) -> Response:
        filters = queue.QueueFilters.from_params(request.query_params)
        paginator = QueuePagination()
        page = paginator.paginate_queryset(queue.queue_cases(filters, user=request.user), request, view=self)
        response = paginator.get_paginated_response(QueueCaseOutput(page, many=True).data)
        response.data["counts"] = {key: n for key, _label, n in queue.queue_counts()}
        return response
