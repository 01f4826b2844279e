"""Provider webhooks, verified and applied. The HTTP view belongs to the caller (kyc); it calls:

    from screening.webhooks import WebhookRejected, sumsub_webhook_receive

    def sumsub_webhook(request):                       # csrf_exempt, POST only
        try:
            receipt = sumsub_webhook_receive(body=request.body, headers=request.headers)
        except WebhookRejected as exc:
            return HttpResponse(exc.reason, status=401)  # forged, unsigned or unparseable: nothing changed
        # receipt.check_id / receipt.outcome / receipt.status ("applied", "duplicate", "stale")
        return HttpResponse(status=200)

`request.body` must be the raw bytes: the signature covers them exactly. Duplicates and replays are answered
200 (so the provider stops resending) and change nothing; an event older (by the provider's own timestamp)
than one already applied to the same applicant is stored but not applied.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.audit import audit_record
from screening.models import Check, CheckStatus, ProviderEvent
from screening.providers.sumsub import DEFAULT_DIGEST_ALGORITHM, DIGEST_ALGORITHMS, ReviewResult, review_outcome
from screening.signals import check_settled_on_commit


class WebhookRejected(Exception):
    """Signature missing or wrong, or a body that is not a provider event: answer 401, change nothing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebhookReceipt:
    status: str  # applied | duplicate | stale | unmatched
    event_id: str
    check_id: int | None = None
    outcome: str = ""


class SumsubEvent(BaseModel):
    model_config = ConfigDict(extra="allow")
    # The sizes of ProviderEvent.event_type and .external_id: longer is not a Sumsub event, and must not
    # reach the database as an error.
    type: str = Field(max_length=100)
    applicantId: str = Field(max_length=200)
    externalUserId: str = ""
    correlationId: str = ""
    inspectionId: str = ""
    reviewStatus: str = ""
    createdAtMs: str = ""
    createdAt: str = ""
    reviewResult: ReviewResult | None = None


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


def sumsub_verify(*, body: bytes, headers: Mapping[str, str], secret: str | None = None) -> None:
    """Check `X-Payload-Digest` over the raw body with the algorithm named in `X-Payload-Digest-Alg` (SHA-256,
    Sumsub's documented default, when absent; SHA-1 refused), in constant time. Raises WebhookRejected."""
    secret = settings.SUMSUB_WEBHOOK_SECRET if secret is None else secret
    if not secret:
        raise WebhookRejected("Sumsub webhooks are not configured (SUMSUB_WEBHOOK_SECRET).")
    digest = _header(headers, "X-Payload-Digest")
    algorithm = _header(headers, "X-Payload-Digest-Alg").strip() or DEFAULT_DIGEST_ALGORITHM
    if not digest:
        raise WebhookRejected("Unsigned call: X-Payload-Digest is missing.")
    hash_fn = DIGEST_ALGORITHMS.get(algorithm)
    if hash_fn is None:
        raise WebhookRejected(
            f"Unsupported X-Payload-Digest-Alg {algorithm[:40]!r}: choose SHA256 or SHA512 as the signature "
            "algorithm in Sumsub's webhook manager."
        )
    expected = hmac.new(secret.encode(), body, hash_fn).hexdigest()
    # As bytes: compare_digest refuses str with non-ASCII characters, which a forged header may carry.
    if not hmac.compare_digest(expected.encode(), digest.strip().lower().encode()):
        raise WebhookRejected("Forged call: the payload digest does not match.")


def _provider_time(event: SumsubEvent) -> dt.datetime:
    for value in (event.createdAtMs, event.createdAt):
        if not value:
            continue
        for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
            try:
                parsed = dt.datetime.strptime(value, fmt)
            except ValueError:
                continue
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    raise WebhookRejected("The event has no createdAtMs timestamp.")


