"""Journeys through the browser views, and the outsider denied everywhere."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from kyc.models import Application, Document
from kyc.tests.factories import (
    ELF_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    REAL_LEI,
    complete_company,
    jpeg,
    pdf,
    png,
    sign,
)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _step(app: Application, step: str) -> str:
    return reverse("kyc:step", kwargs={"public_id": app.public_id, "step": step})


PERSON_POST = {
    "legal_name": "Jane Example",
    "other_names": "Jane Q. Example, J. Example",
    "date_of_birth": "1984-03-14",
    "nationalities": "gb, ie",
    "country_of_residence": "GB",
    "residential_address": "1 High Street\nLondon",
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


def _prove_wallet_in_browser(client: Client, app: Application, key: Any, purpose: str = "staking_deposits") -> None:
    response = client.post(_step(app, "wallets"), {"address": key.address.lower(), "label": "Main", "purpose": purpose})
    assert response.status_code == 302
    wallet = app.wallets.get(address=key.address)
    prove_url = reverse("kyc:wallet_prove", kwargs={"public_id": app.public_id, "wallet_id": wallet.public_id})
    page = client.get(prove_url)
    message = page.context["message"]
    assert f"Nonce: {wallet.challenges.get().nonce}" in message
    response = client.post(prove_url, {"message": message, "signature": sign(key, message)})
    assert response.status_code == 302, response.context["form"].errors
    wallet.refresh_from_db()
    assert wallet.verified_at is not None


def _submit(client: Client, app: Application) -> None:
    review = client.get(_step(app, "review"))
    assert review.context["progress"].problems == []
    response = client.post(reverse("kyc:submit", kwargs={"public_id": app.public_id}))
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == Application.Status.SUBMITTED
    status_page = client.get(reverse("kyc:status", kwargs={"public_id": app.public_id}))
    assert b"Status: Submitted" in status_page.content


@pytest.mark.parametrize(("subject_type", "category"), [("individual", ""), ("operator_individual", "solo_home")])
def test_an_individual_completes_kyc_in_the_browser(db: Any, subject_type: str, category: str, wallet_key: Any) -> None:
    sam = UserFactory(email="sam@staker.example")
    client = _client(sam)
    response = client.post(reverse("kyc:new"), {"subject_type": subject_type, "operator_category": category})
    app = Application.objects.get(applicant=sam)
    assert response.url == _step(app, "details")
    data = {"expected_volume_eth": "64", "source_of_funds": "Savings"}
    if category:
        data["operator_category"] = category
    assert client.post(_step(app, "details"), data).status_code == 302
    assert client.post(_step(app, "profile"), PERSON_POST).status_code == 302
    for kind, upload in (("id_front", jpeg("passport.jpg")), ("proof_of_address", pdf("bill.pdf"))):
        response = client.post(_step(app, "documents"), {"kind": kind, "file": upload})
        assert response.status_code == 302
    _prove_wallet_in_browser(client, app, wallet_key, "fee_recipient" if category else "staking_deposits")
    _submit(client, app)
    subject = app.people.get()
    assert subject.nationalities == ["GB", "IE"]
    assert str(subject.date_of_birth) == "1984-03-14"


@pytest.mark.parametrize(
    ("kind", "subject_type", "category"),
    [("institution", "institution", ""), ("operator_company", "operator_company", "ssv_operator")],
)
def test_a_company_completes_kyb_in_the_browser_with_colleagues(
    db: Any, kind: str, subject_type: str, category: str, wallet_key: Any
) -> None:
    owner = UserFactory(email="owner@corp.example")
    colleague = UserFactory(email="colleague@corp.example")
    org = OrganisationFactory(name="Corp Ltd", kind=kind)
    MembershipFactory(user=owner, organisation=org, role="owner")
    MembershipFactory(user=colleague, organisation=org, role="member")
    client, other = _client(owner), _client(colleague)
    client.post(
        reverse("kyc:new"),
        {"subject_type": subject_type, "organisation": str(org.public_id), "operator_category": category},
    )
    app = Application.objects.get(organisation=org)
    data = {"expected_volume_eth": "10000", "source_of_funds": "Treasury"}
    if category:
        data["operator_category"] = category
    assert client.post(_step(app, "details"), data).status_code == 302
    company = {
        "legal_name": "Corp Ltd",
        "trading_names": "Corp",
        "registration_number": "04366849",
        "lei": REAL_LEI.lower(),
        "jurisdiction": "GB",
        "incorporation_date": "2002-02-05",
        "registered_address": "1 Corp Street",
        "entity_type": "limited_company",
        "business_description": "Staking",
    }
    # The colleague fills in the company details: the trail records who did what.
    assert other.post(_step(app, "company"), company).status_code == 302
    add = reverse("kyc:person_add", kwargs={"public_id": app.public_id})
    for role, extra in (
        ("director", {"position": "CEO"}),
        ("ubo", {"ownership_percent": "60", "legal_name": "Uma Owner"}),
        ("ubo", {"ownership_percent": "40", "legal_name": "Otto Owner"}),
        ("signatory", {"position": "CFO", "legal_name": "Sig Natory"}),
    ):
        response = client.post(add + f"?role={role}", {**PERSON_POST, **extra, "role": role})
        assert response.status_code == 302, response.context["form"].errors
    too_much = client.post(add + "?role=ubo", {**PERSON_POST, "ownership_percent": "25", "role": "ubo"})
    assert "more than 100 %" in too_much.context["form"].errors["ownership_percent"][0]
    for doc in ("certificate_of_incorporation", "register_of_directors", "shareholder_register", "articles"):
        assert other.post(_step(app, "documents"), {"kind": doc, "file": pdf(f"{doc}.pdf")}).status_code == 302
    _prove_wallet_in_browser(client, app, wallet_key)
    _submit(other, app)
    from core.models import AuditEvent

    company_event = AuditEvent.objects.get(action="application.company_updated", target_id=str(app.pk))
    assert company_event.actor == colleague
    assert company_event.actor_label == f"user:{colleague.public_id}"
    assert AuditEvent.objects.get(action="application.status_changed", target_id=str(app.pk)).actor == colleague


def test_an_invalid_lei_is_refused_naming_the_field(alice: Any) -> None:
    client = _client(alice)
    client.post(
        reverse("kyc:new"), {"subject_type": "institution", "organisation": str(alice.organisations.get().public_id)}
    )
    app = Application.objects.get()
    response = client.post(_step(app, "company"), {"legal_name": "Acme", "lei": "21380068P1DRHMJ8KU71"})
    assert "check digits do not match" in response.context["form"].errors["lei"][0]


def test_a_draft_is_saved_and_resumed_where_it_was_left(alice: Any) -> None:
    client = _client(alice)
    client.post(
        reverse("kyc:new"), {"subject_type": "institution", "organisation": str(alice.organisations.get().public_id)}
    )
    app = Application.objects.get()
    response = client.post(
        _step(app, "details"), {"expected_volume_eth": "5", "source_of_funds": "Treasury", "save_draft": "1"}
    )
    assert response.url == _step(app, "details")
    resume = client.get(reverse("kyc:resume", kwargs={"public_id": app.public_id}))
    assert resume.url == _step(app, "company")
    page = client.get(_step(app, "details"))
    assert page.context["progress"].done == 1
    assert b"1 of 6 steps complete" in page.content


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("setup.pdf", ELF_BYTES, "is not a PDF, JPEG or PNG"),
        ("statement.pdf", PDF_BYTES[:50], "PDF is incomplete"),
        ("scan.pdf", PNG_BYTES, "named as .pdf but its content is image/png"),
    ],
)
def test_a_bad_upload_is_refused_and_leaves_no_file(
    alice: Any, _media: Any, name: str, data: bytes, fragment: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _client(alice)
    client.post(
        reverse("kyc:new"), {"subject_type": "institution", "organisation": str(alice.organisations.get().public_id)}
    )
    app = Application.objects.get()
    response = client.post(_step(app, "documents"), {"kind": "articles", "file": SimpleUploadedFile(name, data)})
    assert fragment in response.context["form"].errors["file"][0]
    assert not Document.objects.exists()
    assert not _media.exists() or not any(p.is_file() for p in _media.rglob("*"))


def test_an_oversize_upload_is_refused_with_the_limit(alice: Any, settings: Any, _media: Any) -> None:
    settings.KYC_DOCUMENT_MAX_BYTES = 1024
    client = _client(alice)
    client.post(
        reverse("kyc:new"), {"subject_type": "institution", "organisation": str(alice.organisations.get().public_id)}
    )
    app = Application.objects.get()
    big = PDF_BYTES[:-7] + b" " * 2000 + b"\n%%EOF\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(_step(app, "documents"), {"kind": "articles", "file": SimpleUploadedFile("big.pdf", big)})
    assert "is 2.1\xa0KB; files of at most 1.0\xa0KB are accepted" in response.context["form"].errors["file"][0]
    assert not Document.objects.exists()


def test_documents_are_stored_under_random_names_with_their_hash(alice: Any, wallet_key: Any) -> None:
    app = complete_company(alice, wallet_key)
    document = app.documents.first()
    assert document is not None
    assert re.fullmatch(r"kyc/[0-9a-f]{2}/[0-9a-f]{32}\.pdf", document.file.name)
    import hashlib

    assert document.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()


def test_members_and_case_staff_can_read_a_document_but_outsiders_get_404(
    alice: Any, bob: Any, charlie: Any, reviewer: Any, wallet_key: Any
) -> None:
    app = complete_company(alice, wallet_key)
    document = app.documents.first()
    assert document is not None
    url = reverse("kyc:document", kwargs={"document_id": document.public_id})
    response = _client(bob).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"
    assert _client(reviewer).get(url).status_code == 200
    assert _client(charlie).get(url).status_code == 404


def test_the_outsider_gets_404_on_every_object_url(alice: Any, charlie: Any, wallet_key: Any) -> None:
    app = complete_company(alice, wallet_key)
    person = app.people.first()
    document = app.documents.first()
    wallet = app.wallets.first()
    assert person and document and wallet
    ids = {"public_id": app.public_id}
    gets = [
        reverse("kyc:status", kwargs=ids),
        reverse("kyc:resume", kwargs=ids),
        *[
            reverse("kyc:step", kwargs={**ids, "step": s})
            for s in ("details", "company", "people", "documents", "wallets", "review")
        ],
        reverse("kyc:person_edit", kwargs={**ids, "person_id": person.public_id}),
        reverse("kyc:wallet_prove", kwargs={**ids, "wallet_id": wallet.public_id}),
        reverse("kyc:document", kwargs={"document_id": document.public_id}),
    ]
    posts = [
        reverse("kyc:person_delete", kwargs={**ids, "person_id": person.public_id}),
        reverse("kyc:document_delete", kwargs={**ids, "document_id": document.public_id}),
        reverse("kyc:wallet_delete", kwargs={**ids, "wallet_id": wallet.public_id}),
        reverse("kyc:submit", kwargs=ids),
    ]
    client = _client(charlie)
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url).status_code == 404, url
    assert app.people.filter(pk=person.pk).exists()


def test_a_submitted_application_is_read_only_in_the_browser(alice: Any, wallet_key: Any) -> None:
    from kyc.services import application_submit

    app = complete_company(alice, wallet_key)
    application_submit(application=app, by=alice)
    client = _client(alice)
    page = client.get(_step(app, "company"))
    assert b"read-only" in page.content
    assert b"<fieldset disabled" in page.content
    response = client.post(
        _step(app, "company"),
        {
            "legal_name": "Changed",
            "registration_number": "1",
            "jurisdiction": "GB",
            "incorporation_date": "2000-01-01",
            "registered_address": "x",
            "entity_type": "other",
            "business_description": "x",
        },
    )
    assert "can no longer be changed" in str(response.context["form"].non_field_errors())
    app.company.refresh_from_db()
    assert app.company.legal_name == "Acme Capital Ltd"


def test_the_application_list_is_bounded_in_queries(
    alice: Any, wallet_key: Any, django_assert_max_num_queries: Any
) -> None:
    from kyc.services import application_create

    for _ in range(5):
        application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
    client = _client(alice)
    client.get(reverse("kyc:list"))  # warm the session
    with django_assert_max_num_queries(8):
        response = client.get(reverse("kyc:list"))
    assert len(response.context["applications"]) == 5


def test_png_images_are_accepted_for_identity_documents(db: Any) -> None:
    sam = UserFactory()
    client = _client(sam)
    client.post(reverse("kyc:new"), {"subject_type": "individual"})
    app = Application.objects.get()
    assert client.post(_step(app, "documents"), {"kind": "id_front", "file": png()}).status_code == 302
    assert app.documents.get().content_type == "image/png"


def test_staff_without_case_access_or_without_mfa_cannot_read_documents(
    alice: Any, make_staff: Any, auditor: Any, wallet_key: Any
) -> None:
    app = complete_company(alice, wallet_key)
    document = app.documents.first()
    assert document is not None
    url = reverse("kyc:document", kwargs={"document_id": document.public_id})
    assert _client(auditor).get(url).status_code == 200
    assert _client(make_staff("whitelist_admin", email="wl@claystack.example")).get(url).status_code == 404
    no_mfa = make_staff("reviewer", mfa=False, email="nomfa@claystack.example")
    # A staff account without its second factor is sent to set it up before anything else.
    response = _client(no_mfa).get(url)
    assert response.status_code == 302
    assert "next=" in response.url
    assert response.get("Content-Type", "").startswith("text/html")
