"""The public whitelist lookup: is this address allowed into the pools? No personal data."""

from __future__ import annotations

import datetime as dt
import time

from django.conf import settings
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
    """Per client address. WHITELIST_LOOKUP_RATE (default 120/min); empty switches it off (the load benchmark)."""

    def get_rate(self) -> str | None:
        rate: str | None = settings.WHITELIST_LOOKUP_RATE
        return rate


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
        body = _recent_answer(address)
        if body is None:
            body = {"address": address}
            for key, state in address_status(address=address).items():
                # What ListStatusSerializer (the documented shape) gives, without building a serializer per list
                # per request: the lookup is the portal's hottest endpoint.
                body[key] = {**state, "valid_until": _as_datetime(state["valid_until"])}
            _remember_answer(address, body)
        return Response(body)


_DATETIME = serializers.DateTimeField()


def _as_datetime(value: dt.datetime | None) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


# A few seconds of memory per web process (WHITELIST_LOOKUP_CACHE_SECONDS, 0 = off) spare the database when a dApp
# polls the same addresses; an answer may then lag a chain confirmation by that long, never more. In process, not
# in Redis: a Redis round trip costs about what the database query does, and the answers hold no personal data.
_ANSWERS_MAX = 20_000
_answers: dict[str, tuple[float, dict[str, object]]] = {}


def _recent_answer(address: str) -> dict[str, object] | None:
    if not settings.WHITELIST_LOOKUP_CACHE_SECONDS:
        return None
    hit = _answers.get(address)
    return hit[1] if hit is not None and hit[0] > time.monotonic() else None


def _remember_answer(address: str, body: dict[str, object]) -> None:
    ttl = settings.WHITELIST_LOOKUP_CACHE_SECONDS
    if not ttl:
        return
    if len(_answers) >= _ANSWERS_MAX:
        _answers.clear()  # bounded memory; a burst of distinct addresses just starts over
    _answers[address] = (time.monotonic() + ttl, body)
