"""Reads for applications, each scoped to who is asking. Another applicant's object is simply not found
(views turn that into a 404, never a 403 that would confirm it exists)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import Membership
from accounts.permissions import user_has_capability
from accounts.roles import Capability
from core.models import AuditEvent
from kyc.models import Application, Document, Person, WalletAddress

REQUIRED_DOCUMENTS_INDIVIDUAL: tuple[str, ...] = (Document.Kind.ID_FRONT, Document.Kind.PROOF_OF_ADDRESS)
REQUIRED_DOCUMENTS_COMPANY: tuple[str, ...] = (
    Document.Kind.CERTIFICATE_OF_INCORPORATION,
    Document.Kind.REGISTER_OF_DIRECTORS,
    Document.Kind.SHAREHOLDER_REGISTER,
    Document.Kind.ARTICLES,
)


def _as_uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404("No such application.") from exc


def application_list_for_user(*, user: Any) -> QuerySet[Application]:
    """The applications a user works on: their organisations' and their own individual ones."""
    org_ids = Membership.objects.filter(user=user).values("organisation_id")
    return (
        Application.objects.filter(Q(organisation_id__in=org_ids) | Q(organisation__isnull=True, applicant=user))
        .select_related("organisation", "company")
        .annotate(
            wallet_count=Count("wallets", distinct=True),
            document_count=Count("documents", distinct=True),
        )
        .order_by("-created_at")
    )


def application_get_for_user(*, user: Any, public_id: Any, for_update: bool = False) -> Application:
    """One application the user (an applicant) works on, or Http404."""
    org_ids = Membership.objects.filter(user=user).values("organisation_id")
    qs = Application.objects.filter(Q(organisation_id__in=org_ids) | Q(organisation__isnull=True, applicant=user))
    application = qs.select_related("organisation", "applicant").filter(public_id=_as_uuid(public_id)).first()
    if application is None:
        raise Http404("No such application.")
    return application


def application_get_for_viewer(*, user: Any, public_id: Any) -> Application:
    """Like application_get_for_user, but staff with CASE_VIEW see every application (read-only)."""
    if user_has_capability(user, Capability.CASE_VIEW):
        application = Application.objects.select_related("organisation").filter(public_id=_as_uuid(public_id)).first()
        if application is None:
            raise Http404("No such application.")
        return application
    return application_get_for_user(user=user, public_id=public_id)


def document_get_for_viewer(*, user: Any, public_id: Any) -> Document:
    document = Document.objects.select_related("application").filter(public_id=_as_uuid(public_id)).first()
    if document is None:
        raise Http404("No such document.")
    # Re-check through the application so the same rule decides for documents and applications.
    application_get_for_viewer(user=user, public_id=document.application.public_id)
    return document


def person_get(*, application: Application, public_id: Any) -> Person:
    person = application.people.filter(public_id=_as_uuid(public_id)).first()
    if person is None:
        raise Http404("No such person on this application.")
    return person


def wallet_get(*, application: Application, public_id: Any) -> WalletAddress:
    wallet = application.wallets.filter(public_id=_as_uuid(public_id)).first()
    if wallet is None:
        raise Http404("No such wallet on this application.")
    return wallet


def document_get(*, application: Application, public_id: Any) -> Document:
    document = application.documents.filter(public_id=_as_uuid(public_id)).first()
    if document is None:
        raise Http404("No such document on this application.")
    return document


def application_timeline(*, application: Application) -> list[AuditEvent]:
    """What happened, oldest first, as the applicant may see it: their own edits and the status changes. Staff
    work on the case (case.*: notes, rulings, approvals' reasons, monitoring) and the risk score stay internal.

    Each event carries `shown_actor`: the e-mail of the applicant or a colleague of their organisation,
    "ClayStack compliance" for an officer (officers are not named to applicants), "ClayStack" for the system.
    """
    events = list(
        AuditEvent.objects.filter(target_type="kyc.application", target_id=str(application.pk))
        .filter(action__startswith="application.")
        .exclude(action="application.risk_assessed")
        .select_related("actor")
        .order_by("seq")
    )
    own = {application.applicant_id}
    if application.organisation_id is not None:
        own |= set(
            Membership.objects.filter(organisation_id=application.organisation_id).values_list("user_id", flat=True)
        )
    for event in events:
        if event.actor is None:
            event.shown_actor = "ClayStack"  # type: ignore[attr-defined]
        elif event.actor_id in own:
            event.shown_actor = event.actor.email  # type: ignore[attr-defined]
        else:
            event.shown_actor = "ClayStack compliance"  # type: ignore[attr-defined]
    return events


