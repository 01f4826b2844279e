"""Writes for applications. Each service is atomic, takes the acting user, writes the audit trail (always
with the application as target, so its timeline is one query) and defers side effects to commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.models import Membership, Organisation, User
from accounts.services import organisation_create
from core.audit import audit_record
from core.ethaddress import AddressError, parse_address
from core.exceptions import ApplicationError
from kyc import eip1271, siwe
from kyc.editing import ensure_editable
from kyc.models import (
    COMPANY_SUBJECT_TYPES,
    OPERATOR_SUBJECT_TYPES,
    Application,
    CompanyProfile,
    Document,
    Person,
    StatusTransition,
    SubjectType,
    WalletAddress,
    WalletChallenge,
)
from kyc.renewal import renewal_rulings_carry
from kyc.signals import application_status_changed, application_submitted
from kyc.states import can_transition
from kyc.validation import max_document_bytes, sniff_document

log = logging.getLogger(__name__)

PERSON_FIELDS = (
    "legal_name",
    "other_names",
    "former_names",
    "date_of_birth",
    "nationalities",
    "country_of_residence",
    "residential_address",
    "tax_residence",
    "occupation",
    "source_of_funds",
    "source_of_wealth",
    "pep_status",
    "pep_details",
    "id_document_type",
    "id_document_number",
    "id_document_country",
    "id_document_expiry",
    "ownership_percent",
    "ownership_indirect",
    "ownership_chain",
    "position",
)
COMPANY_FIELDS = (
    "legal_name",
    "trading_names",
    "former_names",
    "registration_number",
    "lei",
    "jurisdiction",
    "incorporation_date",
    "registered_address",
    "operating_address",
    "entity_type",
    "is_regulated",
    "regulator",
    "licence_number",
    "website",
    "business_description",
)
DETAILS_FIELDS = ("operator_category", "expected_volume_eth", "source_of_funds")
# The audit trail is append-only and outlives the retention period, so it records that a personal field changed,
# never its value (names, dates, addresses, free text that may hold account numbers). Codes and enumerations
# (countries, PEP status, document type, ownership) stay readable: they are what a reviewer's decision rests on.
_SECRET_FIELDS = frozenset(
    {
        "legal_name",
        "other_names",
        "former_names",
        "date_of_birth",
        "residential_address",
        "occupation",
        "source_of_funds",
        "source_of_wealth",
        "pep_details",
        "id_document_number",
        "id_document_expiry",
        "ownership_chain",
    }
)
_SECRET_DETAILS_FIELDS = frozenset({"source_of_funds"})
_SECRET_COMPANY_FIELDS = frozenset({"registered_address", "operating_address"})
UBO_THRESHOLD = Decimal("25")


def _field_error(field: str, message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, extra={"field": field})


def _changes(obj: Any, data: Mapping[str, Any], fields: tuple[str, ...], secret: frozenset[str]) -> dict[str, Any]:
    """Apply `data` to `obj`, returning {field: [before, after]} for the audit (secrets masked)."""
    changed: dict[str, Any] = {}
    for name in fields:
        if name not in data:
            continue
        new = data[name]
        old = getattr(obj, name)
        if old == new:
            continue
        setattr(obj, name, new)
        changed[name] = "(changed)" if name in secret else [old, new]
    return changed


COMPANY_PERSON_ROLES = (Person.Role.DIRECTOR, Person.Role.UBO, Person.Role.SIGNATORY, Person.Role.SENIOR_MANAGER)


@transaction.atomic
def company_ubo_declaration_set(*, application: Application, by: User, declared: bool) -> CompanyProfile:
    """Record (or withdraw) the declaration that no natural person owns or controls 25 % or more of the company.

    Requires a company application whose people section is editable and, to declare, no beneficial owner on it
    (the two statements contradict each other). A declared application needs its senior managing official before
    it can be submitted (kyc.selectors.application_submission_problems); that person is screened like every
    person on the case. Audited as application.ubo_declaration."""
    application = _lock(application)
    if not application.is_company:
        raise ApplicationError("Only company applications declare their beneficial owners.")
    ensure_editable(application, "people")
    company = CompanyProfile.objects.select_for_update().get(application=application)
    if declared and application.people.filter(role=Person.Role.UBO).exists():
        raise _field_error(
            "no_ubo_declared",
            "Beneficial owners are listed: remove them before declaring that no natural person owns or controls "
            "25 % or more.",
            "ubo_listed",
        )
    if company.no_ubo_declared != declared:
        company.no_ubo_declared = declared
        company.save(update_fields=["no_ubo_declared", "updated_at"])
        audit_record(
            actor=by, action="application.ubo_declaration", target=application, data={"no_ubo_declared": declared}
        )
    _mark_step(application, "people")
    return company


def _refuse_expired_id(data: Mapping[str, Any]) -> None:
    """An identity document that has expired proves nothing: refused, naming the field."""
    expiry = data.get("id_document_expiry")
    if isinstance(expiry, dt.date) and expiry < timezone.localdate():
        raise _field_error(
            "id_document_expiry",
            f"The identity document expired on {expiry:%-d %B %Y}: give a document that is still valid, with its "
            "expiry date.",
            "id_expired",
        )


def _lock(application: Application) -> Application:
    return Application.objects.select_for_update().get(pk=application.pk)


# Applications ---------------------------------------------------------------------------------------------


@transaction.atomic
def application_create(
    *,
    by: User,
    subject_type: str,
    organisation: Organisation | None = None,
    operator_category: str = "",
    new_organisation: Mapping[str, str] | None = None,
) -> Application:
    """Open a draft. Company applications need an organisation of the matching kind that `by` belongs to, or
    `new_organisation` (name, country, lei) to register one with `by` as owner in the same transaction (a
    refusal names the field as organisation_<field>, and nothing is saved); individual applications are
    personal. Operator applications need a category."""
    if subject_type not in SubjectType.values:
        raise _field_error(
            "subject_type", f"Choose an application type: {', '.join(SubjectType.values)}.", "subject_type"
        )
    if subject_type in OPERATOR_SUBJECT_TYPES:
        from kyc.models import OperatorCategory

        if operator_category not in OperatorCategory.values:
            raise _field_error(
                "operator_category",
                f"A node-operator application needs a category: {', '.join(OperatorCategory.values)}.",
                "operator_category",
            )
    elif operator_category:
        raise _field_error(
            "operator_category", "Only node-operator applications have an operator category.", "operator_category"
        )
    if subject_type in COMPANY_SUBJECT_TYPES and organisation is None and new_organisation:
        kind = (
            Organisation.Kind.INSTITUTION
            if subject_type == SubjectType.INSTITUTION
            else Organisation.Kind.OPERATOR_COMPANY
        )
        try:
            organisation = organisation_create(
                owner=by,
                kind=kind,
                name=new_organisation.get("name", ""),
                country=new_organisation.get("country", ""),
                lei=new_organisation.get("lei", ""),
            )
        except ApplicationError as exc:
            field = exc.extra.get("field")
            raise ApplicationError(
                exc.message, code=exc.code, extra={"field": f"organisation_{field}" if field else "organisation"}
            ) from None
    if subject_type in COMPANY_SUBJECT_TYPES:
        if organisation is None:
            raise _field_error(
                "organisation", "A company application is made on behalf of one of your organisations.", "organisation"
            )
        if not Membership.objects.filter(organisation=organisation, user=by).exists():
            raise _field_error("organisation", "You are not a member of that organisation.", "organisation")
        expected_kind = (
            Organisation.Kind.INSTITUTION
            if subject_type == SubjectType.INSTITUTION
            else Organisation.Kind.OPERATOR_COMPANY
        )
        if organisation.kind != expected_kind:
            raise _field_error(
                "subject_type",
                f"{organisation.name} is registered as {organisation.get_kind_display().lower()}: "
                f"choose the {expected_kind.label.lower()} application type.",
                "subject_type",
            )
    else:
        organisation = None
    application = Application.objects.create(
        subject_type=subject_type,
        operator_category=operator_category,
        organisation=organisation,
        applicant=by,
        status_changed_at=timezone.now(),
    )
    if organisation is not None:
        CompanyProfile.objects.create(
            application=application,
            legal_name=organisation.name,
            jurisdiction=organisation.country,
            lei=organisation.lei,
        )
    audit_record(
        actor=by,
        action="application.created",
        target=application,
        after={
            "subject_type": subject_type,
            "operator_category": operator_category,
            "reference": application.reference,
        },
    )
    return application


def _mark_step(application: Application, step: str) -> None:
    if step not in application.completed_steps:
        application.completed_steps = [*application.completed_steps, step]
        application.save(update_fields=["completed_steps", "updated_at"])


@transaction.atomic
def application_details_update(*, application: Application, by: User, data: Mapping[str, Any]) -> Application:
    """Expected volume, source of funds and (operators) category."""
    application = _lock(application)
    ensure_editable(application, "details")
    if "operator_category" in data and not application.is_operator and data["operator_category"]:
        raise _field_error(
            "operator_category", "Only node-operator applications have an operator category.", "operator_category"
        )
    if application.is_operator and "operator_category" in data and not data["operator_category"]:
        raise _field_error("operator_category", "A node-operator application needs a category.", "operator_category")
    changed = _changes(application, data, DETAILS_FIELDS, _SECRET_DETAILS_FIELDS)
    if changed:
        application.save()
        audit_record(actor=by, action="application.details_updated", target=application, data={"changes": changed})
    _mark_step(application, "details")
    return application


@transaction.atomic
def application_profile_update(*, application: Application, by: User, data: Mapping[str, Any]) -> Person:
    """The individual applicant's own KYC fields (individual and operator-individual applications)."""
    application = _lock(application)
    if application.is_company:
        raise ApplicationError("A company application has no personal profile; edit the company details.")
    ensure_editable(application, "profile")
    _refuse_expired_id(data)
    person = application.people.filter(role=Person.Role.SUBJECT).first()
    created = person is None
    if person is None:
        person = Person(application=application, role=Person.Role.SUBJECT, legal_name="")
    changed = _changes(person, data, PERSON_FIELDS, _SECRET_FIELDS)
    if changed or created:
        person.save()
        audit_record(
            actor=by,
            action="application.profile_updated",
            target=application,
            data={"person": str(person.public_id), "changes": changed},
        )
    _mark_step(application, "profile")
    return person


