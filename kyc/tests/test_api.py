"""The onboarding API: journeys for each application type, idempotency, scoping, the schema."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts.tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from kyc.models import Application, Document, WalletAddress
from kyc.tests.factories import ELF_BYTES, JPEG_BYTES, PDF_BYTES, REAL_LEI_2, complete_company, sign

API = "/api/v1/applications/"

PERSON = {
    "legal_name": "Jane Example",
    "other_names": ["J. Example"],
    "date_of_birth": "1984-03-14",
    "nationalities": ["GB"],
    "country_of_residence": "GB",
    "residential_address": "1 High Street, London",
    "tax_residence": "GB",
    "occupation": "Engineer",
    "source_of_funds": "Salary",
    "source_of_wealth": "Savings",
    "pep_status": "not_pep",
    "id_document_type": "passport",
    "id_document_number": "P1234567",
    "id_document_country": "GB",
    "id_document_expiry": "2031-01-01",
}


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _prove(client: APIClient, app_id: str, key: Any, purpose: str = "staking_deposits") -> dict[str, Any]:
    wallet = client.post(f"{API}{app_id}/wallets/", {"address": key.address, "label": "Main", "purpose": purpose})
    assert wallet.status_code == 201, wallet.data
    wid = wallet.data["id"]
    challenge = client.post(f"{API}{app_id}/wallets/{wid}/challenge/", {}, format="json")
    assert challenge.status_code == 201, challenge.data
    message = challenge.data["message"]
    proof = client.post(
        f"{API}{app_id}/wallets/{wid}/proof/",
        {"message": message, "signature": sign(key, message)},
        format="json",
    )
    assert proof.status_code == 200, proof.data
    assert proof.data["verified"] is True
    return dict(proof.data)


def _upload(client: APIClient, app_id: str, kind: str, name: str, data: bytes, **extra: Any) -> Any:
    return client.post(
        f"{API}{app_id}/documents/", {"kind": kind, "file": SimpleUploadedFile(name, data), **extra}, format="multipart"
    )


@pytest.mark.parametrize(("subject_type", "category"), [("individual", ""), ("operator_individual", "professional")])
def test_an_individual_completes_kyc_over_the_api(db: Any, subject_type: str, category: str, wallet_key: Any) -> None:
    user = UserFactory()
    client = _api(user)
    created = client.post(API, {"subject_type": subject_type, "operator_category": category}, format="json")
    assert created.status_code == 201, created.data
    app_id = created.data["id"]
    assert created.data["reference"].startswith("CS-")
    details = {"expected_volume_eth": "32", "source_of_funds": "Savings"}
    assert client.patch(f"{API}{app_id}/details/", details, format="json").status_code == 200
    profile = client.put(f"{API}{app_id}/profile/", PERSON, format="json")
    assert profile.status_code == 200, profile.data
    assert profile.data["date_of_birth"] == "1984-03-14"
    assert _upload(client, app_id, "id_front", "id.jpg", JPEG_BYTES).status_code == 201
    assert _upload(client, app_id, "proof_of_address", "bill.pdf", PDF_BYTES).status_code == 201
    _prove(client, app_id, wallet_key, "fee_recipient" if category else "withdrawals")
    submitted = client.post(f"{API}{app_id}/submit/")
    assert submitted.status_code == 200, submitted.data
    assert submitted.data["status"] == "submitted"
    assert submitted.data["editable_sections"] == []
    timeline = client.get(f"{API}{app_id}/timeline/")
    assert timeline.data[-1]["action"] == "application.status_changed"
    # The applicant sees who did what by e-mail, though the trail itself names them by public id.
    assert timeline.data[-1]["actor"] == user.email


@pytest.mark.parametrize(
    ("kind", "subject_type", "category"),
    [("institution", "institution", ""), ("operator_company", "operator_company", "obol_cluster")],
)
def test_a_company_completes_kyb_over_the_api(
    db: Any, kind: str, subject_type: str, category: str, wallet_key: Any
) -> None:
    user = UserFactory()
    org = OrganisationFactory(kind=kind)
    MembershipFactory(user=user, organisation=org, role="owner")
    client = _api(user)
    created = client.post(
        API,
        {"subject_type": subject_type, "organisation": str(org.public_id), "operator_category": category},
        format="json",
    )
    assert created.status_code == 201, created.data
    app_id = created.data["id"]
    client.patch(
        f"{API}{app_id}/details/", {"expected_volume_eth": "9000", "source_of_funds": "Treasury"}, format="json"
    )
    company = client.patch(
        f"{API}{app_id}/company/",
        {
            "legal_name": "Shell Catalysts & Technologies Pte. Ltd.",
            "registration_number": "199403865N",
            "lei": REAL_LEI_2,
            "jurisdiction": "SG",
            "incorporation_date": "1994-06-01",
            "registered_address": "9 North Buona Vista Drive, Singapore",
            "entity_type": "limited_company",
            "business_description": "Catalysts",
        },
        format="json",
    )
    assert company.status_code == 200, company.data
    for role, extra in (
        ("director", {"position": "Director"}),
        ("ubo", {"ownership_percent": "51.00", "legal_name": "A Owner"}),
        ("ubo", {"ownership_percent": "49.00", "legal_name": "B Owner", "ownership_indirect": True}),
        ("signatory", {"position": "CFO"}),
    ):
        response = client.post(f"{API}{app_id}/people/", {**PERSON, **extra, "role": role}, format="json")
        assert response.status_code == 201, response.data
    for doc in ("certificate_of_incorporation", "register_of_directors", "shareholder_register", "articles"):
        assert _upload(client, app_id, doc, f"{doc}.pdf", PDF_BYTES).status_code == 201
    _prove(client, app_id, wallet_key)
    detail = client.get(f"{API}{app_id}/")
    assert detail.data["missing"] == []
    assert client.post(f"{API}{app_id}/submit/").data["status"] == "submitted"


def test_submitting_an_incomplete_application_lists_what_is_missing(alice: Any) -> None:
    client = _api(alice)
    app_id = client.post(
        API, {"subject_type": "institution", "organisation": str(alice.organisations.get().public_id)}, format="json"
    ).data["id"]
    response = client.post(f"{API}{app_id}/submit/")
    assert response.status_code == 400
    fields = {(p["section"], p["field"]) for p in response.data["problems"]}
    assert ("company", "registration_number") in fields
    assert ("people", "directors") in fields
    assert ("wallets", "wallets") in fields
    assert Application.objects.get().status == "draft"


def test_ubo_totals_above_100_percent_are_refused_naming_the_field(alice: Any) -> None:
    client = _api(alice)
    app_id = client.post(
        API, {"subject_type": "institution", "organisation": str(alice.organisations.get().public_id)}, format="json"
    ).data["id"]
    ok = client.post(f"{API}{app_id}/people/", {**PERSON, "role": "ubo", "ownership_percent": "80"}, format="json")
    assert ok.status_code == 201
    refused = client.post(f"{API}{app_id}/people/", {**PERSON, "role": "ubo", "ownership_percent": "30"}, format="json")
    assert refused.status_code == 400
    assert refused.data["field"] == "ownership_percent"
    assert "already hold 80 %, so at most 20 % is possible" in refused.data["detail"]
    below = client.post(f"{API}{app_id}/people/", {**PERSON, "role": "ubo", "ownership_percent": "10"}, format="json")
    assert below.status_code == 400
    assert "ownership_percent" in below.data


def test_bad_fields_are_refused_with_what_is_accepted(alice: Any) -> None:
    client = _api(alice)
    app_id = client.post(
        API, {"subject_type": "institution", "organisation": str(alice.organisations.get().public_id)}, format="json"
    ).data["id"]
    response = client.patch(f"{API}{app_id}/company/", {"lei": "ABC", "jurisdiction": "XX"}, format="json")
    assert response.status_code == 400
    assert "exactly 20 characters" in str(response.data["lei"])
    assert "ISO 3166-1 alpha-2" in str(response.data["jurisdiction"])
    wrong_type = client.post(API, {"subject_type": "individual_kyc"}, format="json")
    assert wrong_type.status_code == 400
    assert "subject_type" in wrong_type.data


def test_an_upload_refusal_over_the_api_names_the_field_and_leaves_nothing(alice: Any, _media: Any) -> None:
    client = _api(alice)
    app_id = client.post(
        API, {"subject_type": "institution", "organisation": str(alice.organisations.get().public_id)}, format="json"
    ).data["id"]
    response = _upload(client, app_id, "articles", "articles.pdf", ELF_BYTES)
    assert response.status_code == 400
    assert response.data["field"] == "file"
    assert "not a PDF, JPEG or PNG" in response.data["detail"]
    assert not Document.objects.exists()
    assert not _media.exists() or not any(p.is_file() for p in _media.rglob("*"))


def test_a_forged_wallet_signature_is_refused_over_the_api(alice: Any, wallet_key: Any, other_key: Any) -> None:
    client = _api(alice)
    app_id = client.post(
        API, {"subject_type": "institution", "organisation": str(alice.organisations.get().public_id)}, format="json"
    ).data["id"]
    wid = client.post(
        f"{API}{app_id}/wallets/", {"address": wallet_key.address, "label": "x", "purpose": "withdrawals"}
    ).data["id"]
    message = client.post(f"{API}{app_id}/wallets/{wid}/challenge/", {}, format="json").data["message"]
    response = client.post(
        f"{API}{app_id}/wallets/{wid}/proof/",
        {"message": message, "signature": sign(other_key, message)},
        format="json",
    )
    assert response.status_code == 400
    assert response.data["code"] == "forged"
    assert response.data["field"] == "signature"


def test_an_idempotency_key_replays_the_first_answer_and_creates_once(alice: Any) -> None:
    client = _api(alice)
    body = {"subject_type": "institution", "organisation": str(alice.organisations.get().public_id)}
    first = client.post(API, body, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    second = client.post(API, body, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    assert first.status_code == second.status_code == 201
    assert first.data["id"] == second.data["id"]
    assert second["Idempotent-Replayed"] == "true"
    assert Application.objects.count() == 1
    other = client.post(API, {"subject_type": "individual"}, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    assert other.status_code == 422
    assert "different request" in other.data["detail"]


def test_idempotency_records_keep_no_personal_data_and_a_retry_still_gets_the_answer(alice: Any) -> None:
    from kyc.models import IdempotencyRecord

    client = _api(alice)
    app_id = client.post(API, {"subject_type": "individual"}, format="json", HTTP_IDEMPOTENCY_KEY="create").data["id"]
    answers = {}
    for attempt in ("first", "retry"):
        answers[attempt] = client.put(f"{API}{app_id}/profile/", PERSON, format="json", HTTP_IDEMPOTENCY_KEY="profile")
        assert answers[attempt].status_code == 200, answers[attempt].data
    assert answers["retry"]["Idempotent-Replayed"] == "true"
    assert answers["retry"].json() == answers["first"].json()
    assert answers["retry"].json()["id_document_number"] == "P1234567"
    stored = str(list(IdempotencyRecord.objects.values()))
    for value in ("P1234567", "1984-03-14", "1 High Street", "Jane Example", "Engineer", "Salary"):
        assert value not in stored, value
    # A refused request is not remembered: it changed nothing, so the corrected retry runs.
    refused = client.post(f"{API}{app_id}/people/", {"legal_name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="bad")
    assert refused.status_code == 400
    assert not IdempotencyRecord.objects.filter(key="bad").exists()


def test_documents_per_application_are_capped_by_count_and_total_size(alice: Any, settings: Any) -> None:
    client = _api(alice)
    app_id = client.post(API, {"subject_type": "individual"}, format="json").data["id"]
    settings.KYC_DOCUMENTS_MAX_PER_APPLICATION = 2
    for n in range(2):
        assert _upload(client, app_id, "id_front", f"id{n}.pdf", PDF_BYTES).status_code == 201
    refused = _upload(client, app_id, "id_back", "third.pdf", PDF_BYTES)
    assert refused.status_code == 400
    assert refused.data["field"] == "file" and "already has 2 documents" in refused.data["detail"]
    settings.KYC_DOCUMENTS_MAX_PER_APPLICATION = 50
    settings.KYC_DOCUMENTS_MAX_TOTAL_BYTES = 2 * len(PDF_BYTES) + len(PDF_BYTES) // 2
    too_big = _upload(client, app_id, "id_back", "third.pdf", PDF_BYTES)
    assert too_big.status_code == 400 and "they may hold together" in too_big.data["detail"]
    assert Document.objects.count() == 2
    # Removing one makes room again.
    first = Document.objects.first()
    assert first is not None
    assert client.delete(f"{API}{app_id}/documents/{first.public_id}/").status_code == 204
    assert _upload(client, app_id, "id_back", "third.pdf", PDF_BYTES).status_code == 201


def test_an_idempotent_upload_is_stored_once(alice: Any) -> None:
    client = _api(alice)
    app_id = client.post(
        API, {"subject_type": "institution", "organisation": str(alice.organisations.get().public_id)}, format="json"
    ).data["id"]
    for _ in range(2):
        response = client.post(
            f"{API}{app_id}/documents/",
            {"kind": "articles", "file": SimpleUploadedFile("a.pdf", PDF_BYTES)},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )
        assert response.status_code == 201
    assert Document.objects.count() == 1


def test_the_outsider_gets_404_on_every_api_object_url(alice: Any, charlie: Any, wallet_key: Any) -> None:
    app = complete_company(alice, wallet_key)
    person, document, wallet = app.people.first(), app.documents.first(), app.wallets.first()
    assert person and document and wallet
    base = f"{API}{app.public_id}/"
    client = _api(charlie)
    for url in (
        base,
        base + "timeline/",
        base + "people/",
        f"{base}people/{person.public_id}/",
        base + "documents/",
        f"{base}documents/{document.public_id}/",
        base + "wallets/",
        f"{base}wallets/{wallet.public_id}/",
    ):
        assert client.get(url).status_code == 404, url
    for method, url in (
        ("patch", base + "details/"),
        ("put", base + "profile/"),
        ("patch", base + "company/"),
        ("post", base + "people/"),
        ("patch", f"{base}people/{person.public_id}/"),
        ("delete", f"{base}people/{person.public_id}/"),
        ("post", base + "documents/"),
        ("delete", f"{base}documents/{document.public_id}/"),
        ("post", base + "wallets/"),
        ("delete", f"{base}wallets/{wallet.public_id}/"),
        ("post", f"{base}wallets/{wallet.public_id}/challenge/"),
        ("post", f"{base}wallets/{wallet.public_id}/proof/"),
        ("post", base + "submit/"),
    ):
        assert getattr(client, method)(url, {}, format="json").status_code == 404, (method, url)
    assert client.get(f"{API}{uuid.uuid4()}/").status_code == 404
    assert client.get(API).data["count"] == 0
    assert WalletAddress.objects.filter(pk=wallet.pk).exists()


def test_a_colleague_sees_the_organisations_applications(alice: Any, bob: Any, wallet_key: Any) -> None:
    app = complete_company(alice, wallet_key)
    listing = _api(bob).get(API)
    assert [row["id"] for row in listing.data["results"]] == [str(app.public_id)]


def test_the_application_list_api_is_bounded_in_queries(
    alice: Any, wallet_key: Any, django_assert_max_num_queries: Any
) -> None:
    from kyc.services import application_create

    for _ in range(8):
        application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
    client = _api(alice)
    with django_assert_max_num_queries(4):
        response = client.get(API)
    assert response.data["count"] == 8


def test_the_detail_api_is_bounded_in_queries(alice: Any, wallet_key: Any, django_assert_max_num_queries: Any) -> None:
    app = complete_company(alice, wallet_key)
    client = _api(alice)
    with django_assert_max_num_queries(16):
        response = client.get(f"{API}{app.public_id}/")
    assert len(response.data["people"]) == 4


def test_the_openapi_schema_documents_the_onboarding_api(db: Any) -> None:
    response = APIClient().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    text = response.content.decode()
    for path in (
        "/api/v1/applications/",
        "/api/v1/applications/{public_id}/wallets/{wallet_id}/challenge/",
        "/api/v1/applications/{public_id}/documents/",
        "/api/v1/applications/{public_id}/submit/",
    ):
        assert path in text
    assert "Idempotency-Key" in text


def test_old_idempotency_answers_are_forgotten_by_the_hourly_task(alice: Any) -> None:
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from kyc.models import IdempotencyRecord
    from kyc.tasks import idempotency_purge_task

    client = _api(alice)
    client.post(API, {"subject_type": "individual"}, format="json", HTTP_IDEMPOTENCY_KEY="old")
    with time_machine.travel(timezone.now() + dt.timedelta(hours=49)):
        client.post(API, {"subject_type": "individual"}, format="json", HTTP_IDEMPOTENCY_KEY="new")
        assert idempotency_purge_task() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