_TIMELINE_LABELS = {
    "application.created": "Application started",
    "application.details_updated": "Application details saved",
    "application.profile_updated": "Personal details saved",
    "application.company_updated": "Company details saved",
    "application.person_added": "Person added",
    "application.person_updated": "Person updated",
    "application.person_removed": "Person removed",
    "application.document_uploaded": "Document uploaded",
    "application.document_removed": "Document removed",
    "application.wallet_added": "Wallet added",
    "application.wallet_removed": "Wallet removed",
    "application.wallet_challenge_issued": "Wallet signature requested",
    "application.wallet_verified": "Wallet ownership proven",
}


def timeline_label(event: AuditEvent) -> str:
    if event.action == "application.status_changed":
        to = (event.after or {}).get("status", "")
        label = Application.Status(to).label if to in Application.Status.values else to
        if to == Application.Status.INFORMATION_REQUESTED:
            # The officer's message is addressed to the applicant (it is also e-mailed): the timeline keeps it.
            reason = str((event.data or {}).get("reason", "")).strip()
            return f"Status: {label}: “{reason}”" if reason else f"Status: {label}"
        if to == Application.Status.RESUBMITTED:
            return f"Status: {label} (the requested changes were sent back)"
        return f"Status: {label}"
    label = _TIMELINE_LABELS.get(event.action, event.action.split(".", 1)[-1].replace("_", " ").capitalize())
    data = event.data or {}
    kind = data.get("kind", "")
    detail = (
        data.get("legal_name")
        or data.get("address")
        or (Document.Kind(kind).label if kind in Document.Kind.values else kind)
    )
    return f"{label}: {detail}" if detail else label


@dataclass(frozen=True)
class Problem:
    section: str
    field: str
    message: str


def _person_problems(person: Person, section: str, who: str) -> list[Problem]:
    problems = []
    required = {
        "legal_name": "legal name",
        "date_of_birth": "date of birth",
        "nationalities": "nationality",
        "country_of_residence": "country of residence",
        "residential_address": "residential address",
    }
    for field, label in required.items():
        if not getattr(person, field):
            problems.append(Problem(section, field, f"{who}: {label} is missing"))
    return problems