@transaction.atomic
def company_profile_update(*, application: Application, by: User, data: Mapping[str, Any]) -> CompanyProfile:
    application = _lock(application)
    if not application.is_company:
        raise ApplicationError("Only institution and operator-company applications have company details.")
    ensure_editable(application, "company")
    company = CompanyProfile.objects.select_for_update().get(application=application)
    changed = _changes(company, data, COMPANY_FIELDS, _SECRET_COMPANY_FIELDS)
    if changed:
        company.save()
        audit_record(actor=by, action="application.company_updated", target=application, data={"changes": changed})
    _mark_step(application, "company")
    return company


# People on a company application --------------------------------------------------------------------------


def _pct(value: Decimal) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _check_ubo_total(application: Application, person: Person) -> None:
    if person.role != Person.Role.UBO:
        return
    share = person.ownership_percent
    if share is None:
        raise _field_error(
            "ownership_percent",
            "A beneficial owner needs an ownership percentage (25 to 100).",
            "ownership_required",
        )
    if share < UBO_THRESHOLD or share > 100:
        raise _field_error(
            "ownership_percent",
            f"Beneficial owners hold 25 % or more (direct or indirect); {_pct(share)} % is outside 25 to 100.",
            "ownership_range",
        )
    others = application.people.filter(role=Person.Role.UBO).exclude(pk=person.pk).aggregate(
        total=Sum("ownership_percent")
    )["total"] or Decimal(0)
    if others + share > 100:
        raise _field_error(
            "ownership_percent",
            f"Beneficial owners would hold {_pct(others + share)} % in total, more than 100 %: the others already "
            f"hold {_pct(others)} %, so at most {_pct(100 - others)} % is possible.",
            "ownership_total",
        )


