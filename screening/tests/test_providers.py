"""Every vendor adapter against a local server that speaks the vendor's documented protocol."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from screening.base import ProviderUnavailable, Subject
from screening.http import RetryPolicy, request_json
from screening.models import CheckStatus, Outcome
from screening.services import check_run_now
from screening.tests.conftest import Recorded, Reply, VendorServer, reply_json, reply_raw, reply_slowly

pytestmark = pytest.mark.django_db

SUMSUB_SECRET = "sumsub-secret-key"
SUMSUB_TOKEN = "sbx:app-token"


def sumsub_signed(then: Any) -> Any:
    """A Sumsub endpoint: 401 unless X-App-Access-Sig is the HMAC-SHA256 of ts + method + path + body."""

    def handler(req: Recorded) -> Reply:
        ts = req.headers.get("X-App-Access-Ts", "")
        path = req.path + (f"?{req.query}" if req.query else "")
        expected = hmac.new(
            SUMSUB_SECRET.encode(), ts.encode() + req.method.encode() + path.encode() + req.body, hashlib.sha256
        ).hexdigest()
        if req.headers.get("X-App-Token") != SUMSUB_TOKEN or req.headers.get("X-App-Access-Sig") != expected:
            return 401, {"Content-Type": "application/json"}, b'{"description": "Request signature mismatch"}'
        status, headers, body = then(req)
        return status, headers, body

    return handler


@pytest.fixture
def sumsub(settings: Any, vendor_server: VendorServer, fast_http: None) -> VendorServer:
    settings.SCREENING_PROVIDERS = {**settings.SCREENING_PROVIDERS, "identity": "sumsub"}
    settings.SUMSUB_BASE_URL = vendor_server.base_url
    settings.SUMSUB_APP_TOKEN = SUMSUB_TOKEN
    settings.SUMSUB_SECRET_KEY = SUMSUB_SECRET
    settings.SUMSUB_LEVEL_NAME = "basic-kyc-level"
    return vendor_server


def test_sumsub_creates_a_signed_applicant_and_websdk_token_and_waits_for_the_verdict(sumsub: VendorServer) -> None:
    sumsub.on(
        "POST",
        "/resources/applicants",
        sumsub_signed(reply_json({"id": "5b594ade0a975a36c9349e66", "externalUserId": "case-7"})),
    )
    sumsub.on(
        "POST", "/resources/accessTokens/sdk", sumsub_signed(reply_json({"token": "_act-sbx-1", "userId": "case-7"}))
    )
    check = check_run_now(kind="identity", subject_ref="case-7", subject={"email": "alice@acme.example"})
    assert check.external_id == "5b594ade0a975a36c9349e66"
    assert check.status == CheckStatus.RUNNING and check.outcome == Outcome.PENDING
    create = sumsub.calls("POST", "/resources/applicants")[0]
    assert create.query == "levelName=basic-kyc-level"
    assert create.json() == {"externalUserId": "case-7", "email": "alice@acme.example"}
    assert sumsub.calls("POST", "/resources/accessTokens/sdk")[0].json()["userId"] == "case-7"


def test_sumsub_with_a_wrong_secret_is_an_error_outcome_not_a_pass(sumsub: VendorServer, settings: Any) -> None:
    settings.SUMSUB_SECRET_KEY = "not-the-secret"
    sumsub.on("POST", "/resources/applicants", sumsub_signed(reply_json({"id": "x"})))
    check = check_run_now(kind="identity", subject_ref="case-8", subject={})
    assert check.outcome == Outcome.ERROR and check.status == CheckStatus.FAILED
    assert "Provider unavailable" in check.error and "401" in check.error


def test_sumsub_status_is_read_and_parsed(sumsub: VendorServer) -> None:
    from screening.providers.sumsub import SumsubProvider, review_outcome

    sumsub.on(
        "GET",
        "/resources/applicants/abc/status",
        sumsub_signed(
            reply_json(
                {"reviewStatus": "completed", "reviewResult": {"reviewAnswer": "RED", "reviewRejectType": "FINAL"}}
            )
        ),
    )
    status = SumsubProvider.from_settings().applicant_status(applicant_id="abc")
    assert review_outcome(status.reviewResult, status.reviewStatus) == (Outcome.MATCH, True)


@pytest.fixture
def chainalysis(settings: Any, vendor_server: VendorServer, fast_http: None) -> VendorServer:
    settings.SCREENING_PROVIDERS = {**settings.SCREENING_PROVIDERS, "wallet": "chainalysis"}
    settings.CHAINALYSIS_BASE_URL = vendor_server.base_url
    settings.CHAINALYSIS_API_KEY = "chainalysis-key"
    return vendor_server


LAZARUS = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"
SANCTIONED = {
    "identifications": [
        {
            "category": "sanctions",
            "name": "SANCTIONS: OFAC SDN Lazarus Group 2022-04-14",
            "description": "Lazarus Group ... DPRK3",
            "url": "https://home.treasury.gov/news/press-releases/jy0731",
        }
    ]
}


def test_chainalysis_reports_a_sanctioned_address_with_the_api_key(chainalysis: VendorServer) -> None:
    chainalysis.on("GET", f"/api/v1/address/{LAZARUS}", reply_json(SANCTIONED))
    check = check_run_now(kind="wallet", subject_ref="w-1", subject={"address": LAZARUS})
    assert check.outcome == Outcome.MATCH
    assert check.hits.get().matched_name.startswith("SANCTIONS: OFAC SDN Lazarus")
    assert chainalysis.requests[0].headers["X-API-Key"] == "chainalysis-key"
    assert check.raw_payload == SANCTIONED


def test_chainalysis_clear_address(chainalysis: VendorServer) -> None:
    chainalysis.on(
        "GET", "/api/v1/address/0x0000000000000000000000000000000000000001", reply_json({"identifications": []})
    )
    check = check_run_now(
        kind="wallet", subject_ref="w-2", subject={"address": "0x0000000000000000000000000000000000000001"}
    )
    assert check.outcome == Outcome.CLEAR and check.status == CheckStatus.DONE


def test_a_429_is_retried_after_the_time_the_vendor_asks_for(chainalysis: VendorServer) -> None:
    chainalysis.on(
        "GET",
        f"/api/v1/address/{LAZARUS}",
        reply_raw(429, b"slow down", {"Retry-After": "0.05"}),
        reply_json(SANCTIONED),
    )
    check = check_run_now(kind="wallet", subject_ref="w-3", subject={"address": LAZARUS})
    assert check.outcome == Outcome.MATCH
    assert len(chainalysis.requests) == 2


def test_5xx_timeouts_and_malformed_json_are_retried_then_shown_as_provider_unavailable(
    chainalysis: VendorServer,
) -> None:
    chainalysis.on(
        "GET",
        f"/api/v1/address/{LAZARUS}",
        reply_raw(503, b"maintenance"),
        reply_slowly(0.6, reply_json(SANCTIONED)),
        reply_raw(200, b"{not json", {"Content-Type": "application/json"}),
    )
    check = check_run_now(kind="wallet", subject_ref="w-4", subject={"address": LAZARUS})
    assert check.outcome == Outcome.ERROR and check.status == CheckStatus.FAILED
    assert "chainalysis unavailable after 3 attempts" in check.error and "malformed JSON" in check.error
    assert len(chainalysis.requests) == 3


def test_backoff_doubles_and_is_capped() -> None:
    waits: list[float] = []
    with pytest.raises(ProviderUnavailable):
        request_json(
            "GET",
            "http://127.0.0.1:9/",  # discard port: connection refused
            provider="nobody",
            timeout=0.2,
            policy=RetryPolicy(attempts=4, backoff=1.0, max_wait=3.0),
            sleep=waits.append,
        )
    assert waits == [1.0, 2.0, 3.0]


@pytest.fixture
def yente(settings: Any, vendor_server: VendorServer, fast_http: None) -> VendorServer:
    settings.SCREENING_PROVIDERS = {**settings.SCREENING_PROVIDERS, "name": "yente"}
    settings.YENTE_BASE_URL = vendor_server.base_url
    settings.YENTE_DATASET = "sanctions"
    settings.YENTE_API_KEY = "yente-key"
    return vendor_server


def yente_match(req: Recorded) -> Reply:
    """yente's /match/{dataset}: one response per query key, results scored by the server."""
    queries = req.json()["queries"]
    responses = {}
    for key, query in queries.items():
        name = query["properties"]["name"][0]
        results = []
        if "shamalov" in name.lower():
            results.append(
                {
                    "id": "NK-kirill-shamalov",
                    "caption": "Kirill Nikolaevich Shamalov",
                    "schema": "Person",
                    "score": 0.97,
                    "match": True,
                    "datasets": ["us_ofac_sdn"],
                    "properties": {"name": ["Kirill Nikolaevich Shamalov"]},
                    "features": {"name_literal_match": 1.0},
                }
            )
        responses[key] = {"status": 200, "results": results, "total": {"value": len(results)}, "query": query}
    return 200, {"Content-Type": "application/json"}, json.dumps({"responses": responses, "limit": 5}).encode()


