"""The public whitelist lookup: is this address allowed into the pools? No personal data."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from core.exceptions import ApplicationError
from whitelist.chain import checksum
from whitelist.selectors import address_status


class LookupThrottle(AnonRateThrottle):
    rate = "120/min"


class WhitelistLookupApi(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes = [LookupThrottle]

    class ListStatusSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=["confirmed", "pending", "not_listed"])
        valid_until = serializers.DateTimeField(allow_null=True)
        pending_action = serializers.ChoiceField(choices=["add", "remove"], allow_null=True)

    class OutputSerializer(serializers.Serializer):
        address = serializers.CharField()
        stakers = serializers.DictField()
        operators = serializers.DictField()

    @extend_schema(
        summary="Whitelist status of an address",
        description=(
            "Per list (stakers, operators): `confirmed` (listed and confirmed on chain, not expired), `pending` "
            "(a change is on its way to the chain) or `not_listed`. No personal data."
        ),
        responses={200: OutputSerializer},
    )
    def get(self, request: Request, address: str) -> Response:
        try:
            address = checksum(address)
        except ValueError as exc:
            raise ApplicationError(f"address: {exc}.", code="invalid_address") from None
        lists = address_status(address=address)
        body: dict[str, object] = {"address": address}
        for key, state in lists.items():
            body[key] = self.ListStatusSerializer(state).data
        return Response(body)