@transaction.atomic
def person_add(*, application: Application, by: User, role: str, data: Mapping[str, Any]) -> Person:
    """Add a director, UBO or authorised signatory. UBO shares must be 25-100 % and total at most 100 %."""
    application = _lock(application)
    if not application.is_company:
        raise ApplicationError("Directors, owners and signatories belong to company applications.")
    if role not in COMPANY_PERSON_ROLES:
        raise _field_error("role", "Choose director, ubo, signatory or senior_manager.", "role")
    ensure_editable(application, "people")
    _refuse_expired_id(data)
    if (
        role == Person.Role.UBO
        and CompanyProfile.objects.filter(application=application, no_ubo_declared=True).exists()
    ):
        raise _field_error(
            "role",
            "You declared that no natural person owns or controls 25 % or more: withdraw the declaration first.",
            "ubo_declared_none",
        )
    person = Person(application=application, role=role)
    _changes(person, data, PERSON_FIELDS, _SECRET_FIELDS)
    if not person.legal_name.strip():
        raise _field_error("legal_name", "Enter the person's full legal name.", "required")
    _check_ubo_total(application, person)
    person.save()
    audit_record(
        actor=by,
        action="application.person_added",
        target=application,
        data={"person": str(person.public_id), "role": role},
    )
    _mark_step(application, "people")
    return person