def application_submission_problems(application: Application) -> list[Problem]:
    """Everything that keeps a draft from being submitted, each naming its section and field."""
    problems: list[Problem] = []
    people = list(application.people.all())
    if application.is_operator and not application.operator_category:
        problems.append(Problem("details", "operator_category", "the operator category is missing"))
    if application.expected_volume_eth is None:
        problems.append(Problem("details", "expected_volume_eth", "the expected staking volume is missing"))
    if not application.source_of_funds.strip():
        problems.append(Problem("details", "source_of_funds", "the source of funds is missing"))
    kinds = set(application.documents.values_list("kind", flat=True))
    if application.is_company:
        company = application.company
        for field, label in (
            ("legal_name", "legal name"),
            ("registration_number", "registration number"),
            ("jurisdiction", "jurisdiction"),
            ("incorporation_date", "date of incorporation"),
            ("registered_address", "registered address"),
            ("entity_type", "entity type"),
            ("business_description", "business description"),
        ):
            if not getattr(company, field):
                problems.append(Problem("company", field, f"the company's {label} is missing"))
        if company.is_regulated and not (company.regulator and company.licence_number):
            problems.append(
                Problem("company", "regulator", "a regulated company names its regulator and licence number")
            )
        roles = {p.role for p in people}
        if Person.Role.DIRECTOR not in roles:
            problems.append(Problem("people", "directors", "add at least one director"))
        if Person.Role.SIGNATORY not in roles:
            problems.append(Problem("people", "signatories", "add at least one authorised signatory"))
        if company.no_ubo_declared:
            if Person.Role.SENIOR_MANAGER not in roles:
                problems.append(
                    Problem(
                        "people",
                        "senior_manager",
                        "you declared that no natural person owns or controls 25 % or more: add the senior "
                        "managing official",
                    )
                )
        elif Person.Role.UBO not in roles:
            problems.append(
                Problem(
                    "people",
                    "ubos",
                    "add every beneficial owner (25 % or more), or declare that no natural person owns or controls "
                    "25 % or more",
                )
            )
        for person in people:
            if person.role == Person.Role.UBO:
                problems += _person_problems(person, "people", f"beneficial owner {person.legal_name}")
            elif person.role == Person.Role.SENIOR_MANAGER:
                problems += _person_problems(person, "people", f"senior managing official {person.legal_name}")
        required_docs = REQUIRED_DOCUMENTS_COMPANY
    else:
        subject = next((p for p in people if p.role == Person.Role.SUBJECT), None)
        if subject is None:
            problems.append(Problem("profile", "legal_name", "fill in your personal details"))
        else:
            problems += _person_problems(subject, "profile", "you")
            for field, label in (
                ("occupation", "occupation"),
                ("source_of_wealth", "source of wealth"),
                ("pep_status", "politically-exposed-person declaration"),
                ("id_document_type", "identity document type"),
                ("id_document_number", "identity document number"),
                ("id_document_country", "identity document issuing country"),
                ("id_document_expiry", "identity document expiry date"),
            ):
                if not getattr(subject, field):
                    problems.append(Problem("profile", field, f"your {label} is missing"))
        required_docs = REQUIRED_DOCUMENTS_INDIVIDUAL
    for kind in required_docs:
        if kind not in kinds:
            problems.append(Problem("documents", kind, f"upload the {Document.Kind(kind).label.lower()}"))
    wallets = list(application.wallets.all())
    if not wallets:
        problems.append(Problem("wallets", "wallets", "add at least one wallet address"))
    for wallet in wallets:
        if wallet.verified_at is None:
            problems.append(Problem("wallets", "signature", f"prove ownership of {wallet.label} ({wallet.address})"))
    return problems


# Requests for information ------------------------------------------------------------------------------------

# Which section each of the applicant's audited edits changes (services record one event per real change).
_EDIT_SECTIONS = {
    "application.details_updated": "details",
    "application.profile_updated": "profile",
    "application.company_updated": "company",
    "application.person_added": "people",
    "application.person_updated": "people",
    "application.person_removed": "people",
    "application.document_uploaded": "documents",
    "application.document_removed": "documents",
    "application.wallet_added": "wallets",
    "application.wallet_removed": "wallets",
    "application.wallet_verified": "wallets",
}


@dataclass(frozen=True)
class RequestedItem:
    key: str  # a section key, or "documents:<kind>"
    section: str
    label: str
    changed: bool


@dataclass(frozen=True)
class InformationRequest:
    """The reviewer's open request: their message to the applicant, exactly what they asked to change, and
    what the applicant has changed since (so "send back" is offered only once something changed)."""

    message: str
    at: Any
    items: list[RequestedItem]

    @property
    def has_changes(self) -> bool:
        return any(item.changed for item in self.items)


def information_request_current(*, application: Application) -> InformationRequest | None:
    """The open request for information of a case that waits for the applicant, else None."""
    from kyc.editing import SECTION_LABELS

    if application.status != Application.Status.INFORMATION_REQUESTED:
        return None
    events = AuditEvent.objects.filter(target_type="kyc.application", target_id=str(application.pk))
    asked = (
        events.filter(action="application.status_changed", after__status=application.status).order_by("-seq").first()
    )
    if asked is None:
        return None
    changed_sections: set[str] = set()
    uploaded_kinds: set[str] = set()
    for action, data in events.filter(seq__gt=asked.seq, action__in=list(_EDIT_SECTIONS)).values_list("action", "data"):
        changed_sections.add(_EDIT_SECTIONS[action])
        if action == "application.document_uploaded":
            uploaded_kinds.add(str((data or {}).get("kind", "")))
    items = []
    for key in application.requested_items:
        section, _, kind = str(key).partition(":")
        label = SECTION_LABELS.get(section, section)
        if kind:
            label = f"{label}: {Document.Kind(kind).label}" if kind in Document.Kind.values else f"{label}: {kind}"
            changed = kind in uploaded_kinds
        else:
            changed = section in changed_sections
        items.append(RequestedItem(key=str(key), section=section, label=label, changed=changed))
    message = str((asked.data or {}).get("reason", ""))
    return InformationRequest(message=message, at=asked.occurred_at, items=items)


