from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from kyc.models import Application, Person, SubjectType

# Smallest well-formed files of each accepted type (built here, not copied from anywhere).
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"
ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120


def pdf(name: str = "document.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def jpeg(name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, JPEG_BYTES, content_type="image/jpeg")


# Real LEIs from GLEIF's public records (CC0): Shell plc and Shell Catalysts & Technologies Pte. Ltd.
REAL_LEI = "21380068P1DRHMJ8KU70"
REAL_LEI_2 = "2138001KPMR6PD83HC08"


def person_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "legal_name": "Jane Example",
        "other_names": ["Jane Q. Example"],
        "date_of_birth": dt.date(1984, 3, 14),
        "nationalities": ["GB"],
        "country_of_residence": "GB",
        "residential_address": "1 High Street\nLondon SW1A 1AA",
        "tax_residence": "GB",
        "occupation": "Portfolio manager",
        "source_of_funds": "Salary and savings",
        "source_of_wealth": "Employment income",
        "pep_status": Person.PepStatus.NOT_PEP,
        "id_document_type": Person.IdDocumentType.PASSPORT,
        "id_document_number": "123456789",
        "id_document_country": "GB",
        "id_document_expiry": dt.date(2031, 1, 1),
    }
    data.update(overrides)
    return data


def company_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "legal_name": "Acme Capital Ltd",
        "trading_names": ["Acme"],
        "registration_number": "04366849",
        "lei": REAL_LEI,
        "jurisdiction": "GB",
        "incorporation_date": dt.date(2002, 2, 5),
        "registered_address": "Shell Centre\nLondon SE1 7NA",
        "operating_address": "Shell Centre\nLondon SE1 7NA",
        "entity_type": "limited_company",
        "is_regulated": True,
        "regulator": "Financial Conduct Authority",
        "licence_number": "FRN 123456",
        "website": "https://acme.example",
        "business_description": "Asset manager staking client ETH.",
    }
    data.update(overrides)
    return data


DETAILS = {"expected_volume_eth": Decimal("3200.00"), "source_of_funds": "Client assets under management"}


class ApplicationFactory(factory.django.DjangoModelFactory[Application]):
    class Meta:
        model = Application

    subject_type = SubjectType.INDIVIDUAL
    applicant = factory.SubFactory("accounts.tests.factories.UserFactory")


def sign(key: Any, message: str) -> str:
    from eth_account.messages import encode_defunct

    return "0x" + bytes(key.sign_message(encode_defunct(text=message)).signature).hex()


def prove_wallet(application: Application, user: Any, key: Any, *, label: str = "Treasury") -> Any:
    from kyc.services import wallet_add, wallet_challenge_issue, wallet_proof_verify

    wallet = wallet_add(application=application, by=user, address=key.address, label=label, purpose="staking_deposits")
    challenge = wallet_challenge_issue(wallet=wallet, by=user, domain="testserver", uri="http://testserver/")
    return wallet_proof_verify(
        wallet=wallet, by=user, message=challenge.message, signature=sign(key, challenge.message)
    )


def complete_individual(user: Any, key: Any, subject_type: str = SubjectType.INDIVIDUAL, category: str = "") -> Any:
    """A draft individual application with everything filled in, ready to submit."""
    from kyc import services

    application = services.application_create(by=user, subject_type=subject_type, operator_category=category)
    services.application_details_update(application=application, by=user, data=DETAILS)
    services.application_profile_update(application=application, by=user, data=person_data())
    services.document_upload(application=application, by=user, kind="id_front", upload=png("passport.png"))
    services.document_upload(application=application, by=user, kind="proof_of_address", upload=pdf("bill.pdf"))
    prove_wallet(application, user, key)
    return application


def complete_company(user: Any, key: Any, subject_type: str = SubjectType.INSTITUTION, category: str = "") -> Any:
    from kyc import services

    organisation = user.organisations.get()
    application = services.application_create(
        by=user, subject_type=subject_type, organisation=organisation, operator_category=category
    )
    services.application_details_update(application=application, by=user, data=DETAILS)
    services.company_profile_update(application=application, by=user, data=company_data())
    services.person_add(application=application, by=user, role="director", data=person_data(position="CEO"))
    services.person_add(
        application=application, by=user, role="ubo", data=person_data(legal_name="Uma Owner", ownership_percent=60)
    )
    services.person_add(
        application=application, by=user, role="ubo", data=person_data(legal_name="Otto Owner", ownership_percent=30)
    )
    services.person_add(application=application, by=user, role="signatory", data=person_data(legal_name="Sig Natory"))
    for kind in ("certificate_of_incorporation", "register_of_directors", "shareholder_register", "articles"):
        services.document_upload(application=application, by=user, kind=kind, upload=pdf(f"{kind}.pdf"))
    prove_wallet(application, user, key)
    return application