@transaction.atomic
def person_update(*, person: Person, by: User, data: Mapping[str, Any]) -> Person:
    application = _lock(person.application)
    ensure_editable(application, "profile" if person.role == Person.Role.SUBJECT else "people")
    person = Person.objects.select_for_update().get(pk=person.pk)
    if data.get("id_document_expiry") != person.id_document_expiry:
        _refuse_expired_id(data)
    changed = _changes(person, data, PERSON_FIELDS, _SECRET_FIELDS)
    if not person.legal_name.strip():
        raise _field_error("legal_name", "Enter the person's full legal name.", "required")
    _check_ubo_total(application, person)
    if changed:
        person.save()
        audit_record(
            actor=by,
            action="application.person_updated",
            target=application,
            data={"person": str(person.public_id), "role": person.role, "changes": changed},
        )
    return person


@transaction.atomic
def person_remove(*, person: Person, by: User) -> None:
    application = _lock(person.application)
    ensure_editable(application, "people")
    if person.role == Person.Role.SUBJECT:
        raise ApplicationError("The applicant cannot be removed from their own application.")
    files = [d.file.name for d in person.documents.all() if d.file.name]
    audit_record(
        actor=by,
        action="application.person_removed",
        target=application,
        data={"person": str(person.public_id), "role": person.role},
    )
    person.delete()
    _delete_files_on_commit(files)


# Documents -------------------------------------------------------------------------------------------------


def _delete_files_on_commit(names: list[str]) -> None:
    storage = Document._meta.get_field("file").storage

    def delete() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete, robust=True)


def _read_edges(upload: UploadedFile) -> tuple[bytes, bytes, str, int]:
    """First 8 KB, last 1 KB, SHA-256 and size, streaming the upload once."""
    digest = hashlib.sha256()
    head = b""
    tail = b""
    size = 0
    upload.seek(0)
    for chunk in upload.chunks():
        if len(head) < 8192:
            head += chunk[: 8192 - len(head)]
        tail = (tail + chunk)[-1024:]
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return head, tail, digest.hexdigest(), size


def document_validate(*, upload: UploadedFile) -> tuple[str, str, int]:
    """Size and type checks, from the bytes. Returns (content type, sha256, size); raises ValidationError
    naming what is accepted."""
    limit = max_document_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            f"“{upload.name}” is {filesizeformat(upload.size)}; files of at most {filesizeformat(limit)} are accepted.",
            code="too_large",
        )
    head, tail, sha256, size = _read_edges(upload)
    if size > limit:
        raise ValidationError(f"Files of at most {filesizeformat(limit)} are accepted.", code="too_large")
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    kind = sniff_document(head=head, tail=tail, filename=upload.name or "")
    return kind.content_type, sha256, size


