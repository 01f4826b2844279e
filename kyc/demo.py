"""Demo applications for the run command (`seed_demo`): one of each journey, in different states.

Idempotent: an applicant who already has an application is left alone. Wallet keys are derived from a
published phrase, so they are for demonstration only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from eth_account import Account
from eth_account.messages import encode_defunct

from accounts.models import User
from kyc import services
from kyc.models import Application

_DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def demo_wallet(name: str) -> Any:
    return Account.from_key(hashlib.sha256(f"claystack-demo-wallet:{name}".encode()).digest())


def _person(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "legal_name": name,
        "date_of_birth": dt.date(1981, 6, 2),
        "nationalities": ["GB"],
        "country_of_residence": "GB",
        "residential_address": "221B Baker Street\nLondon NW1 6XE",
        "tax_residence": "GB",
        "occupation": "Finance professional",
        "source_of_funds": "Employment income",
        "source_of_wealth": "Savings and investments",
        "pep_status": "not_pep",
        "id_document_type": "passport",
        "id_document_number": "925076473",
        "id_document_country": "GB",
        "id_document_expiry": dt.date(2031, 9, 30),
        **extra,
    }


def _prove(application: Application, user: User, name: str, purpose: str = "staking_deposits") -> None:
    key = demo_wallet(name)
    wallet = services.wallet_add(application=application, by=user, address=key.address, label=name, purpose=purpose)
    challenge = services.wallet_challenge_issue(
        wallet=wallet, by=user, domain="localhost:8000", uri="http://localhost:8000/"
    )
    signature = "0x" + bytes(key.sign_message(encode_defunct(text=challenge.message)).signature).hex()
    services.wallet_proof_verify(wallet=wallet, by=user, message=challenge.message, signature=signature)


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, _DEMO_PDF, content_type="application/pdf")


@transaction.atomic
def seed_kyc_demo() -> list[Application]:
    """Acme (alice): a KYB draft half done; Sam: a submitted individual KYC; NodeWorks (olivia): a submitted
    professional operator application."""
    created: list[Application] = []
    alice = User.objects.filter(email="alice@acme-capital.example").first()
    if alice is not None and not Application.objects.filter(applicant=alice).exists():
        app = services.application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
        services.application_details_update(
            application=app,
            by=alice,
            data={"expected_volume_eth": Decimal("12000"), "source_of_funds": "Client assets under management"},
        )
        services.company_profile_update(
            application=app,
            by=alice,
            data={
                "legal_name": "Acme Capital Ltd",
                "registration_number": "09876543",
                "jurisdiction": "GB",
                "incorporation_date": dt.date(2015, 4, 1),
                "registered_address": "1 Canada Square\nLondon E14 5AB",
                "entity_type": "limited_company",
                "business_description": "Digital-asset treasury management for institutional clients.",
            },
        )
        services.person_add(application=app, by=alice, role="director", data=_person("Alice Applicant"))
        services.person_add(
            application=app, by=alice, role="ubo", data=_person("Hugo Holder", ownership_percent=Decimal("40"))
        )
        created.append(app)
    sam = User.objects.filter(email="sam@staker.example").first()
    if sam is not None and not Application.objects.filter(applicant=sam).exists():
        app = services.application_create(by=sam, subject_type="individual")
        services.application_details_update(
            application=app, by=sam, data={"expected_volume_eth": Decimal("64"), "source_of_funds": "Savings"}
        )
        services.application_profile_update(application=app, by=sam, data=_person("Sam Staker"))
        services.document_upload(application=app, by=sam, kind="id_front", upload=_pdf("passport.pdf"))
        services.document_upload(application=app, by=sam, kind="proof_of_address", upload=_pdf("utility-bill.pdf"))
        _prove(app, sam, "Sam's staking wallet")
        services.application_submit(application=app, by=sam)
        created.append(app)
    olivia = User.objects.filter(email="olivia@nodeworks.example").first()
    if olivia is not None and not Application.objects.filter(applicant=olivia).exists():
        app = services.application_create(
            by=olivia,
            subject_type="operator_company",
            organisation=olivia.organisations.get(),
            operator_category="professional",
        )
        services.application_details_update(
            application=app, by=olivia, data={"expected_volume_eth": Decimal("3200"), "source_of_funds": "Equity"}
        )
        services.company_profile_update(
            application=app,
            by=olivia,
            data={
                "legal_name": "NodeWorks GmbH",
                "registration_number": "HRB 123456",
                "jurisdiction": "DE",
                "incorporation_date": dt.date(2019, 1, 15),
                "registered_address": "Friedrichstraße 68\n10117 Berlin",
                "entity_type": "limited_company",
                "business_description": "Professional Ethereum validator operations.",
            },
        )
        services.person_add(application=app, by=olivia, role="director", data=_person("Olivia Operator"))
        services.person_add(
            application=app, by=olivia, role="ubo", data=_person("Olivia Operator", ownership_percent=Decimal("70"))
        )
        services.person_add(application=app, by=olivia, role="signatory", data=_person("Olivia Operator"))
        for kind in ("certificate_of_incorporation", "register_of_directors", "shareholder_register", "articles"):
            services.document_upload(application=app, by=olivia, kind=kind, upload=_pdf(f"{kind}.pdf"))
        _prove(app, olivia, "NodeWorks fee recipient", purpose="fee_recipient")
        services.application_submit(application=app, by=olivia)
        created.append(app)
    return list(Application.objects.filter(pk__in=[a.pk for a in created]).order_by("created_at"))
