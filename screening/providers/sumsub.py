"""Sumsub identity verification (documents and liveness).

Protocol (docs.sumsub.com, "Authentication" and "Webhooks"):
- every API request carries `X-App-Token`, `X-App-Access-Ts` (unix seconds) and `X-App-Access-Sig`, the hex
  HMAC-SHA256 with the secret key over `ts + METHOD + path?query + body`;
- `POST /resources/applicants?levelName=L` with `{"externalUserId": ...}` creates an applicant (`id`);
- `GET /resources/applicants/-;externalUserId={id}/one` returns the applicant with that external id (404: none);
- `POST /resources/accessTokens/sdk` with `{"userId", "levelName", "ttlInSecs"}` returns a WebSDK `token`;
- `GET /resources/applicants/{id}/status` returns `reviewStatus` and `reviewResult.reviewAnswer`;
- webhooks are signed with `X-Payload-Digest` (hex HMAC of the raw body with the webhook secret) and
  `X-Payload-Digest-Alg` (`HMAC_SHA256_HEX`, `HMAC_SHA512_HEX`). The webhook manager offers SHA256, the
  default, and SHA512 ("Webhook manager", docs.sumsub.com, checked 2026-12): a call without the header is
  taken as SHA-256, and SHA-1, no longer offered, is refused.
A review is GREEN (approved) or RED with `reviewRejectType` RETRY (the applicant may resubmit) or FINAL.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from screening.base import CheckResult, ProviderUnavailable, Subject
from screening.http import ProviderRejected, RetryPolicy, request_json
from screening.models import CheckKind, Outcome

DIGEST_ALGORITHMS: dict[str, Callable[..., Any]] = {
    "HMAC_SHA256_HEX": hashlib.sha256,
    "HMAC_SHA512_HEX": hashlib.sha512,
}
DEFAULT_DIGEST_ALGORITHM = "HMAC_SHA256_HEX"


class ReviewResult(BaseModel):
    model_config = ConfigDict(extra="allow")
    reviewAnswer: str = ""
    reviewRejectType: str = ""
    rejectLabels: list[str] = Field(default_factory=list)
    moderationComment: str = ""


class ApplicantStatus(BaseModel):
    model_config = ConfigDict(extra="allow")
    reviewStatus: str = ""
    reviewResult: ReviewResult | None = None


class Applicant(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    externalUserId: str = ""


class AccessToken(BaseModel):
    model_config = ConfigDict(extra="allow")
    token: str
    userId: str = ""


def review_outcome(review: ReviewResult | None, review_status: str) -> tuple[str, bool]:
    """(outcome, final) for a Sumsub review: GREEN clear; RED+FINAL match (rejected); RED+RETRY needs review
    (the applicant may resubmit); anything not yet completed stays pending."""
    if review_status != "completed" or review is None or not review.reviewAnswer:
        return Outcome.PENDING, False
    if review.reviewAnswer == "GREEN":
        return Outcome.CLEAR, True
    if review.reviewAnswer == "RED" and review.reviewRejectType == "FINAL":
        return Outcome.MATCH, True
    if review.reviewAnswer == "RED":
        return Outcome.NEEDS_REVIEW, False
    return Outcome.NEEDS_REVIEW, False


def sign_request(*, secret: str, ts: str, method: str, path_with_query: str, body: bytes) -> str:
    message = ts.encode() + method.upper().encode() + path_with_query.encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class SumsubProvider:
    name: ClassVar[str] = "sumsub"
    kinds: ClassVar[frozenset[str]] = frozenset({CheckKind.IDENTITY})

    def __init__(
        self, *, base_url: str, app_token: str, secret_key: str, level_name: str, timeout: float, policy: RetryPolicy
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_token = app_token
        self.secret_key = secret_key
        self.level_name = level_name
        self.timeout = timeout
        self.policy = policy

    @classmethod
    def from_settings(cls) -> SumsubProvider:
        return cls(
            base_url=settings.SUMSUB_BASE_URL,
            app_token=settings.SUMSUB_APP_TOKEN,
            secret_key=settings.SUMSUB_SECRET_KEY,
            level_name=settings.SUMSUB_LEVEL_NAME,
            timeout=settings.SCREENING_HTTP_TIMEOUT,
            policy=RetryPolicy(attempts=settings.SCREENING_HTTP_ATTEMPTS, backoff=settings.SCREENING_HTTP_BACKOFF),
        )

    def _call(self, method: str, path: str, *, params: dict[str, str] | None = None, body: Any = None) -> Any:
        path_with_query = path + (f"?{urlencode(params)}" if params else "")
        signed_path = urlsplit(self.base_url).path + path_with_query

        def headers_for(raw: bytes) -> dict[str, str]:
            ts = str(int(time.time()))
            sig = sign_request(secret=self.secret_key, ts=ts, method=method, path_with_query=signed_path, body=raw)
            return {"X-App-Token": self.app_token, "X-App-Access-Ts": ts, "X-App-Access-Sig": sig}

        return request_json(
            method,
            self.base_url + path_with_query,
            provider=self.name,
            timeout=self.timeout,
            policy=self.policy,
            headers_for=headers_for,
            json_body=body,
        )

    def applicant_create(self, *, external_user_id: str, email: str = "") -> Applicant:
        body: dict[str, Any] = {"externalUserId": external_user_id}
        if email:
            body["email"] = email
        data = self._call("POST", "/resources/applicants", params={"levelName": self.level_name}, body=body)
        return _parse(Applicant, data)

    def applicant_find(self, *, external_user_id: str) -> Applicant | None:
        """The applicant already created for `external_user_id`, or None. Sumsub refuses a second applicant with
        the same external id, so a re-run (a retry, the sweep, a new screening round) looks it up first."""
        path = f"/resources/applicants/-;externalUserId={quote(external_user_id, safe='')}/one"
        try:
            data = self._call("GET", path)
        except ProviderRejected as exc:
            if exc.status == 404:
                return None
            raise
        return _parse(Applicant, data)

    def access_token(self, *, external_user_id: str, ttl_seconds: int = 1800) -> AccessToken:
        body = {"userId": external_user_id, "levelName": self.level_name, "ttlInSecs": ttl_seconds}
        return _parse(AccessToken, self._call("POST", "/resources/accessTokens/sdk", body=body))

    def applicant_status(self, *, applicant_id: str) -> ApplicantStatus:
        return _parse(ApplicantStatus, self._call("GET", f"/resources/applicants/{applicant_id}/status"))

    def run(self, *, kind: str, subject: Subject, subject_ref: str) -> CheckResult:
        """Creates the applicant and a WebSDK token; the verdict arrives later by webhook (not final)."""
        external_user_id = subject.external_user_id or subject_ref
        try:
            applicant = self.applicant_find(external_user_id=external_user_id)
            if applicant is None:
                applicant = self.applicant_create(external_user_id=external_user_id, email=subject.email)
            token = self.access_token(external_user_id=external_user_id)
        except ProviderRejected as exc:
            raise ProviderUnavailable(f"sumsub rejected the request: {exc}") from exc
        raw = {"applicant": applicant.model_dump(), "access_token_issued": bool(token.token)}
        return CheckResult(
            outcome=Outcome.PENDING,
            raw_payload=raw | {"sdk_token": token.token},
            external_id=applicant.id,
            final=False,
        )


def _parse(model: type[Any], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProviderUnavailable(f"sumsub answered in an unexpected shape: {exc.errors()[:2]}") from exc