@transaction.atomic
def document_upload(
    *, application: Application, by: User, kind: str, upload: UploadedFile, person: Person | None = None
) -> Document:
    """Store an upload under a random name and record it. A refused upload leaves no file: validation happens
    before anything is written, and the file is removed again if the row cannot be saved."""
    application = _lock(application)
    ensure_editable(application, "documents")
    if kind not in Document.Kind.values:
        raise _field_error("kind", f"Choose a document type: {', '.join(Document.Kind.values)}.", "kind")
    if person is not None and person.application_id != application.pk:
        raise _field_error("person", "That person is not on this application.", "person")
    try:
        content_type, sha256, size = document_validate(upload=upload)
    except ValidationError as exc:
        raise _field_error("file", exc.messages[0], exc.code or "file") from exc
    _document_quota_check(application, size)
    extension = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[content_type]
    # Random name: nothing about the applicant or the original name leaks into the storage listing.
    name = f"kyc/{application.public_id.hex[:2]}/{secrets.token_hex(16)}{extension}"
    storage = Document._meta.get_field("file").storage
    stored = storage.save(name, upload)
    try:
        document = Document.objects.create(
            application=application,
            person=person,
            kind=kind,
            file=stored,
            original_name=(upload.name or "")[:255],
            content_type=content_type,
            size=size,
            sha256=sha256,
            uploaded_by=by,
        )
        audit_record(
            actor=by,
            action="application.document_uploaded",
            target=application,
            data={"document": str(document.public_id), "kind": kind, "sha256": sha256, "size": size},
        )
    except BaseException:
        storage.delete(stored)
        raise
    return document


def _document_quota_check(application: Application, size: int) -> None:
    """Refuse an upload past the application's document count or total size (the application is locked)."""
    from django.db.models import Count, Sum

    held = application.documents.aggregate(count=Count("pk"), total=Sum("size"))
    count, total = held["count"] or 0, held["total"] or 0
    max_count = int(settings.KYC_DOCUMENTS_MAX_PER_APPLICATION)
    max_total = int(settings.KYC_DOCUMENTS_MAX_TOTAL_BYTES)
    if count >= max_count:
        raise _field_error(
            "file",
            f"This application already has {count} documents, the most it may hold ({max_count}); remove one "
            "that is no longer needed first.",
            "too_many_documents",
        )
    if total + size > max_total:
        mb = 1024 * 1024
        raise _field_error(
            "file",
            f"This file ({size / mb:.1f} MB) would bring the application's documents to {(total + size) / mb:.1f} "
            f"MB, over the {max_total / mb:.0f} MB they may hold together; send a smaller scan or remove a "
            "document first.",
            "documents_too_large",
        )


@transaction.atomic
def document_remove(*, document: Document, by: User) -> None:
    application = _lock(document.application)
    ensure_editable(application, "documents")
    audit_record(
        actor=by,
        action="application.document_removed",
        target=application,
        data={"document": str(document.public_id), "kind": document.kind, "sha256": document.sha256},
    )
    name = document.file.name
    document.delete()
    _delete_files_on_commit([name] if name else [])


# Wallets ---------------------------------------------------------------------------------------------------


def normalise_address(value: str) -> str:
    """ERC-55 form of an address (`core.ethaddress.parse_address`), as a field error on the address."""
    try:
        return parse_address(value)
    except AddressError as exc:
        raise _field_error("address", str(exc), exc.code) from exc


@transaction.atomic
def wallet_add(*, application: Application, by: User, address: str, label: str, purpose: str) -> WalletAddress:
    """Add an unproven wallet. Whether another customer holds the same address is not said here (the applicant
    must not learn it) nor marked on anyone's case: reviewers see it once both sides proved the address
    (`review_selectors.case_wallets_claimed_elsewhere`)."""
    application = _lock(application)
    ensure_editable(application, "wallets")
    checksummed = normalise_address(address)
    if purpose not in WalletAddress.Purpose.values:
        raise _field_error("purpose", f"Choose a purpose: {', '.join(WalletAddress.Purpose.values)}.", "purpose")
    if purpose == WalletAddress.Purpose.FEE_RECIPIENT and not application.is_operator:
        raise _field_error("purpose", "Only node operators declare a fee-recipient address.", "purpose")
    if not label.strip():
        raise _field_error("label", "Give the wallet a label (for example “Treasury cold wallet”).", "required")
    if application.wallets.filter(address=checksummed).exists():
        raise _field_error("address", f"{checksummed} is already on this application.", "duplicate")
    wallet = WalletAddress.objects.create(
        application=application, address=checksummed, label=label.strip(), purpose=purpose
    )
    audit_record(
        actor=by,
        action="application.wallet_added",
        target=application,
        data={"wallet": str(wallet.public_id), "address": checksummed, "purpose": purpose},
    )
    return wallet


