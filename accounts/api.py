from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organisation
from accounts.permissions import HasCapability, user_has_mfa, user_roles
from accounts.roles import Capability
from accounts.selectors import audit_event_list, organisation_list_for_user
from core.models import AuditEvent


class OrganisationOutputSerializer(serializers.ModelSerializer[Organisation]):
    id = serializers.UUIDField(source="public_id")
    my_role = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "country", "my_role"]

    def get_my_role(self, obj: Organisation) -> str | None:
        roles: dict[int, str] = self.context.get("my_roles", {})
        return roles.get(obj.pk)


class MeOutputSerializer(serializers.Serializer[dict[str, object]]):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    staff_roles = serializers.ListField(child=serializers.CharField())
    mfa_enabled = serializers.BooleanField()
    organisations = OrganisationOutputSerializer(many=True)


class MeApi(APIView):
    @extend_schema(responses=MeOutputSerializer, summary="The signed-in user, their roles and organisations")
    def get(self, request: Request) -> Response:
        user = request.user
        orgs = list(organisation_list_for_user(user=user))  # type: ignore[arg-type]
        my_roles = dict(user.memberships.values_list("organisation_id", "role"))  # type: ignore[union-attr]
        data = {
            "id": user.public_id,  # type: ignore[union-attr]
            "email": user.email,  # type: ignore[union-attr]
            "full_name": user.full_name,  # type: ignore[union-attr]
            "staff_roles": sorted(user_roles(user)),
            "mfa_enabled": user_has_mfa(user),
            "organisations": orgs,
        }
        return Response(MeOutputSerializer(data, context={"my_roles": my_roles}).data)


class OrganisationListApi(ListAPIView[Organisation]):
    serializer_class = OrganisationOutputSerializer
    pagination_class = None

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return organisation_list_for_user(user=self.request.user)  # type: ignore[arg-type]

    def get_serializer_context(self) -> dict[str, object]:
        my_roles = dict(self.request.user.memberships.values_list("organisation_id", "role"))  # type: ignore[union-attr]
        return {**super().get_serializer_context(), "my_roles": my_roles}


class AuditEventOutputSerializer(serializers.ModelSerializer[AuditEvent]):
    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "occurred_at",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "before",
            "after",
            "data",
            "request_id",
            "ip",
            "prev_hash",
            "hash",
        ]


@extend_schema(
    parameters=[
        OpenApiParameter("action", str, description="Only actions starting with this prefix."),
        OpenApiParameter("actor", str, description="Only events by this e-mail address."),
        OpenApiParameter("target_type", str, description="For example accounts.user."),
        OpenApiParameter("target_id", str),
    ]
)
class AuditEventListApi(ListAPIView[AuditEvent]):
    """The audit trail, newest first. Staff with the audit capability only."""

    serializer_class = AuditEventOutputSerializer
    permission_classes = [HasCapability.for_(Capability.AUDIT_VIEW)]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        params = self.request.query_params
        return audit_event_list(
            action_prefix=params.get("action", "")[:100],
            actor_email=params.get("actor", "")[:254],
            target_type=params.get("target_type", "")[:100],
            target_id=params.get("target_id", "")[:64],
        )