def test_yente_match_request_and_response(yente: VendorServer) -> None:
    yente.on("POST", "/match/sanctions", yente_match)
    check = check_run_now(
        kind="name", subject_ref="p-1", subject={"name": "Kirill Shamalov", "birth_date": "1982-03-22"}
    )
    assert check.outcome == Outcome.MATCH
    hit = check.hits.get()
    assert (hit.entity_id, hit.list_name, hit.score) == ("NK-kirill-shamalov", "us_ofac_sdn", 0.97)
    sent = yente.requests[0]
    assert sent.headers["Authorization"] == "ApiKey yente-key"
    assert sent.json()["queries"]["subject"] == {
        "schema": "Person",
        "properties": {"name": ["Kirill Shamalov"], "birthDate": ["1982-03-22"]},
    }
    yente.on("POST", "/match/sanctions", yente_match)
    clear = check_run_now(kind="name", subject_ref="p-2", subject={"name": "Ada Lovelace"})
    assert clear.outcome == Outcome.CLEAR


def test_a_yente_answer_of_the_wrong_shape_is_an_error(yente: VendorServer) -> None:
    yente.on("POST", "/match/sanctions", reply_json({"results": []}))
    check = check_run_now(kind="name", subject_ref="p-3", subject={"name": "Ada Lovelace"})
    assert check.outcome == Outcome.ERROR and "unexpected shape" in check.error