@transaction.atomic
def wallet_remove(*, wallet: WalletAddress, by: User) -> None:
    application = _lock(wallet.application)
    ensure_editable(application, "wallets")
    audit_record(
        actor=by,
        action="application.wallet_removed",
        target=application,
        data={"wallet": str(wallet.public_id), "address": wallet.address},
    )
    wallet.delete()


@transaction.atomic
def wallet_challenge_issue(
    *, wallet: WalletAddress, by: User, domain: str, uri: str, chain_id: int | None = None
) -> WalletChallenge:
    """A fresh single-use EIP-4361 message for `wallet`. It lives KYC_WALLET_CHALLENGE_TTL_SECONDS for an
    ordinary account and KYC_CONTRACT_WALLET_CHALLENGE_TTL_SECONDS for an address with code (a Safe whose
    owners must each sign, or execute SignMessageLib, before it can answer); for such an address the pending
    message, if any, is returned instead of a new one."""
    application = _lock(wallet.application)
    ensure_editable(application, "wallets")
    accepted = list(settings.KYC_WALLET_CHAIN_IDS)
    chain = accepted[0] if chain_id is None else chain_id
    if chain not in accepted:
        raise _field_error(
            "chain_id",
            f"Chain {chain} is not accepted; switch the wallet to chain {' or '.join(map(str, accepted))}.",
            "wrong_chain",
        )
    now = timezone.now()
    kind = _wallet_kind(wallet.address)
    if kind == "contract":
        # A Safe's owners may be confirming the pending message right now (on chain or one signature after
        # another): asking again, or reopening the page, must hand back that message, not replace it.
        pending = wallet.challenges.filter(used_at__isnull=True, expires_at__gt=now, chain_id=chain).first()
        if pending is not None and siwe.parse(pending.message).domain == (settings.KYC_SIWE_DOMAIN or domain):
            return pending
    expires = now + dt.timedelta(seconds=_challenge_ttl_seconds(kind))
    nonce = secrets.token_hex(16)
    message = siwe.build(
        domain=settings.KYC_SIWE_DOMAIN or domain,
        address=wallet.address,
        uri=uri,
        chain_id=chain,
        nonce=nonce,
        issued_at=now,
        expires_at=expires,
    ).render()
    challenge = WalletChallenge.objects.create(
        wallet=wallet, nonce=nonce, message=message, chain_id=chain, issued_at=now, expires_at=expires, issued_to=by
    )
    audit_record(
        actor=by,
        action="application.wallet_challenge_issued",
        target=application,
        data={"wallet": str(wallet.public_id), "nonce": nonce, "chain_id": chain, "wallet_kind": kind},
    )
    return challenge


def _challenge_ttl_seconds(kind: str) -> int:
    if kind == "contract":
        return int(settings.KYC_CONTRACT_WALLET_CHALLENGE_TTL_SECONDS)
    return int(settings.KYC_WALLET_CHALLENGE_TTL_SECONDS)


def _wallet_kind(address: str) -> str:
    """ "contract" when the address has code on the configured chain, else "account". Without an RPC a
    contract wallet cannot be verified anyway; an unreachable RPC gives the ordinary lifetime (logged)."""
    rpc_url = settings.KYC_ETH_RPC_URL
    if not rpc_url:
        return "account"
    try:
        has_code = eip1271.has_code(rpc_url=rpc_url, address=address, timeout=settings.KYC_ETH_RPC_TIMEOUT_SECONDS)
    except eip1271.ChainUnavailable as exc:
        log.warning("wallet kind of %s unknown (%s): the ordinary challenge lifetime applies", address, exc)
        return "account"
    return "contract" if has_code else "account"


def _lifetime_words(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} minutes"
    hours = round(minutes / 60)
    return f"{hours} hours" if hours < 48 else f"{round(hours / 24)} days"


def _refuse(reason: str, code: str) -> ApplicationError:
    return ApplicationError(f"The wallet signature was refused: {reason}.", code=code, extra={"field": "signature"})


