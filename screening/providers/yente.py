"""An OpenSanctions yente server's matching API.

Protocol: `POST {base}/match/{dataset}` with `{"queries": {"<key>": {"schema": "Person", "properties":
{"name": [...], "birthDate": [...], "nationality": [...]}}}}`; the answer is `{"responses": {"<key>":
{"status": 200, "results": [{"id", "caption", "schema", "score", "match", "datasets", "properties",
"features"}], "total": {...}}}}`. An `Authorization: ApiKey <key>` header is sent when a key is configured.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.names import name_from_source
from screening.base import CheckResult, HitData, ProviderUnavailable, Subject, outcome_for_score
from screening.http import ProviderRejected, RetryPolicy, request_json
from screening.importers import CATEGORY_SANCTION, category_for_topics
from screening.models import CheckKind

QUERY_KEY = "subject"


class YenteResult(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    caption: str = ""
    schema_: str = Field(default="", alias="schema")
    score: float = 0.0
    match: bool = False
    datasets: list[str] = Field(default_factory=list)
    features: dict[str, float] = Field(default_factory=dict)
    properties: dict[str, list[Any]] = Field(default_factory=dict)

    @property
    def topics(self) -> list[str]:
        return [str(t) for t in self.properties.get("topics", [])]


class YenteResponse(BaseModel):
    model_config = ConfigDict(extra="allow")
    status: int = 200
    results: list[YenteResult] = Field(default_factory=list)


class YenteAnswer(BaseModel):
    model_config = ConfigDict(extra="allow")
    responses: dict[str, YenteResponse]


class YenteProvider:
    name: ClassVar[str] = "yente"
    kinds: ClassVar[frozenset[str]] = frozenset({CheckKind.NAME})

    def __init__(self, *, base_url: str, dataset: str, api_key: str, timeout: float, policy: RetryPolicy) -> None:
        self.base_url = base_url.rstrip("/")
        self.dataset = dataset
        self.api_key = api_key
        self.timeout = timeout
        self.policy = policy

    @classmethod
    def from_settings(cls) -> YenteProvider:
        return cls(
            base_url=settings.YENTE_BASE_URL,
            dataset=settings.YENTE_DATASET,
            api_key=settings.YENTE_API_KEY,
            timeout=settings.SCREENING_HTTP_TIMEOUT,
            policy=RetryPolicy(attempts=settings.SCREENING_HTTP_ATTEMPTS, backoff=settings.SCREENING_HTTP_BACKOFF),
        )

    def run(self, *, kind: str, subject: Subject, subject_ref: str) -> CheckResult:
        properties: dict[str, list[str]] = {"name": list(subject.all_names)}
        if subject.birth_date:
            properties["birthDate"] = [subject.birth_date]
        if subject.nationality:
            properties["nationality"] = [n.strip() for n in subject.nationality.split(";") if n.strip()]
        if subject.country:
            properties["country"] = [subject.country]
        body = {"queries": {QUERY_KEY: {"schema": subject.schema or "Person", "properties": properties}}}
        headers = {"Authorization": f"ApiKey {self.api_key}"} if self.api_key else {}
        try:
            data: Any = request_json(
                "POST",
                f"{self.base_url}/match/{self.dataset}",
                provider=self.name,
                timeout=self.timeout,
                policy=self.policy,
                headers_for=lambda _body: headers,
                json_body=body,
                params={"threshold": str(settings.SCREENING_REVIEW_THRESHOLD)},
            )
        except ProviderRejected as exc:
            raise ProviderUnavailable(f"yente rejected the request: {exc}") from exc
        try:
            response = YenteAnswer.model_validate(data).responses[QUERY_KEY]
        except (ValidationError, KeyError) as exc:
            raise ProviderUnavailable(f"yente answered in an unexpected shape: {exc}") from exc
        if response.status != 200:
            raise ProviderUnavailable(f"yente could not run the query (status {response.status}).")
        hits = [
            HitData(
                list_name=",".join(r.datasets[:3]) or "opensanctions",
                entity_id=r.id,
                # A provider's text is stripped of invisible characters, never refused (core.names).
                matched_name=name_from_source(r.caption),
                score=max(0.0, min(1.0, r.score)),
                explanation="; ".join(f"{k} {v:.2f}" for k, v in r.features.items()) or f"yente score {r.score:.2f}",
                # OpenSanctions' topics say what kind of listing it is: a PEP is a risk factor, not a sanction.
                category=category_for_topics(r.topics) if r.topics else CATEGORY_SANCTION,
            )
            for r in response.results
            if r.score >= settings.SCREENING_REVIEW_THRESHOLD or r.match
        ]
        best = max((h.score for h in hits), default=0.0)
        outcome = outcome_for_score(
            best, match_at=settings.SCREENING_MATCH_THRESHOLD, review_at=settings.SCREENING_REVIEW_THRESHOLD
        )
        return CheckResult(outcome=outcome, hits=hits, raw_payload=data)
