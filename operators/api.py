"""The operators API: one view per operation, input and output serializers, scoped querysets."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organisation, User
from accounts.permissions import HasCapability, user_is_staff_member
from accounts.roles import Capability
from core.api import JSONParser
from core.countries import COUNTRY_CODES
from core.ethaddress import parse_address
from core.names import NameSerializerField
from operators import checklist, selectors, services, states
from operators.allocation import allocate
from operators.forms import AllocationForm
from operators.models import (
    Category,
    ConsensusClient,
    ExecutionClient,
    HostingType,
    Node,
    OperatorAddress,
    OperatorProfile,
    Pool,
)
from operators.rewards import fmt


class OperatorOutputSerializer(serializers.ModelSerializer[OperatorProfile]):
    id = serializers.UUIDField(source="public_id")
    validator_count = serializers.IntegerField(source="live_validators")

    class Meta:
        model = OperatorProfile
        fields = [
            "id",
            "name",
            "category",
            "pool",
            "status",
            "execution_client",
            "execution_client_version",
            "consensus_client",
            "consensus_client_version",
            "hosting_type",
            "hosting_provider",
            "country",
            "region",
            "mev_relays",
            "years_experience",
            "other_networks",
            "ssv_operator_ids",
            "validator_cap",
            "validator_count",
        ]


def _user(request: Request) -> User:
    return cast(User, request.user)


def _own_operator(request: Request, public_id: Any) -> OperatorProfile:
    """The operator if the signed-in user works on it (member or the individual); 404 for anyone else, staff
    included: staff read the operator, they never act as it."""
    operator = selectors.operator_get_for_user(user=request.user, public_id=public_id)
    if not selectors.operator_works_on(user=request.user, operator=operator):
        raise Http404
    return operator


class OperatorInputSerializer(serializers.Serializer[Any]):
    """The profile an operator declares; on PATCH any subset. Validated against the resulting profile."""

    name = NameSerializerField(max_length=200)
    category = serializers.ChoiceField(choices=Category.choices)
    pool = serializers.ChoiceField(choices=Pool.choices, required=False)
    execution_client = serializers.ChoiceField(choices=ExecutionClient.choices)
    execution_client_version = serializers.CharField(max_length=40, required=False, allow_blank=True)
    consensus_client = serializers.ChoiceField(choices=ConsensusClient.choices)
    consensus_client_version = serializers.CharField(max_length=40, required=False, allow_blank=True)
    hosting_type = serializers.ChoiceField(choices=HostingType.choices)
    hosting_provider = serializers.CharField(max_length=100, required=False, allow_blank=True)
    country = serializers.CharField(min_length=2, max_length=2)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    mev_relays = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=30)
    years_experience = serializers.IntegerField(min_value=0, max_value=100, required=False)
    other_networks = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=30)
    ssv_operator_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=50)

    def validate_country(self, value: str) -> str:
        value = value.strip().upper()
        if value not in COUNTRY_CODES:
            raise serializers.ValidationError(
                f"“{value}” is not an ISO 3166-1 alpha-2 country code; use two letters such as PT, DE, GB."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current: dict[str, Any] = {}
        if isinstance(self.instance, OperatorProfile):
            current = {f: getattr(self.instance, f) for f in services.PROFILE_FIELDS}
        merged = current | attrs
        if merged.get("hosting_type") == HostingType.HOME:
            attrs["hosting_provider"] = "home"
        elif not (merged.get("hosting_provider") or "").strip():
            raise serializers.ValidationError(
                {"hosting_provider": "Name the cloud provider or data centre (e.g. AWS, Hetzner, Equinix FR5)."}
            )
        if merged.get("category") == Category.SSV_OPERATOR and not merged.get("ssv_operator_ids"):
            raise serializers.ValidationError({"ssv_operator_ids": "An SSV operator gives its SSV operator ids."})
        return attrs


class OperatorCreateInputSerializer(OperatorInputSerializer):
    organisation = serializers.UUIDField(
        required=False, allow_null=True, help_text="Your organisation's id for a company operator; omit for yourself."
    )


class OperatorListApi(ListAPIView[OperatorProfile]):
    """The operators the signed-in user works on; POST registers a draft operator."""

    serializer_class = OperatorOutputSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        if user_is_staff_member(self.request.user):
            raise Http404("Staff accounts have no node operators.")
        return selectors.operator_list_for_user(user=self.request.user)

    @extend_schema(
        request=OperatorCreateInputSerializer,
        responses={201: OperatorOutputSerializer},
        summary="Register a draft operator (for one of your organisations, or yourself)",
    )
    def post(self, request: Request) -> Response:
        if user_is_staff_member(request.user):
            raise Http404("Staff accounts have no node operators.")
        data = OperatorCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        org_id = fields.pop("organisation", None)
        organisation = None
        if org_id is not None:
            organisation = Organisation.objects.filter(public_id=org_id, memberships__user=_user(request)).first()
            if organisation is None:
                return Response({"organisation": ["Not one of your organisations."]}, status=400)
        operator = services.operator_create(by=_user(request), organisation=organisation, fields=fields)
        operator.live_validators = 0  # type: ignore[attr-defined]
        return Response(OperatorOutputSerializer(operator).data, status=status.HTTP_201_CREATED)


class OperatorDetailApi(APIView):
    @extend_schema(
        request=OperatorInputSerializer,
        responses=OperatorOutputSerializer,
        summary="Change the profile (a draft, or when staff asked for changes)",
    )
    def patch(self, request: Request, public_id: Any) -> Response:
        operator = _own_operator(request, public_id)
        data = OperatorInputSerializer(operator, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        operator = services.operator_update(operator=operator, by=_user(request), fields=dict(data.validated_data))
        operator.live_validators = operator.validators.filter(beacon_status__in=selectors.LIVE).count()  # type: ignore[attr-defined]
        return Response(OperatorOutputSerializer(operator).data)

    @extend_schema(responses=OperatorOutputSerializer, summary="One operator with its bond and latest score")
    def get(self, request: Request, public_id: Any) -> Response:
        operator = selectors.operator_get_for_user(user=request.user, public_id=public_id)
        operator.live_validators = operator.validators.filter(beacon_status__in=selectors.LIVE).count()  # type: ignore[attr-defined]
        bond = selectors.operator_bond(operator)
        scores = selectors.score_history(operator)
        data = dict(OperatorOutputSerializer(operator).data)
        data["bond"] = {
            "bond_eth": str(bond.bond_eth),
            "multiplier": str(bond.multiplier),
            "score_used": str(bond.score),
            "explanation": bond.explanation(),
        }
        data["performance"] = [
            {
                "at": s.created_at.isoformat(),
                "score": str(s.score),
                "formula_version": s.formula_version,
                **s.components,
            }
            for s in scores
        ]
        return Response(data)


class DepositDataImportApi(APIView):
    """Upload a deposit-data file (multipart `file`, or the JSON array itself as the body)."""

    parser_classes = [MultiPartParser, JSONParser]

    class DepositImportOutputSerializer(serializers.Serializer[dict[str, object]]):
        keys = serializers.IntegerField()
        sha256 = serializers.CharField()
        network = serializers.CharField()

    @extend_schema(
        request=None, responses={201: DepositImportOutputSerializer}, summary="Import validator keys from deposit data"
    )
    def post(self, request: Request, public_id: Any) -> Response:
        operator = _own_operator(request, public_id)
        if request.content_type.startswith("multipart/"):
            upload = request.FILES.get("file")
            if upload is None:
                return Response({"file": ["Attach the deposit-data JSON file as `file`."]}, status=400)
            if upload.size is not None and upload.size > settings.OPERATORS_DEPOSIT_FILE_MAX_BYTES:
                return Response(
                    {"file": [f"Larger than {settings.OPERATORS_DEPOSIT_FILE_MAX_BYTES} bytes."]}, status=400
                )
            raw, name = upload.read(), upload.name or "upload.json"
        else:
            raw, name = request.body, "request-body.json"
        record = services.validators_import_deposit_data(operator=operator, by=request.user, filename=name, raw=raw)  # type: ignore[arg-type]
        return Response(
            self.DepositImportOutputSerializer(
                {"keys": record.keys, "sha256": record.sha256, "network": record.network}
            ).data,
            status=status.HTTP_201_CREATED,
        )


class ApplicationLinkApi(APIView):
    class InputSerializer(serializers.Serializer[dict[str, object]]):
        class Meta:
            ref_name = "OperatorApplicationLinkInput"

        application = serializers.UUIDField(help_text="The id of your approved or pending KYC/KYB application.")

    class OutputSerializer(serializers.Serializer[dict[str, object]]):
        class Meta:
            ref_name = "OperatorApplicationLink"

        application = serializers.UUIDField()
        reference = serializers.CharField()
        status = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=OutputSerializer, summary="Link the KYC/KYB application")
    def post(self, request: Request, public_id: Any) -> Response:
        from kyc.models import Application

        operator = _own_operator(request, public_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = Application.objects.filter(public_id=data.validated_data["application"]).first()
        if application is None:
            return Response({"application": ["No such application of yours."]}, status=400)
        # The service refuses another owner's application without saying whether it exists.
        services.operator_link_application(operator=operator, by=_user(request), application=application)
        return Response(
            self.OutputSerializer(
                {"application": application.public_id, "reference": application.reference, "status": application.status}
            ).data
        )


class AddressOutputSerializer(serializers.ModelSerializer[OperatorAddress]):
    class Meta:
        model = OperatorAddress
        fields = ["address", "purpose", "label", "whitelist_state", "created_at"]


class AddressListApi(APIView):
    class InputSerializer(serializers.Serializer[dict[str, object]]):
        class Meta:
            ref_name = "OperatorAddressInput"

        address = serializers.CharField(max_length=42)
        purpose = serializers.ChoiceField(choices=OperatorAddress.Purpose.choices)
        # DRF takes declared fields off the class, so the name does not shadow Field.label at run time.
        label = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")  # type: ignore[assignment]

        def validate_address(self, value: str) -> str:
            try:
                return parse_address(value)
            except ValueError as exc:
                raise serializers.ValidationError(str(exc)) from exc

    @extend_schema(responses=AddressOutputSerializer(many=True), summary="The operator's declared addresses")
    def get(self, request: Request, public_id: Any) -> Response:
        operator = selectors.operator_get_for_user(user=request.user, public_id=public_id)
        return Response(AddressOutputSerializer(operator.addresses.all(), many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: AddressOutputSerializer},
        summary="Declare a withdrawal or fee-recipient address (screened; whitelisted at once when approved)",
    )
    def post(self, request: Request, public_id: Any) -> Response:
        operator = _own_operator(request, public_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        row = services.operator_address_add(
            operator=operator, by=_user(request), address=d["address"], purpose=d["purpose"], label=d["label"]
        )
        return Response(AddressOutputSerializer(row).data, status=status.HTTP_201_CREATED)


class SubmitApi(APIView):
    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT}, summary="Submit for technical review")
    def post(self, request: Request, public_id: Any) -> Response:
        operator = _own_operator(request, public_id)
        operator = services.operator_transition(
            operator=operator, to_status=OperatorProfile.Status.SUBMITTED, by=_user(request)
        )
        return Response({"status": operator.status, "submitted_at": operator.submitted_at})


class StatusApi(APIView):
    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        summary="Onboarding status: state, what still blocks approval, the due-diligence checklist, history",
    )
    def get(self, request: Request, public_id: Any) -> Response:
        operator = selectors.operator_get_for_user(user=request.user, public_id=public_id)
        staff = not selectors.operator_works_on(user=request.user, operator=operator)
        return Response(
            {
                "id": str(operator.public_id),
                "status": operator.status,
                "submitted_at": operator.submitted_at,
                "decided_at": operator.decided_at,
                "kyc_application": (
                    {"reference": operator.kyc_application.reference, "status": operator.kyc_application.status}
                    if operator.kyc_application
                    else None
                ),
                "next_steps": states.next_states(operator.status, states.STAFF if staff else states.OPERATOR),
                "blockers": services.operator_approval_blockers(operator=operator, for_staff=staff),
                "checklist": [
                    {
                        "key": item.key,
                        "label": checklist.LABELS.get(item.key, item.key),
                        "result": item.result,
                        "note": item.note,
                        "reviewed_at": item.reviewed_at,
                    }
                    for item in operator.checklist.all()
                ],
                "history": [
                    {"at": c.created_at, "from": c.from_status, "to": c.to_status, "reason": c.reason}
                    for c in operator.status_changes.all()
                ],
            }
        )


class NodeOutputSerializer(serializers.ModelSerializer[Node]):
    id = serializers.UUIDField(source="public_id")
    validator_count = serializers.IntegerField(source="live_validators")

    class Meta:
        model = Node
        fields = ["id", *services.NODE_FIELDS, "validator_count"]


class NodeListApi(APIView):
    @extend_schema(responses=NodeOutputSerializer(many=True), summary="The operator's nodes with live validators")
    def get(self, request: Request, public_id: Any) -> Response:
        operator = selectors.operator_get_for_user(user=request.user, public_id=public_id)
        return Response(NodeOutputSerializer(selectors.operator_nodes(operator), many=True).data)


class RewardsApi(APIView):
    class InputSerializer(serializers.Serializer[dict[str, object]]):
        epoch_from = serializers.IntegerField(min_value=0)
        epoch_to = serializers.IntegerField(min_value=0)
        total_eth = serializers.DecimalField(max_digits=20, decimal_places=9, min_value=Decimal(0), required=False)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if attrs["epoch_from"] > attrs["epoch_to"]:
                raise serializers.ValidationError({"epoch_to": "Must not come before epoch_from."})
            return attrs

    @extend_schema(
        parameters=[
            OpenApiParameter("epoch_from", int, required=True),
            OpenApiParameter("epoch_to", int, required=True),
            OpenApiParameter("total_eth", str, required=False),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="R = T x F x N / A - P + O for an epoch range, every term shown",
    )
    def get(self, request: Request, public_id: Any) -> Response:
        operator = selectors.operator_get_for_user(user=request.user, public_id=public_id)
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        d = params.validated_data
        report = selectors.rewards_report(
            operator=operator, epoch_from=d["epoch_from"], epoch_to=d["epoch_to"], total_eth=d.get("total_eth")
        )
        return Response(
            {
                "epoch_from": report.epoch_from,
                "epoch_to": report.epoch_to,
                "terms": {symbol: value for symbol, _, value in report.terms()},
                "reward_eth": fmt(report.reward_eth),
                "formula": report.formula,
            }
        )


class DiversityApi(APIView):
    """Public: the validator set by country, hosting, clients and category, with HHI and Nakamoto coefficient."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="Validator-set diversity (public)")
    def get(self, request: Request) -> Response:
        distributions = selectors.diversity_distributions()
        return Response(
            {
                "distributions": [d.as_json() for d in distributions],
                "warnings": [w for d in distributions for w in d.warnings],
                "operators": [
                    {
                        "id": str(row["operator"].public_id),
                        "name": row["operator"].name,
                        "category": row["operator"].category,
                        "country": row["operator"].country,
                        "validators": row["validators"],
                        "scores": [
                            {
                                "at": s.created_at.isoformat(),
                                "score": str(s.score),
                                "formula_version": s.formula_version,
                            }
                            for s in row["scores"]
                        ],
                    }
                    for row in selectors.public_operator_performance()
                ],
            }
        )


class AllocationApi(APIView):
    permission_classes = [HasCapability.for_(Capability.OPERATOR_REVIEW)]

    @extend_schema(
        parameters=[OpenApiParameter("validators", int, required=True)],
        responses=OpenApiTypes.OBJECT,
        summary="Allocation recommendation",
    )
    def get(self, request: Request) -> Response:
        form = AllocationForm(request.query_params)
        if not form.is_valid():
            return Response(form.errors, status=status.HTTP_400_BAD_REQUEST)
        result = allocate(
            selectors.allocation_candidates(),
            form.cleaned_data["validators"],
            min_score=Decimal(settings.OPERATORS_ALLOCATION_MIN_SCORE),
        )
        return Response(
            {
                **result.summary(),
                "operators": [
                    {
                        "id": row.candidate.key,
                        "name": row.candidate.name,
                        "eligible": row.eligible,
                        "validators": row.allocated,
                        "explanation": row.reasons,
                    }
                    for row in result.rows
                ],
            }
        )