def _compare(signed: siwe.SiweMessage, issued: siwe.SiweMessage) -> None:
    if signed.chain_id != issued.chain_id:
        raise _refuse(
            f"it was signed for chain {signed.chain_id}, but the challenge is for chain {issued.chain_id}",
            "wrong_chain",
        )
    if signed.domain != issued.domain:
        raise _refuse(f"it was signed for the site {signed.domain}, not {issued.domain}", "wrong_domain")
    if signed.address.lower() != issued.address.lower():
        raise _refuse(f"the message names {signed.address}, not {issued.address}", "wrong_address")
    if signed != issued:
        raise _refuse("the signed text differs from the message the portal issued; sign it unchanged", "altered")


@transaction.atomic
def wallet_proof_verify(
    *, wallet: WalletAddress, by: User, message: str, signature: str, pasted: bool = False
) -> WalletAddress:
    """Check a signature over an issued challenge and mark the wallet proven.

    Refuses, each with its reason: text that is not our EIP-4361 message, an unknown nonce, a used nonce
    (replay), an expired challenge, a different chain/domain/address, a malformed or forged signature.
    An address with contract code is checked through EIP-1271 when KYC_ETH_RPC_URL is set.
    """
    application = _lock(wallet.application)
    ensure_editable(application, "wallets")
    try:
        signed = siwe.parse(message)
    except siwe.SiweParseError as exc:
        raise _refuse(f"the message is not the portal's sign-in message ({exc})", "not_siwe") from exc
    challenge = WalletChallenge.objects.select_for_update().filter(wallet=wallet, nonce=signed.nonce).first()
    if challenge is None:
        raise _refuse("its nonce was not issued for this wallet; request a new message", "unknown_nonce")
    if challenge.used_at is not None:
        raise _refuse("this message was already used once (nonces are single-use); request a new one", "replayed")
    now = timezone.now()
    if challenge.expires_at <= now:
        raise _refuse(
            f"the message expired at {siwe.rfc3339(challenge.expires_at)}; request a new one and sign it within "
            f"{_lifetime_words((challenge.expires_at - challenge.issued_at).total_seconds())}",
            "expired",
        )
    _compare(signed, siwe.parse(challenge.message))
    try:
        raw = siwe.signature_bytes(signature)
    except siwe.SignatureFormatError as exc:
        raise _refuse(str(exc), "malformed_signature") from exc
    method = WalletAddress.ProofMethod.PASTED_SIGNATURE if pasted else WalletAddress.ProofMethod.BROWSER_WALLET
    # An empty signature (0x) is a Safe saying its owners signed the message on chain: only EIP-1271 can tell.
    signer = siwe.recover_signer(challenge.message, raw) if raw else None
    if signer is None or signer.lower() != wallet.address.lower():
        if _contract_wallet_accepts(wallet.address, challenge.message, raw):
            method = WalletAddress.ProofMethod.CONTRACT_WALLET
        elif not raw:
            raise _refuse(
                "the signature is empty; 0x is accepted only from a contract wallet (a Safe) that has confirmed "
                "this very message on chain, and this one has not (yet)"
                + ("" if settings.KYC_ETH_RPC_URL else " (contract wallets cannot be checked: no RPC configured)"),
                "malformed_signature",
            )
        elif signer is None:
            raise _refuse(
                "it is not a valid 65-byte signature by an ordinary account"
                + ("" if settings.KYC_ETH_RPC_URL else " (contract wallets cannot be checked: no RPC configured)"),
                "malformed_signature" if len(raw) != 65 else "forged",
            )
        else:
            raise _refuse(f"it was made by {signer}, not by {wallet.address}", "forged")
    challenge.used_at = now
    challenge.save(update_fields=["used_at", "updated_at"])
    wallet.verified_at = now
    wallet.proof_method = method
    wallet.proof_message = challenge.message
    wallet.proof_signature = "0x" + raw.hex()
    wallet.proof_chain_id = challenge.chain_id
    wallet.save(
        update_fields=[
            "verified_at",
            "proof_method",
            "proof_message",
            "proof_signature",
            "proof_chain_id",
            "updated_at",
        ]
    )
    audit_record(
        actor=by,
        action="application.wallet_verified",
        target=application,
        data={"wallet": str(wallet.public_id), "address": wallet.address, "method": method, "nonce": challenge.nonce},
    )
    return wallet