# A Sumsub event nests a few levels; anything deeper is not one.
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text (brackets inside strings do not count)."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _storable(payload: object) -> bool:
    """PostgreSQL stores neither NUL characters nor lone surrogates, and JSON can carry both as \\u escapes."""
    stack = [payload]
    while stack:  # iterative: the JSON decoder accepts nesting deeper than Python's recursion limit
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            if "\x00" in value:
                return False
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True


def sumsub_webhook_receive(*, body: bytes, headers: Mapping[str, str]) -> WebhookReceipt:
    """Verify, parse, record once and apply a Sumsub event to the identity check of its applicant.

    Requires the raw body. Records a ProviderEvent (unique per provider and event id: a replay is a no-op),
    and applies `applicantReviewed` results to the matching check only if no later event (by createdAtMs) was
    applied before. Writes an audit row for every applied change.
    """
    sumsub_verify(body=body, headers=headers)
    if _json_depth(body) > MAX_JSON_DEPTH:
        # Checked before decoding: the C decoder recurses on the C stack, and a dependency (py_ecc) raises
        # Python's recursion limit so far that very deep nesting crashes the process instead of raising.
        raise WebhookRejected(f"Not a Sumsub event: JSON nested deeper than {MAX_JSON_DEPTH} levels.")
    try:
        payload = json.loads(body)
        event = SumsubEvent.model_validate(payload)
    except (ValueError, ValidationError, RecursionError) as exc:
        raise WebhookRejected(f"Not a Sumsub event: {exc}") from exc
    if not _storable(payload):
        raise WebhookRejected("Not a Sumsub event: it carries NUL characters or unpaired \\u surrogate escapes.")
    provider_ts = _provider_time(event)
    event_id = event.correlationId or hashlib.sha256(body).hexdigest()
    event_id = f"{event.type}:{event.applicantId}:{event.createdAtMs or event.createdAt}:{event_id}"[:200]
    try:
        with transaction.atomic():
            stored = ProviderEvent.objects.create(
                provider="sumsub",
                event_id=event_id,
                event_type=event.type,
                external_id=event.applicantId,
                provider_timestamp=provider_ts,
                payload=json.loads(body),
            )
    except IntegrityError:
        return WebhookReceipt(status="duplicate", event_id=event_id)
    with transaction.atomic():
        check = (
            Check.objects.select_for_update()
            .filter(provider="sumsub", external_id=event.applicantId)
            .order_by("-pk")
            .first()
        )
        if check is None:
            return WebhookReceipt(status="unmatched", event_id=event_id)
        newer_applied = (
            ProviderEvent.objects.filter(
                provider="sumsub", external_id=event.applicantId, applied=True, provider_timestamp__gt=provider_ts
            )
            .exclude(pk=stored.pk)
            .exists()
        )
        if newer_applied:
            return WebhookReceipt(status="stale", event_id=event_id, check_id=check.pk, outcome=check.outcome)
        outcome, final = review_outcome(event.reviewResult, event.reviewStatus)
        before = {"outcome": check.outcome, "status": check.status}
        if event.type == "applicantReviewed" or outcome != check.outcome:
            check.outcome = outcome
            check.raw_payload = {**check.raw_payload, "last_event": json.loads(body)}
            check.raw_payload.pop("sdk_token", None)
            check.provider_updated_at = provider_ts
            if final and check.status != CheckStatus.DONE:
                check.status = CheckStatus.DONE
                check.completed_at = timezone.now()
            elif not final and check.status == CheckStatus.DONE:
                # A later RETRY after a final answer cannot reopen a done check: keep it for review instead.
                pass
            check.save()
        ProviderEvent.objects.filter(pk=stored.pk).update(applied=True)
        audit_record(
            actor=None,
            action="screening.webhook_applied",
            target=check,
            before=before,
            after={"outcome": check.outcome, "status": check.status},
            data={"provider": "sumsub", "event": event.type, "event_id": event_id},
        )
        check_settled_on_commit(
            check_id=check.pk, subject_ref=check.subject_ref, status=check.status, outcome=check.outcome
        )
    return WebhookReceipt(status="applied", event_id=event_id, check_id=check.pk, outcome=check.outcome)