# Wallets on chain --------------------------------------------------------------------------------------------


def _explorer_tx_url(tx_hash: str) -> str:
    from django.conf import settings

    template = settings.WHITELIST_EXPLORER_TX_URL
    return template.replace("{hash}", tx_hash) if template and tx_hash else ""


def wallet_chain_states(
    *, application: Application, wallets: list[WalletAddress] | None = None
) -> dict[int, dict[str, Any]]:
    """Per proven wallet (by pk): where it stands on the whitelist the application is listed on, as the
    portal's record of the chain says (whitelist.selectors): pending, on chain (block, transaction and its
    explorer link, on-chain expiry), expired, removed (with the date) or not listed. Unproven wallets are never
    sent to the chain and are left out. One query for all of them."""
    from whitelist.selectors import address_chain_states

    list_key = "operators" if application.is_operator else "stakers"
    proven = [w for w in (wallets if wallets is not None else application.wallets.all()) if w.verified_at]
    if not proven:
        return {}
    states = address_chain_states(addresses=[w.address for w in proven], list_key=list_key)
    return {
        w.pk: {
            **states[w.address],
            "list_key": list_key,
            "explorer_url": _explorer_tx_url(states[w.address]["tx_hash"]),
        }
        for w in proven
    }


# Documents that need a second look ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentFlag:
    kind: str  # "id_expiring" or "duplicate_file"
    message: str


def application_document_flags(
    *, application: Application, documents: list[Document] | None = None
) -> list[DocumentFlag]:
    """What the reviewer (and the applicant) should notice about the case's documents: an identity document that
    expires before an approval given today would end (KYC_VALIDITY_MONTHS at the case's risk level, medium if
    unscored), and the same file (SHA-256) uploaded more than once on the case."""
    import datetime as dt

    from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]
    from django.conf import settings
    from django.utils import timezone

    flags: list[DocumentFlag] = []
    months = int(settings.KYC_VALIDITY_MONTHS.get(application.risk_level or "medium", 12))
    approval_end = timezone.localdate() + relativedelta(months=months)
    for person in application.people.exclude(id_document_expiry__isnull=True).order_by("role", "id"):
        expiry: dt.date = person.id_document_expiry  # type: ignore[assignment]
        if expiry < approval_end:
            document = person.get_id_document_type_display() or "identity document"
            flags.append(
                DocumentFlag(
                    "id_expiring",
                    f"{person.legal_name}'s {document.lower()} expires on {expiry:%-d %B %Y}, before an approval "
                    f"given today would end ({approval_end:%-d %B %Y}).",
                )
            )
    docs = documents if documents is not None else list(application.documents.select_related("person"))
    by_hash: dict[str, list[Document]] = {}
    for doc in docs:
        by_hash.setdefault(doc.sha256, []).append(doc)
    for sha, same in by_hash.items():
        if len(same) > 1:
            names = "; ".join(
                f"{d.get_kind_display()}{f' ({d.person.legal_name})' if d.person else ''}: {d.original_name}"
                for d in same
            )
            flags.append(
                DocumentFlag(
                    "duplicate_file",
                    f"The same file (SHA-256 {sha[:12]}…) was uploaded {len(same)} times: {names}.",
                )
            )
    return flags


def required_documents_checklist(*, application: Application) -> list[dict[str, Any]]:
    """The documents the application type requires, each with whether one is uploaded (the wizard's checklist)."""
    required = REQUIRED_DOCUMENTS_COMPANY if application.is_company else REQUIRED_DOCUMENTS_INDIVIDUAL
    kinds = set(application.documents.values_list("kind", flat=True))
    return [{"kind": k, "label": Document.Kind(k).label, "done": k in kinds} for k in required]
