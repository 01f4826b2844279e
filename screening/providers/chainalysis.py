"""Chainalysis' free sanctions screening API.

Protocol: `GET {base}/api/v1/address/{address}` with header `X-API-Key`; the answer is
`{"identifications": [{"category": "sanctions", "name": ..., "description": ..., "url": ...}]}`, an empty
list when the address is not sanctioned.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from screening.base import CheckResult, HitData, ProviderUnavailable, Subject
from screening.http import ProviderRejected, RetryPolicy, request_json
from screening.models import CheckKind, Outcome


class Identification(BaseModel):
    model_config = ConfigDict(extra="allow")
    category: str = ""
    name: str = ""
    description: str | None = ""
    url: str | None = ""


class AddressAnswer(BaseModel):
    model_config = ConfigDict(extra="allow")
    identifications: list[Identification] = Field(default_factory=list)


class ChainalysisProvider:
    name: ClassVar[str] = "chainalysis"
    kinds: ClassVar[frozenset[str]] = frozenset({CheckKind.WALLET})

    def __init__(self, *, base_url: str, api_key: str, timeout: float, policy: RetryPolicy) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.policy = policy

    @classmethod
    def from_settings(cls) -> ChainalysisProvider:
        return cls(
            base_url=settings.CHAINALYSIS_BASE_URL,
            api_key=settings.CHAINALYSIS_API_KEY,
            timeout=settings.SCREENING_HTTP_TIMEOUT,
            policy=RetryPolicy(attempts=settings.SCREENING_HTTP_ATTEMPTS, backoff=settings.SCREENING_HTTP_BACKOFF),
        )

    def run(self, *, kind: str, subject: Subject, subject_ref: str) -> CheckResult:
        try:
            data = request_json(
                "GET",
                f"{self.base_url}/api/v1/address/{subject.address}",
                provider=self.name,
                timeout=self.timeout,
                policy=self.policy,
                headers_for=lambda _body: {"X-API-Key": self.api_key},
            )
        except ProviderRejected as exc:
            raise ProviderUnavailable(f"chainalysis rejected the request: {exc}") from exc
        try:
            answer = AddressAnswer.model_validate(data)
        except ValidationError as exc:
            raise ProviderUnavailable(f"chainalysis answered in an unexpected shape: {exc.errors()[:2]}") from exc
        hits = [
            HitData(
                list_name=f"chainalysis:{ident.category or 'sanctions'}",
                entity_id=ident.url or ident.name,
                matched_name=ident.name or subject.address,
                score=1.0,
                explanation=(ident.description or "")[:1000] or f"{subject.address} identified as {ident.category}",
            )
            for ident in answer.identifications
        ]
        outcome = Outcome.MATCH if hits else Outcome.CLEAR
        return CheckResult(outcome=outcome, hits=hits, raw_payload=data if isinstance(data, dict) else {"data": data})
