"""Fuzzing the Sumsub webhook receiver: whatever arrives (forged or unsigned calls with arbitrary headers,
and correctly signed bodies with arbitrary content) ends in WebhookRejected (answered 401, nothing changed)
or in a receipt; never in another exception, which the caller's view would turn into a 500 and the
provider into endless retries. On PostgreSQL, where what the parser lets through must also store.

Bounded and reproducible: fixed example counts, derandomized, no deadline.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.models import Check, CheckStatus, Outcome, ProviderEvent
from screening.webhooks import WebhookReceipt, WebhookRejected, sumsub_webhook_receive

pytestmark = pytest.mark.django_db

SECRET = "fuzz-webhook-secret"
APPLICANT = "5cb56e8e0a975a35f333cb83"
ALGORITHMS = {"HMAC_SHA1_HEX": hashlib.sha1, "HMAC_SHA256_HEX": hashlib.sha256, "HMAC_SHA512_HEX": hashlib.sha512}
FUZZ = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


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


def receive(body: bytes, headers: dict[str, str]) -> WebhookReceipt | None:
    """None when refused the documented way; the receipt otherwise. Any other exception fails the test."""
    try:
        receipt = sumsub_webhook_receive(body=body, headers=headers)
    except WebhookRejected as exc:
        assert exc.reason  # a reason the provider's dashboard can show
        return None
    assert receipt.status in {"applied", "duplicate", "stale", "unmatched"}
    return receipt


def signed(body: bytes, algorithm: str = "HMAC_SHA256_HEX") -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, ALGORITHMS[algorithm]).hexdigest()
    return {"X-Payload-Digest": digest, "X-Payload-Digest-Alg": algorithm, "Content-Type": "application/json"}


header_names = st.sampled_from(
    ["X-Payload-Digest", "x-payload-digest", "X-Payload-Digest-Alg", "X-PAYLOAD-DIGEST-ALG", "Content-Type", "X-Other"]
)
header_values = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["HMAC_SHA1_HEX", "HMAC_SHA256_HEX", "HMAC_SHA512_HEX", "hmac_sha256_hex", ""]),
    st.text(alphabet="0123456789abcdefABCDEF ", min_size=40, max_size=128),
    st.text(alphabet="0123456789abcdefé€\u00a0\t", min_size=1, max_size=128),  # what a forger may send
)
# Text as JSON can carry it: NUL and unpaired surrogates (as \u escapes) included, which PostgreSQL refuses.
hostile_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from(["\x00", "a", "\ud800", "\udfff", "é", "\n"]), max_size=8),
)
long_text = st.text(alphabet="abc-", min_size=150, max_size=320)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile_text)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)
timestamps = st.one_of(
    st.sampled_from(["2026-11-20 10:00:00.000", "2026-11-20 10:00:00", "2026-11-20T10:00:00.000+0000", ""]),
    st.text(max_size=40),
    st.integers(),
)
events = st.fixed_dictionaries(
    {
        "type": st.one_of(
            st.sampled_from(["applicantReviewed", "applicantPending", "applicantCreated"]), hostile_text, long_text
        ),
        "applicantId": st.one_of(st.just(APPLICANT), hostile_text, long_text),
        "createdAtMs": st.one_of(st.just("2026-11-20 10:00:00.000"), timestamps),
    },
    optional={
        "correlationId": st.one_of(hostile_text, long_text),
        "reviewStatus": st.one_of(st.just("completed"), st.text(max_size=20)),
        "reviewResult": st.one_of(
            st.fixed_dictionaries(
                {"reviewAnswer": st.sampled_from(["GREEN", "RED", "", "YELLOW"])},
                optional={
                    "reviewRejectType": st.sampled_from(["FINAL", "RETRY", "x"]),
                    "rejectLabels": st.one_of(st.lists(st.text(max_size=20), max_size=3), json_values),
                },
            ),
            json_values,
        ),
        "createdAt": timestamps,
        "extra": json_values,
    },
)


def test_unsigned_or_forged_calls_with_arbitrary_headers_are_rejected(identity_check: Check):
    @FUZZ
    @given(body=st.binary(max_size=512), headers=st.dictionaries(header_names, header_values, max_size=4))
    def run(body: bytes, headers: dict[str, str]) -> None:
        assert receive(body, headers) is None
        identity_check.refresh_from_db()
        assert (identity_check.status, identity_check.outcome) == (CheckStatus.RUNNING, Outcome.PENDING)

    run()
    assert not ProviderEvent.objects.exists()


def test_signed_bodies_that_are_not_events_are_rejected_cleanly():
    @FUZZ
    @given(body=st.one_of(st.binary(max_size=512), json_values.map(lambda v: json.dumps(v).encode())))
    def run(body: bytes) -> None:
        receive(body, signed(body))

    run()


def test_signed_events_with_arbitrary_content_are_applied_stored_or_rejected_never_an_error(identity_check: Check):
    @settings(FUZZ, max_examples=200)
    @given(event=events, algorithm=st.sampled_from(sorted(ALGORITHMS)))
    def run(event: dict[str, Any], algorithm: str) -> None:
        body = json.dumps(event).encode()
        receipt = receive(body, signed(body, algorithm))
        if receipt is not None and receipt.status == "applied":
            assert receipt.check_id == identity_check.pk

    run()


# Regressions: what the fuzzing above found, pinned as plain tests.


def test_a_forged_digest_with_non_ascii_characters_is_rejected_as_forged():
    with pytest.raises(WebhookRejected, match="Forged call"):
        sumsub_webhook_receive(body=b"{}", headers={"X-Payload-Digest": "é" * 40})


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({"applicantId": "a" * 201}, "at most 200 characters"),
        ({"type": "t" * 101}, "at most 100 characters"),
        ({"applicantId": "a\x00b"}, "NUL characters"),
        ({"extra": {"note": "\ud800"}}, "surrogate"),
    ],
)
def test_a_signed_event_the_database_could_not_store_is_rejected_and_nothing_is_recorded(
    identity_check: Check, event: dict[str, Any], reason: str
):
    body = json.dumps(
        {"type": "applicantReviewed", "applicantId": APPLICANT, "createdAtMs": "2026-11-20 10:00:00", **event}
    )
    with pytest.raises(WebhookRejected, match=reason):
        sumsub_webhook_receive(body=body.encode(), headers=signed(body.encode()))
    assert not ProviderEvent.objects.exists()


def test_a_signed_body_nested_deeper_than_the_json_decoder_allows_is_rejected():
    body = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(WebhookRejected, match="Not a Sumsub event"):
        sumsub_webhook_receive(body=body, headers=signed(body))
