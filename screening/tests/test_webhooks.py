from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from core.models import AuditEvent
from screening.models import Check, CheckStatus, Outcome, ProviderEvent
from screening.webhooks import WebhookRejected, sumsub_webhook_receive

pytestmark = pytest.mark.django_db

SECRET = "webhook-secret"
APPLICANT = "5cb56e8e0a975a35f333cb83"


@pytest.fixture(autouse=True)
def _secret(settings: Any) -> None:
    settings.SUMSUB_WEBHOOK_SECRET = SECRET


@pytest.fixture
def identity_check(db: Any) -> Check:
    return Check.objects.create(
        kind="identity",
        provider="sumsub",
        subject_ref="case-1",
        external_id=APPLICANT,
        status=CheckStatus.RUNNING,
        outcome=Outcome.PENDING,
    )


def event(answer: str, created: str, reject_type: str = "", correlation: str = "") -> bytes:
    review: dict[str, Any] = {"reviewAnswer": answer}
    if reject_type:
        review |= {"reviewRejectType": reject_type, "rejectLabels": ["FORGERY"]}
    payload = {
        "applicantId": APPLICANT,
        "inspectionId": "5cb56e8e0a975a35f333cb84",
        "correlationId": correlation or f"req-{created}",
        "externalUserId": "case-1",
        "levelName": "basic-kyc-level",
        "type": "applicantReviewed",
        "reviewResult": review,
        "reviewStatus": "completed",
        "createdAtMs": created,
    }
    return json.dumps(payload).encode()


def signed(body: bytes, alg: str = "HMAC_SHA256_HEX", secret: str = SECRET) -> dict[str, str]:
    fn = {"HMAC_SHA1_HEX": hashlib.sha1, "HMAC_SHA256_HEX": hashlib.sha256, "HMAC_SHA512_HEX": hashlib.sha512}[alg]
    return {
        "X-Payload-Digest": hmac.new(secret.encode(), body, fn).hexdigest(),
        "X-Payload-Digest-Alg": alg,
        "Content-Type": "application/json",
    }


@pytest.mark.parametrize("alg", ["HMAC_SHA256_HEX", "HMAC_SHA512_HEX"])
def test_a_signed_green_review_clears_the_identity_check(identity_check: Check, alg: str) -> None:
    body = event("GREEN", "2026-11-20 10:00:00.000")
    receipt = sumsub_webhook_receive(body=body, headers=signed(body, alg))
    assert receipt.status == "applied" and receipt.check_id == identity_check.pk
    identity_check.refresh_from_db()
    assert identity_check.outcome == Outcome.CLEAR and identity_check.status == CheckStatus.DONE
    assert AuditEvent.objects.filter(action="screening.webhook_applied").count() == 1


def test_without_the_algorithm_header_the_digest_is_sha256_as_sumsub_documents(identity_check: Check) -> None:
    # docs.sumsub.com "Webhook manager": "SHA256 is the default algorithm, but you can also switch to SHA512".
    body = event("GREEN", "2026-11-20 10:00:00.000")
    headers = signed(body, "HMAC_SHA256_HEX")
    del headers["X-Payload-Digest-Alg"]
    assert sumsub_webhook_receive(body=body, headers=headers).status == "applied"


def test_a_sha1_digest_is_refused_with_or_without_the_header(identity_check: Check) -> None:
    body = event("GREEN", "2026-11-20 10:00:00.000")
    headers = signed(body, "HMAC_SHA1_HEX")
    with pytest.raises(WebhookRejected, match="choose SHA256 or SHA512"):
        sumsub_webhook_receive(body=body, headers=headers)
    del headers["X-Payload-Digest-Alg"]
    with pytest.raises(WebhookRejected, match="Forged"):
        sumsub_webhook_receive(body=body, headers=headers)
    identity_check.refresh_from_db()
    assert identity_check.status == CheckStatus.RUNNING


def test_a_forged_signature_is_rejected_and_changes_nothing(identity_check: Check) -> None:
    body = event("GREEN", "2026-11-20 10:00:00.000")
    with pytest.raises(WebhookRejected, match="Forged"):
        sumsub_webhook_receive(body=body, headers=signed(body, secret="guessed-secret"))
    tampered = body.replace(b"GREEN", b"RED")
    with pytest.raises(WebhookRejected):
        sumsub_webhook_receive(body=tampered, headers=signed(body))
    identity_check.refresh_from_db()
    assert identity_check.outcome == Outcome.PENDING
    assert not ProviderEvent.objects.exists()


def test_an_unsigned_call_is_rejected(identity_check: Check) -> None:
    with pytest.raises(WebhookRejected, match="Unsigned"):
        sumsub_webhook_receive(body=event("GREEN", "2026-11-20 10:00:00.000"), headers={})


def test_a_replayed_event_is_applied_once(identity_check: Check) -> None:
    body = event("RED", "2026-11-20 10:00:00.000", reject_type="RETRY")
    first = sumsub_webhook_receive(body=body, headers=signed(body))
    again = sumsub_webhook_receive(body=body, headers=signed(body))
    assert (first.status, again.status) == ("applied", "duplicate")
    assert ProviderEvent.objects.count() == 1
    assert AuditEvent.objects.filter(action="screening.webhook_applied").count() == 1
    identity_check.refresh_from_db()
    assert identity_check.outcome == Outcome.NEEDS_REVIEW and identity_check.status == CheckStatus.RUNNING


def test_out_of_order_events_are_ordered_by_the_provider_timestamp(identity_check: Check) -> None:
    final_red = event("RED", "2026-11-20 12:00:00.000", reject_type="FINAL")
    earlier_retry = event("RED", "2026-11-20 09:00:00.000", reject_type="RETRY")
    sumsub_webhook_receive(body=final_red, headers=signed(final_red))
    late = sumsub_webhook_receive(body=earlier_retry, headers=signed(earlier_retry))
    assert late.status == "stale"
    identity_check.refresh_from_db()
    assert identity_check.outcome == Outcome.MATCH and identity_check.status == CheckStatus.DONE
    assert ProviderEvent.objects.filter(applied=True).count() == 1


def test_a_signed_body_that_is_not_an_event_is_rejected(identity_check: Check) -> None:
    body = b'{"hello": "world"}'
    with pytest.raises(WebhookRejected, match="Not a Sumsub event"):
        sumsub_webhook_receive(body=body, headers=signed(body))


def test_deeply_nested_json_is_refused_before_decoding_even_with_a_raised_recursion_limit(
    identity_check: Check,
) -> None:
    # py_ecc (imported by the operators app) raises Python's recursion limit to 100,000 at import, so the C JSON
    # decoder would recurse until the process crashes instead of raising RecursionError.
    import py_ecc  # noqa: F401

    body = b'{"type": "applicantReviewed", "x": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    with pytest.raises(WebhookRejected, match="nested deeper than 64 levels"):
        sumsub_webhook_receive(body=body, headers=signed(body))
    assert not ProviderEvent.objects.exists()
