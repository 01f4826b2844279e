"""The review queue's API (staff with case.view): the same filters, sorts and search as the page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasCapability
from accounts.roles import Capability
from kyc import queue, review
from kyc.models import Application, RiskLevel


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


# Decisions over the API (case management systems of compliance teams): the same services as the case page. -----


class CaseDecisionOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    status = serializers.CharField()
    risk_level = serializers.CharField(help_text="The governing level: what approvals and validity follow.")
    risk_level_computed = serializers.CharField(help_text="What the risk rules gave.")
    valid_until = serializers.DateTimeField(allow_null=True)
    approvals_given = serializers.SerializerMethodField()
    approvals_required = serializers.SerializerMethodField()

    def get_approvals_given(self, obj: Application) -> int:
        return review.approvals_given(obj)

    def get_approvals_required(self, obj: Application) -> int | None:
        return review.approvals_still_required(obj)


def _case(public_id: Any) -> Application:
    return get_object_or_404(Application.objects.exclude(status=Application.Status.DRAFT), public_id=public_id)


class CaseClaimApi(APIView):
    permission_classes = [HasCapability.for_(Capability.CASE_REVIEW)]

    @extend_schema(request=None, responses=CaseDecisionOutput)
    def post(self, request: Request, public_id: Any) -> Response:
        case = review.case_claim(application=_case(public_id), by=request.user)  # type: ignore[arg-type]
        return Response(CaseDecisionOutput(case).data)


class CaseApproveApi(APIView):
    """Approve (the assignee's first approval, or a later one by a different approver). `risk_level` above the
    computed level raises it; below it is an override that needs `override_reason` and always a second approver."""

    permission_classes = [HasCapability.for_(Capability.CASE_REVIEW)]

    class ApproveInput(serializers.Serializer[Any]):
        reason = serializers.CharField(max_length=5000)
        risk_level = serializers.ChoiceField(choices=RiskLevel.choices, required=False)
        override_reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")

    @extend_schema(request=ApproveInput, responses=CaseDecisionOutput)
    def post(self, request: Request, public_id: Any) -> Response:
        data = self.ApproveInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = review.case_approve(
            application=_case(public_id),
            by=request.user,  # type: ignore[arg-type]
            reason=data.validated_data["reason"],
            risk_level=data.validated_data.get("risk_level"),
            override_reason=data.validated_data["override_reason"],
        )
        return Response(CaseDecisionOutput(case).data)


class CaseRejectApi(APIView):
    permission_classes = [HasCapability.for_(Capability.CASE_REVIEW)]

    class RejectInput(serializers.Serializer[Any]):
        reason_code = serializers.CharField(max_length=64)
        internal_note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
        applicant_message = serializers.CharField(max_length=5000)

    @extend_schema(request=RejectInput, responses=CaseDecisionOutput)
    def post(self, request: Request, public_id: Any) -> Response:
        data = self.RejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = review.case_reject(application=_case(public_id), by=request.user, **data.validated_data)  # type: ignore[arg-type]
        return Response(CaseDecisionOutput(case).data)
