from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_keys import IssuedKey, api_key_create, api_key_list, api_key_revoke, api_key_rotate
from accounts.models import ApiKey, ApiKeyScope, Membership, Organisation
from accounts.permissions import HasCapability, user_has_mfa, user_roles
from accounts.roles import Capability
from accounts.selectors import audit_event_list, organisation_list_for_user
from accounts.services import organisation_create
from core.models import AuditEvent


class OrganisationOutputSerializer(serializers.ModelSerializer[Organisation]):
    id = serializers.UUIDField(source="public_id")
    my_role = serializers.SerializerMethodField()

    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "country", "lei", "my_role"]

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

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "OrganisationCreateInput"

        name = serializers.CharField(max_length=200, help_text="The registered legal name.")
        kind = serializers.ChoiceField(choices=Organisation.Kind.choices)
        country = serializers.CharField(
            max_length=2, required=False, allow_blank=True, help_text="ISO 3166-1 alpha-2 code, e.g. PT."
        )
        lei = serializers.CharField(max_length=24, required=False, allow_blank=True, help_text="ISO 17442 LEI.")

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return organisation_list_for_user(user=self.request.user)  # type: ignore[arg-type]

    def get_serializer_context(self) -> dict[str, object]:
        my_roles = dict(self.request.user.memberships.values_list("organisation_id", "role"))  # type: ignore[union-attr]
        return {**super().get_serializer_context(), "my_roles": my_roles}

    @extend_schema(
        request=InputSerializer,
        responses={201: OrganisationOutputSerializer},
        summary="Register an organisation (institution or node-operator company); you become its owner",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = organisation_create(owner=request.user, **data.validated_data)  # type: ignore[arg-type]
        context = {**self.get_serializer_context(), "my_roles": {organisation.pk: Membership.Role.OWNER}}
        return Response(
            OrganisationOutputSerializer(organisation, context=context).data, status=status.HTTP_201_CREATED
        )


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


# API keys ----------------------------------------------------------------------------------------------------
# Managed with a signed-in owner's session only: these views declare no key scope, so a key cannot mint keys.


def _owned_organisation(request: Request, public_id: Any) -> Organisation:
    """The organisation if the user is a member (else 404, so outsiders learn nothing); non-owners get a 403."""
    membership = (
        Membership.objects.select_related("organisation")
        .filter(user=request.user, organisation__public_id=public_id)  # type: ignore[misc]
        .first()
    )
    if membership is None:
        raise Http404("No such organisation.")
    if membership.role != Membership.Role.OWNER:
        raise PermissionDenied("Only an owner of the organisation manages its API keys.")
    return membership.organisation


def _api_key(organisation: Organisation, key_id: Any) -> ApiKey:
    key = ApiKey.objects.filter(organisation=organisation, public_id=key_id).first()
    if key is None:
        raise Http404("No such API key.")
    return key


class ApiKeyOutputSerializer(serializers.ModelSerializer[ApiKey]):
    id = serializers.UUIDField(source="public_id")
    created_by = serializers.EmailField(source="created_by.email")
    state = serializers.CharField()
    replaced_by = serializers.UUIDField(source="replaced_by.public_id", allow_null=True, default=None)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scopes",
            "state",
            "created_at",
            "created_by",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "replaced_by",
        ]


class ApiKeyIssuedOutputSerializer(ApiKeyOutputSerializer):
    key = serializers.CharField(help_text="The key itself. Shown in this response only: store it now.")

    class Meta(ApiKeyOutputSerializer.Meta):
        fields = [*ApiKeyOutputSerializer.Meta.fields, "key"]


def _issued(issued: IssuedKey) -> dict[str, Any]:
    data = dict(ApiKeyOutputSerializer(issued.api_key).data)
    data["key"] = issued.plaintext
    return data


class ApiKeyListCreateApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "ApiKeyCreateInput"

        name = serializers.CharField(max_length=100)
        scopes = serializers.ListField(child=serializers.ChoiceField(choices=ApiKeyScope.choices), min_length=1)
        expires_in_days = serializers.IntegerField(min_value=1, default=90)

    @extend_schema(responses=ApiKeyOutputSerializer(many=True), summary="The organisation's API keys (owners)")
    def get(self, request: Request, public_id: Any) -> Response:
        organisation = _owned_organisation(request, public_id)
        keys = api_key_list(organisation=organisation).select_related("replaced_by")
        return Response(ApiKeyOutputSerializer(keys, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: ApiKeyIssuedOutputSerializer},
        summary="Create an API key; the response is the only time the key is shown",
    )
    def post(self, request: Request, public_id: Any) -> Response:
        organisation = _owned_organisation(request, public_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = api_key_create(
            organisation=organisation,
            name=data.validated_data["name"],
            scopes=data.validated_data["scopes"],
            expires_in_days=data.validated_data["expires_in_days"],
            by=request.user,  # type: ignore[arg-type]
        )
        return Response(_issued(issued), status=status.HTTP_201_CREATED)


class ApiKeyRotateApi(APIView):
    @extend_schema(
        request=None,
        responses={201: ApiKeyIssuedOutputSerializer},
        summary="Replace a key; the old one works for API_KEY_ROTATION_GRACE_SECONDS more",
    )
    def post(self, request: Request, public_id: Any, key_id: Any) -> Response:
        key = _api_key(_owned_organisation(request, public_id), key_id)
        issued = api_key_rotate(api_key=key, by=request.user)  # type: ignore[arg-type]
        return Response(_issued(issued), status=status.HTTP_201_CREATED)


class ApiKeyRevokeApi(APIView):
    @extend_schema(request=None, responses=ApiKeyOutputSerializer, summary="Revoke a key now")
    def post(self, request: Request, public_id: Any, key_id: Any) -> Response:
        key = _api_key(_owned_organisation(request, public_id), key_id)
        key = api_key_revoke(api_key=key, by=request.user)  # type: ignore[arg-type]
        return Response(ApiKeyOutputSerializer(key).data)