@pytest.fixture
def gleif(settings: Any, vendor_server: VendorServer, fast_http: None) -> VendorServer:
    settings.SCREENING_PROVIDERS = {**settings.SCREENING_PROVIDERS, "company": "gleif"}
    settings.GLEIF_BASE_URL = vendor_server.base_url + "/api/v1"
    return vendor_server


def _lei_record(lei: str, entity_status: str, registration_status: str) -> dict[str, Any]:
    return {
        "data": {
            "type": "lei-records",
            "id": lei,
            "attributes": {
                "lei": lei,
                "entity": {"legalName": {"name": "ACME CAPITAL LTD", "language": "en"}, "status": entity_status},
                "registration": {"status": registration_status},
            },
        }
    }


def test_gleif_lookup_clear_lapsed_and_unknown(gleif: VendorServer) -> None:
    gleif.on(
        "GET",
        "/api/v1/lei-records/5493001KJTIIGC8Y1R12",
        reply_json(_lei_record("5493001KJTIIGC8Y1R12", "ACTIVE", "ISSUED")),
    )
    gleif.on(
        "GET",
        "/api/v1/lei-records/529900T8BM49AURSDO55",
        reply_json(_lei_record("529900T8BM49AURSDO55", "ACTIVE", "LAPSED")),
    )
    ok = check_run_now(kind="company", subject_ref="c-1", subject={"lei": "5493001KJTIIGC8Y1R12"})
    assert ok.outcome == Outcome.CLEAR
    lapsed = check_run_now(kind="company", subject_ref="c-2", subject={"lei": "529900T8BM49AURSDO55"})
    assert lapsed.outcome == Outcome.NEEDS_REVIEW and "registration status LAPSED" in lapsed.hits.get().explanation
    unknown = check_run_now(kind="company", subject_ref="c-3", subject={"lei": "000000000000000000AA"[:18] + "00"})
    assert unknown.outcome == Outcome.MATCH and "not in the GLEIF register" in unknown.hits.get().explanation


def test_a_subject_is_plain_data() -> None:
    assert Subject.from_dict({"name": "Jane", "unknown": "ignored", "birth_date": None}) == Subject(name="Jane")


def test_a_sumsub_re_run_finds_the_applicant_by_external_id_instead_of_creating_it_again(sumsub: VendorServer) -> None:
    sumsub.on(
        "GET",
        "/resources/applicants/-;externalUserId=case-9/one",
        sumsub_signed(reply_json({"id": "65aa00aa", "externalUserId": "case-9"})),
    )
    sumsub.on(
        "POST",
        "/resources/applicants",
        reply_json({"description": "Applicant with external user id 'case-9' already exists"}, status=409),
    )
    sumsub.on("POST", "/resources/accessTokens/sdk", sumsub_signed(reply_json({"token": "_act-2", "userId": "case-9"})))
    check = check_run_now(kind="identity", subject_ref="case-9", subject={})
    assert check.external_id == "65aa00aa" and check.outcome == Outcome.PENDING
    assert sumsub.calls("POST", "/resources/applicants") == []


def test_the_sweep_leaves_an_identity_check_waiting_for_the_person_alone(sumsub: VendorServer, settings: Any) -> None:
    import datetime as dt

    from django.utils import timezone

    from screening.models import Check
    from screening.selectors import checks_stuck

    sumsub.on("POST", "/resources/applicants", sumsub_signed(reply_json({"id": "77bb", "externalUserId": "case-10"})))
    sumsub.on(
        "POST", "/resources/accessTokens/sdk", sumsub_signed(reply_json({"token": "_act-3", "userId": "case-10"}))
    )
    waiting = check_run_now(kind="identity", subject_ref="case-10", subject={})
    lost = Check.objects.create(kind="identity", provider="sumsub", subject_ref="case-11", status=CheckStatus.RUNNING)
    Check.objects.filter(pk__in=[waiting.pk, lost.pk]).update(updated_at=timezone.now() - dt.timedelta(hours=3))
    assert checks_stuck() == [lost.pk]