def _contract_wallet_accepts(address: str, message: str, signature: bytes) -> bool:
    rpc_url = settings.KYC_ETH_RPC_URL
    if not rpc_url:
        return False
    timeout = settings.KYC_ETH_RPC_TIMEOUT_SECONDS
    try:
        if not eip1271.has_code(rpc_url=rpc_url, address=address, timeout=timeout):
            return False
        return eip1271.is_valid_signature(
            rpc_url=rpc_url, contract=address, digest=siwe.eip191_hash(message), signature=signature, timeout=timeout
        )
    except eip1271.ChainUnavailable as exc:
        raise _refuse(
            f"the contract wallet could not be checked on chain ({exc}); try again later", "chain_unavailable"
        ) from exc


# Submission and transitions -----------------------------------------------------------------------------------


@transaction.atomic
def application_transition(
    *, application: Application, to: str, by: User | None, reason: str = "", data: dict[str, Any] | None = None
) -> Application:
    """The one writer of `Application.status`: checks `kyc.states.TRANSITIONS` under a row lock, records the
    history row and the audit entry."""
    application = _lock(application)
    before = application.status
    if not can_transition(before, to):
        raise ApplicationError(
            f"Application {application.reference} cannot go from {application.get_status_display().lower()} to "
            f"{Application.Status(to).label.lower()}.",
            code="illegal_transition",
        )
    now = timezone.now()
    previous_change = application.status_changed_at or now
    application.status = to
    application.status_changed_at = now
    fields = ["status", "status_changed_at", "updated_at"]
    if to == Application.Status.SUBMITTED:
        application.submitted_at = now
        application.sla_started_at = now
        fields += ["submitted_at", "sla_started_at"]
    if before == Application.Status.INFORMATION_REQUESTED and application.sla_started_at is not None:
        # The service-level clock paused while the applicant had the case: move its start by that time.
        application.sla_started_at += now - previous_change
        fields.append("sla_started_at")
    application.save(update_fields=fields)
    StatusTransition.objects.create(
        application=application, from_status=before, to_status=to, by=by, reason=reason, at=now
    )
    audit_record(
        actor=by,
        action="application.status_changed",
        target=application,
        before={"status": before},
        after={"status": to},
        data={"reason": reason, **(data or {})},
    )
    application_status_changed.send(sender=Application, application=application, before=before, after=to, by=by)
    if to == Application.Status.READY_FOR_REVIEW and before != Application.Status.IN_REVIEW:
        from kyc.review import case_auto_assign  # the review app's hook: optional round-robin assignment

        case_auto_assign(application=application)
    return application


@transaction.atomic
def application_submit(*, application: Application, by: User) -> Application:
    """Submit a complete draft. Refuses with every missing item listed; afterwards the application is
    read-only to the applicant and `application_submitted` is sent on commit (screening starts there)."""
    from kyc.selectors import application_submission_problems

    application = _lock(application)
    if application.status != Application.Status.DRAFT:
        raise ApplicationError(
            f"Application {application.reference} is {application.get_status_display().lower()}; only a draft can be "
            "submitted.",
            code="illegal_transition",
        )
    problems = application_submission_problems(application)
    if problems:
        raise ApplicationError(
            "The application is not complete: " + "; ".join(f"{p.section}: {p.message}" for p in problems) + ".",
            code="incomplete",
            extra={"problems": [{"section": p.section, "field": p.field, "message": p.message} for p in problems]},
        )
    if application.renews_id:
        renewal_rulings_carry(renewal=application, by=by)  # before screening starts (on commit)
    application = application_transition(application=application, to=Application.Status.SUBMITTED, by=by)
    pk = application.pk
    transaction.on_commit(lambda: application_submitted.send(sender=Application, application_id=pk), robust=True)
    return application


def idempotency_records_purge(*, older_than: dt.timedelta | None = None) -> int:
    """Forget stored API answers older than KYC_IDEMPOTENCY_TTL_HOURS: a client retries within minutes, and
    the audit trail, not this table, is the record of what happened."""
    from kyc.models import IdempotencyRecord

    age = older_than or dt.timedelta(hours=settings.KYC_IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - age).delete()
    return deleted
