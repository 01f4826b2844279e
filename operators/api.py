"""The operators API: one view per operation, input and output serializers, scoped querysets."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import HasCapability
from accounts.roles import Capability
from operators import selectors, services
from operators.allocation import allocate
from operators.forms import AllocationForm
from operators.models import OperatorProfile
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


class OperatorListApi(ListAPIView[OperatorProfile]):
    """The operators the signed-in user works on."""

    serializer_class = OperatorOutputSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.operator_list_for_user(user=self.request.user)


class OperatorDetailApi(APIView):
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
        operator = selectors.operator_get_for_user(user=request.user, public_id=public_id)
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
