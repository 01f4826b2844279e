"""Demo applications for the run command (`seed_demo`): one of each journey, in different states.

Idempotent: an applicant who already has an application is left alone. Wallet keys are derived from a
published phrase, so they are for demonstration only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from eth_account import Account
from eth_account.messages import encode_defunct

from accounts.models import User
from kyc import services
from kyc.models import COMPANY_SUBJECT_TYPES, OPERATOR_SUBJECT_TYPES, Application

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


# ---------------------------------------------------------------------------------------------------------
# Bulk demo cases (`seed_demo --cases N`): realistic volume for the queue, the reports and the benchmark.

_FIRST_NAMES = (
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Mia",
    "Arthur",
    "Ivy",
    "Leo",
    "Freya",
    "Oscar",
    "Lily",
    "Theo",
    "Emily",
    "Harry",
    "Sophia",
    "Jack",
    "Grace",
    "Lucas",
    "Chloé",
    "Mateo",
    "Sofía",
    "Hugo",
    "Lucía",
    "Matteo",
    "Giulia",
    "Lukas",
    "Emma",
    "Finn",
    "Hanna",
    "Yuki",
    "Haruto",
    "Aarav",
    "Priya",
    "Chen",
    "Wei",
    "Fatima",
    "Omar",
    "Amara",
    "Kwame",
    "Ingrid",
    "Lars",
    "Aino",
    "Mikko",
    "Zofia",
    "Jakub",
    "Dmitri",
    "Elena",
    "Nikos",
    "Eleni",
    "Tomás",
    "Inês",
    "Seo-yeon",
    "Min-jun",
)
_LAST_NAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Martin",
    "Bernard",
    "Dubois",
    "Durand",
    "García",
    "Fernández",
    "López",
    "Rossi",
    "Russo",
    "Bianchi",
    "Jansen",
    "de Vries",
    "Bakker",
    "Nowak",
    "Kowalski",
    "Andersson",
    "Johansson",
    "Nielsen",
    "Hansen",
    "Virtanen",
    "Korhonen",
    "Tanaka",
    "Suzuki",
    "Sato",
    "Kim",
    "Lee",
    "Park",
    "Wang",
    "Li",
    "Zhang",
    "Singh",
    "Kumar",
    "Okafor",
    "Mensah",
    "Haddad",
    "Cohen",
    "Silva",
    "Santos",
    "Costa",
    "Papadopoulos",
    "Ivanova",
)
_COMPANY_WORDS = (
    "Northwind",
    "Meridian",
    "Harbour",
    "Alder",
    "Beacon",
    "Granite",
    "Summit",
    "Kestrel",
    "Ridgeway",
    "Lumen",
    "Atlas",
    "Cobalt",
    "Silverline",
    "Aurora",
    "Brightwater",
    "Fjord",
    "Cedar",
    "Helix",
    "Orion",
    "Sterling",
    "Tidewater",
    "Vantage",
    "Quarry",
    "Larch",
    "Polaris",
    "Zephyr",
    "Ironbridge",
)
_COMPANY_KINDS = (
    "Capital",
    "Asset Management",
    "Digital Assets",
    "Treasury",
    "Staking",
    "Validators",
    "Node Services",
    "Partners",
    "Ventures",
)
_COMPANY_SUFFIXES = {"GB": "Ltd", "DE": "GmbH", "FR": "SAS", "CH": "AG", "NL": "B.V.", "US": "LLC", "SG": "Pte. Ltd."}
_COUNTRIES = ("GB", "DE", "FR", "CH", "NL", "US", "SG", "IE", "ES", "IT", "SE", "JP", "AE", "PT", "PL", "AT", "BE")
_TYPES = (("individual", 45), ("institution", 30), ("operator_individual", 10), ("operator_company", 15))
_STATUS_WEIGHTS = (
    ("draft", 4),
    ("submitted", 3),
    ("screening", 2),
    ("ready_for_review", 12),
    ("in_review", 8),
    ("information_requested", 5),
    ("resubmitted", 3),
    ("pending_second_approval", 3),
    ("approved", 40),
    ("rejected", 10),
    ("expired", 5),
    ("revoked", 5),
    # The old case of a renewed customer (the seeded renewal itself is not linked to it).
    ("superseded", 3),
)
_LEVELS = (("low", 50), ("medium", 35), ("high", 13), ("prohibited", 2))
_SCORE_RANGE = {"low": (0, 29), "medium": (30, 59), "high": (60, 89), "prohibited": (90, 100)}
# Path of statuses from draft to each state (a high-risk approval goes through the second approval).
_PATHS: dict[str, tuple[str, ...]] = {
    "draft": (),
    "submitted": ("submitted",),
    "screening": ("submitted", "screening"),
    "ready_for_review": ("submitted", "screening", "ready_for_review"),
    "in_review": ("submitted", "screening", "ready_for_review", "in_review"),
    "information_requested": ("submitted", "screening", "ready_for_review", "in_review", "information_requested"),
    "resubmitted": (
        "submitted",
        "screening",
        "ready_for_review",
        "in_review",
        "information_requested",
        "resubmitted",
    ),
    "pending_second_approval": ("submitted", "screening", "ready_for_review", "in_review", "pending_second_approval"),
    "approved": ("submitted", "screening", "ready_for_review", "in_review", "approved"),
    "rejected": ("submitted", "screening", "ready_for_review", "in_review", "rejected"),
}
_PATHS["expired"] = (*_PATHS["approved"], "expired")
_PATHS["revoked"] = (*_PATHS["approved"], "revoked")
_PATHS["superseded"] = (*_PATHS["approved"], "superseded")
_ASSIGNED_FROM = {"in_review", "information_requested", "resubmitted", "pending_second_approval"}
_DECIDED = {"approved", "rejected", "expired", "revoked", "superseded"}
# States a case reaches only through an approval (or on its way to one): never at the prohibited level.
_APPROVED_ONCE = {"approved", "expired", "revoked", "superseded", "pending_second_approval"}
_ENDING_NOTES = {"revoked": "Seeded demo revocation.", "superseded": "Seeded demo renewal."}
_REVIEWER_STEPS = {
    "in_review",
    "information_requested",
    "pending_second_approval",
    "approved",
    "rejected",
    "revoked",
    "superseded",
}


@dataclass(frozen=True)
class SeededCases:
    cases: int
    run: str
    by_status: dict[str, int]
    seconds: float


@contextmanager
def _explicit_timestamps(*models: type[Model]) -> Iterator[None]:
    """Seeded rows carry their own (past) creation times: switch `auto_now(_add)` off while inserting, or
    every case would look created today."""
    saved: list[tuple[Any, bool, bool]] = []
    for model in models:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                saved.append((field, field.auto_now, field.auto_now_add))  # type: ignore[attr-defined]
                field.auto_now = field.auto_now_add = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


def _validity(level: str) -> dt.timedelta:
    months = int(settings.KYC_VALIDITY_MONTHS.get(level, 12))
    return dt.timedelta(days=round(months * 30.44))


def seed_demo_cases(n: int, *, chunk_size: int = 2000, seed: int | None = None) -> SeededCases:
    """Insert `n` realistic cases with `bulk_create` in chunks: applicants and organisations, the company or
    the subject person, one proven wallet, the status history, approvals and decisions, assignees among the
    demo reviewers. Every run adds `n` more (its own applicants, a run token in their e-mail addresses).

    All of it is one transaction and ONE audit entry (`kyc.demo_cases_seeded`, with the counts): the chain
    stays verifiable and a failed run leaves nothing behind. No signals fire (bulk inserts), so no e-mail or
    webhook goes out for seeded history.
    """
    from eth_utils import to_checksum_address

    from accounts.models import Membership, Organisation, RoleAssignment
    from core.audit import audit_record
    from kyc.models import CaseApproval, CompanyProfile, Decision, Person, StatusTransition, WalletAddress

    if n < 1:
        raise ValueError("The number of cases must be at least 1.")
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    run = f"{now:%Y%m%d%H%M%S}-{rng.randrange(16**4):04x}"
    reviewer_ids = list(
        RoleAssignment.objects.filter(role__in=["reviewer", "approver"])
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )
    approver_ids = list(
        RoleAssignment.objects.filter(role="approver").order_by("user_id").values_list("user_id", flat=True)
    )
    unusable = make_password(None)
    by_status: dict[str, int] = {}
    reason_codes = list(settings.KYC_REJECTION_REASON_CODES)

    with (
        transaction.atomic(),
        _explicit_timestamps(User, Organisation, Membership, Application, CompanyProfile, Person, WalletAddress),
    ):
        for offset in range(0, n, chunk_size):
            size = min(chunk_size, n - offset)
            plans: list[dict[str, Any]] = []
            users: list[User] = []
            orgs: list[Organisation] = []
            for i in range(offset, offset + size):
                first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
                subject_type = _weighted(rng, _TYPES)
                status = _weighted(rng, _STATUS_WEIGHTS)
                country = rng.choice(_COUNTRIES)
                level = _weighted(rng, _LEVELS) if status not in ("draft", "submitted", "screening") else ""
                if status in _APPROVED_ONCE and level == "prohibited":
                    level = "high"  # a prohibited case is never approved
                if status == "expired":
                    level = "high"  # the shortest validity: expired within the seeded history
                if status == "expired":
                    created = now - dt.timedelta(days=rng.uniform(390, 520))
                elif status in _DECIDED:
                    created = now - dt.timedelta(days=rng.uniform(3, 182))
                else:
                    # Open work is recent: a queue that is all overdue is not realistic.
                    created = now - dt.timedelta(days=rng.uniform(0.2, 21))
                joined = created - dt.timedelta(hours=rng.uniform(0.1, 48))
                email = f"{first}.{last}.{run}.{i}@demo-cases.example".lower().replace(" ", "-")
                users.append(User(email=email, full_name=f"{first} {last}", password=unusable, date_joined=joined))
                company = subject_type in COMPANY_SUBJECT_TYPES
                company_name = ""
                if company:
                    words = rng.sample(_COMPANY_WORDS, 2) if rng.random() < 0.3 else [rng.choice(_COMPANY_WORDS)]
                    suffix = _COMPANY_SUFFIXES.get(country, "Ltd")
                    company_name = f"{' '.join(words)} {rng.choice(_COMPANY_KINDS)} {suffix}"
                    orgs.append(
                        Organisation(
                            name=company_name,
                            kind="institution" if subject_type == "institution" else "operator_company",
                            country=country,
                            created_at=joined,
                            updated_at=joined,
                        )
                    )
                plans.append(
                    {
                        "i": i,
                        "first": first,
                        "last": last,
                        "type": subject_type,
                        "status": status,
                        "country": country,
                        "level": level,
                        "created": created,
                        "company": company_name,
                        "org_index": len(orgs) - 1 if company else None,
                    }
                )
                by_status[status] = by_status.get(status, 0) + 1
            User.objects.bulk_create(users, batch_size=chunk_size)
            Organisation.objects.bulk_create(orgs, batch_size=chunk_size)
            memberships = []
            apps: list[Application] = []
            for plan, user in zip(plans, users, strict=True):
                org = orgs[plan["org_index"]] if plan["org_index"] is not None else None
                if org is not None:
                    memberships.append(
                        Membership(
                            user=user,
                            organisation=org,
                            role="owner",
                            created_at=user.date_joined,
                            updated_at=user.date_joined,
                        )
                    )
                plan["history"] = _history(rng, plan, now)
                last_at = plan["history"][-1][1] if plan["history"] else plan["created"]
                status = plan["status"]
                assignee_id = (
                    rng.choice(reviewer_ids)
                    if reviewer_ids and (status in _ASSIGNED_FROM or status in _DECIDED)
                    else None
                )
                plan["assignee_id"] = assignee_id
                submitted_at = plan["history"][0][1] if plan["history"] else None
                level = plan["level"]
                low, high = _SCORE_RANGE.get(level, (0, 0))
                approved_at = next((at for s, at in plan["history"] if s == "approved"), None)
                plan["approved_at"] = approved_at
                valid_until = None
                if approved_at is not None:
                    valid_until = approved_at + _validity(level)
                    if status == "expired":
                        # Expiry happened when the approval ran out.
                        plan["history"][-1] = ("expired", valid_until)
                        last_at = valid_until
                plan["valid_until"] = valid_until
                apps.append(
                    Application(
                        subject_type=plan["type"],
                        operator_category=(
                            rng.choice(["professional", "solo_home", "ssv_operator", "obol_cluster"])
                            if plan["type"] in OPERATOR_SUBJECT_TYPES
                            else ""
                        ),
                        organisation=org,
                        applicant=user,
                        status=status,
                        status_changed_at=last_at,
                        submitted_at=submitted_at,
                        sla_started_at=submitted_at,
                        assignee_id=assignee_id,
                        risk_level=level,
                        risk_score=rng.randint(low, high) if level else None,
                        valid_until=valid_until,
                        completed_steps=["details", "profile", "documents", "wallets"] if submitted_at else ["details"],
                        expected_volume_eth=Decimal(rng.choice([32, 64, 320, 1000, 3200, 12000, 50000])),
                        source_of_funds=rng.choice(
                            ["Employment income", "Business revenue", "Client assets", "Investment returns"]
                        ),
                        created_at=plan["created"],
                        updated_at=last_at,
                    )
                )
            Membership.objects.bulk_create(memberships, batch_size=chunk_size)
            for app in apps:
                app.due_at = app.compute_due_at()  # bulk_create bypasses save(), which keeps it otherwise
            Application.objects.bulk_create(apps, batch_size=chunk_size)
            companies, people, wallets, transitions, approvals, decisions = [], [], [], [], [], []
            for plan, app in zip(plans, apps, strict=True):
                created, country = plan["created"], plan["country"]
                if plan["company"]:
                    companies.append(
                        CompanyProfile(
                            application=app,
                            legal_name=plan["company"],
                            registration_number=f"{rng.randrange(10**7, 10**8)}",
                            lei=(
                                "".join(rng.choices("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", k=18))
                                + f"{rng.randrange(100):02d}"
                                if rng.random() < 0.6
                                else ""
                            ),
                            jurisdiction=country,
                            entity_type=rng.choice(["limited_company", "public_company", "fund", "partnership"]),
                            is_regulated=rng.random() < 0.4,
                            created_at=created,
                            updated_at=created,
                        )
                    )
                people.append(
                    Person(
                        application=app,
                        role="subject" if not plan["company"] else "director",
                        legal_name=f"{plan['first']} {plan['last']}",
                        nationalities=[country],
                        country_of_residence=country,
                        pep_status="pep" if rng.random() < 0.02 else "not_pep",
                        created_at=created,
                        updated_at=created,
                    )
                )
                wallets.append(
                    WalletAddress(
                        application=app,
                        address=to_checksum_address(rng.randbytes(20)),
                        label="Staking wallet",
                        purpose="fee_recipient" if plan["type"] in OPERATOR_SUBJECT_TYPES else "staking_deposits",
                        verified_at=created,
                        proof_method="browser_wallet",
                        created_at=created,
                        updated_at=created,
                    )
                )
                previous = "draft"
                for to_status, at in plan["history"]:
                    by_id = app.applicant_id if to_status in ("submitted", "resubmitted") else None
                    if to_status in _REVIEWER_STEPS:
                        by_id = plan["assignee_id"]
                    transitions.append(
                        StatusTransition(application=app, from_status=previous, to_status=to_status, by_id=by_id, at=at)
                    )
                    previous = to_status
                level, assignee_id = plan["level"], plan["assignee_id"]
                if plan["approved_at"] is not None and assignee_id is not None:
                    approvals.append(
                        CaseApproval(
                            application=app,
                            by_id=assignee_id,
                            reason="Identity, ownership and wallet checks complete.",
                            risk_level=level,
                            at=plan["approved_at"] - dt.timedelta(minutes=30),
                        )
                    )
                    second = [a for a in approver_ids if a != assignee_id]
                    if level == "high" and second:
                        approvals.append(
                            CaseApproval(
                                application=app,
                                by_id=rng.choice(second),
                                reason="Second approval: risk accepted.",
                                risk_level=level,
                                at=plan["approved_at"],
                            )
                        )
                if plan["approved_at"] is not None:
                    decisions.append(
                        Decision(
                            application=app,
                            outcome="approved",
                            risk_level=level,
                            valid_until=plan["valid_until"],
                            by_id=assignee_id,
                            at=plan["approved_at"],
                        )
                    )
                status = plan["status"]
                last_at = plan["history"][-1][1] if plan["history"] else plan["created"]
                if status == "rejected":
                    decisions.append(
                        Decision(
                            application=app,
                            outcome="rejected",
                            risk_level=level,
                            reason_code=rng.choice(reason_codes),
                            internal_note="Seeded demo decision.",
                            applicant_message="We cannot accept your application.",
                            by_id=assignee_id,
                            at=last_at,
                        )
                    )
                elif status in ("expired", "revoked", "superseded"):
                    decisions.append(
                        Decision(
                            application=app,
                            outcome=status,
                            risk_level=level,
                            reason_code=rng.choice(reason_codes) if status == "revoked" else "",
                            internal_note=_ENDING_NOTES.get(status, ""),
                            by_id=None if status == "expired" else assignee_id,
                            at=last_at,
                        )
                    )
            CompanyProfile.objects.bulk_create(companies, batch_size=chunk_size)
            Person.objects.bulk_create(people, batch_size=chunk_size)
            WalletAddress.objects.bulk_create(wallets, batch_size=chunk_size)
            StatusTransition.objects.bulk_create(transitions, batch_size=chunk_size * 4)
            CaseApproval.objects.bulk_create(approvals, batch_size=chunk_size)
            Decision.objects.bulk_create(decisions, batch_size=chunk_size)
        audit_record(
            actor=None,
            action="kyc.demo_cases_seeded",
            data={"cases": n, "run": run, "by_status": dict(sorted(by_status.items()))},
        )
    return SeededCases(cases=n, run=run, by_status=by_status, seconds=time.monotonic() - started)


def _history(rng: random.Random, plan: dict[str, Any], now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """(status, when) for each step from draft to the planned state, spaced as reviews really are: hours to
    a few days apart, never in the future."""
    at = plan["created"] + dt.timedelta(hours=rng.uniform(0.5, 72))
    steps: list[tuple[str, dt.datetime]] = []
    for status in _PATHS[plan["status"]]:
        if status in ("screening", "ready_for_review"):
            gap = dt.timedelta(minutes=rng.uniform(1, 30))
        elif status in ("revoked", "superseded"):
            gap = dt.timedelta(days=rng.uniform(1, 60))
        else:
            gap = dt.timedelta(hours=rng.uniform(1, 96))
        at = at + gap if steps else at
        steps.append((status, min(at, now - dt.timedelta(minutes=1))))
    return steps
