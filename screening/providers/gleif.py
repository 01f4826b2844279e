"""Company registry lookup through GLEIF's public LEI API (`GET {base}/lei-records/{lei}`, JSON:API).

An ACTIVE entity with an ISSUED registration is clear; a lapsed, retired or annulled record needs review;
an unknown LEI (404) is a match in the sense of "the claim is contradicted" and is explained as such.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.conf import settings
from pydantic import BaseModel, ConfigDict, ValidationError

from screening.base import CheckResult, HitData, ProviderUnavailable, Subject
from screening.http import ProviderRejected, RetryPolicy, request_json
from screening.models import CheckKind, Outcome

LEI_FORMAT = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")


class _Name(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str = ""


class _Entity(BaseModel):
    model_config = ConfigDict(extra="allow")
    legalName: _Name
    status: str = ""
    jurisdiction: str | None = ""


class _Registration(BaseModel):
    model_config = ConfigDict(extra="allow")
    status: str = ""


class _Attributes(BaseModel):
    model_config = ConfigDict(extra="allow")
    lei: str
    entity: _Entity
    registration: _Registration


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    attributes: _Attributes


class _Document(BaseModel):
    model_config = ConfigDict(extra="allow")
    data: _Record


class GleifProvider:
    name: ClassVar[str] = "gleif"
    kinds: ClassVar[frozenset[str]] = frozenset({CheckKind.COMPANY})

    def __init__(self, *, base_url: str, timeout: float, policy: RetryPolicy) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.policy = policy

    @classmethod
    def from_settings(cls) -> GleifProvider:
        return cls(
            base_url=settings.GLEIF_BASE_URL,
            timeout=settings.SCREENING_HTTP_TIMEOUT,
            policy=RetryPolicy(attempts=settings.SCREENING_HTTP_ATTEMPTS, backoff=settings.SCREENING_HTTP_BACKOFF),
        )

    def run(self, *, kind: str, subject: Subject, subject_ref: str) -> CheckResult:
        lei = subject.lei.strip().upper()
        if not LEI_FORMAT.match(lei):
            return CheckResult(
                outcome=Outcome.NEEDS_REVIEW,
                raw_payload={"lei": subject.lei, "problem": "not a 20-character LEI"},
            )
        try:
            data: Any = request_json(
                "GET",
                f"{self.base_url}/lei-records/{lei}",
                provider=self.name,
                timeout=self.timeout,
                policy=self.policy,
            )
        except ProviderRejected as exc:
            if exc.status == 404:
                hit = HitData("gleif", lei, subject.name, 1.0, f"LEI {lei} is not in the GLEIF register")
                return CheckResult(outcome=Outcome.MATCH, hits=[hit], raw_payload={"status": 404, "lei": lei})
            raise ProviderUnavailable(f"gleif rejected the request: {exc}") from exc
        try:
            record = _Document.model_validate(data).data.attributes
        except ValidationError as exc:
            raise ProviderUnavailable(f"gleif answered in an unexpected shape: {exc.errors()[:2]}") from exc
        problems = []
        if record.entity.status != "ACTIVE":
            problems.append(f"entity status {record.entity.status}")
        if record.registration.status != "ISSUED":
            problems.append(f"registration status {record.registration.status}")
        hits = []
        if problems:
            hits.append(HitData("gleif", lei, record.entity.legalName.name, 1.0, "; ".join(problems)))
        outcome = Outcome.NEEDS_REVIEW if problems else Outcome.CLEAR
        return CheckResult(outcome=outcome, hits=hits, raw_payload=data, external_id=lei)
