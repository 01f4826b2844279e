"""Renewal: an approved customer re-verifies before the approval ends, without a gap on chain.

`application_renew` opens a draft pre-filled from the approved case (company, people, proven wallets, documents
that are still valid) and pointing at it (`Application.renews`). The applicant checks and submits it like any
application. At submission the false-positive rulings on the old case carry over to each subject whose screened
facts did not change (`renewal_rulings_carry`), so officers do not adjudicate the same non-match twice. The
renewal's approval supersedes the old case in the same transaction (`kyc.review.case_approve`): its wallets are
proven by the renewal before the old case stops proving them, so the whitelist never drops them.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Membership, User
from core.audit import audit_record
from core.exceptions import ApplicationError
from kyc.models import Application, CompanyProfile, Document, Person, WalletAddress
from screening.services import false_positives_carry

S = Application.Status
# Statuses of a renewal still in progress: a second renewal of the same case is the same one.
OPEN = frozenset({S.DRAFT, S.SUBMITTED, S.SCREENING, S.READY_FOR_REVIEW, S.IN_REVIEW, S.INFORMATION_REQUESTED,
                  S.RESUBMITTED, S.PENDING_SECOND_APPROVAL})  # fmt: skip
_NOT_COPIED = {"id", "public_id", "application", "created_at", "updated_at", "carried_from"}
_ID_KINDS = {Document.Kind.ID_FRONT, Document.Kind.ID_BACK}


def _copy_fields(source: models.Model, **overrides: object) -> dict[str, object]:
    values = {
        f.attname: getattr(source, f.attname)
        for f in source._meta.concrete_fields
        if f.name not in _NOT_COPIED and not f.primary_key
    }
    values.update(overrides)
    return values


def open_renewal(application: Application) -> Application | None:
    return application.renewals.filter(status__in=OPEN).order_by("-pk").first()


def _document_still_valid(document: Document, *, now: dt.datetime) -> bool:
    """An identity document whose expiry has passed, or a proof of address older than
    KYC_RENEWAL_PROOF_OF_ADDRESS_MAX_DAYS, proves nothing for the new period: the applicant uploads a new one."""
    if document.kind in _ID_KINDS and document.person is not None:
        expiry = document.person.id_document_expiry
        return expiry is None or expiry > now.date()
    if document.kind == Document.Kind.PROOF_OF_ADDRESS:
        return document.created_at >= now - dt.timedelta(days=settings.KYC_RENEWAL_PROOF_OF_ADDRESS_MAX_DAYS)
    return True


@transaction.atomic
def application_renew(*, application: Application, by: User) -> Application:
    """Open (or return the open) renewal of an approved case, as a draft pre-filled from it.

    Requires the case to be approved (a rejected, expired, revoked or superseded case cannot be renewed: the
    customer starts a new application) and `by` to be its applicant or a member of its organisation. Copies the
    company, the people (each remembering whom it was copied from), the proven wallets with their proofs and the
    documents that are still valid (as new files). Audited as `application.renewal_started` on both cases.
    """
    application = Application.objects.select_for_update().get(pk=application.pk)
    is_member = application.applicant_id == by.pk or (
        application.organisation_id is not None
        and Membership.objects.filter(organisation_id=application.organisation_id, user=by).exists()
    )
    if not is_member:
        raise ApplicationError("Only the applicant can renew this application.", code="forbidden")
    if application.status != S.APPROVED:
        raise ApplicationError(
            f"Only an approved application can be renewed; {application.reference} is "
            f"{application.get_status_display().lower()}. Start a new application instead.",
            code="not_renewable",
        )
    existing = open_renewal(application)
    if existing is not None:
        return existing
    now = timezone.now()
    renewal = Application.objects.create(
        subject_type=application.subject_type,
        operator_category=application.operator_category,
        organisation=application.organisation,
        applicant=by if application.organisation_id else application.applicant,
        renews=application,
        expected_volume_eth=application.expected_volume_eth,
        source_of_funds=application.source_of_funds,
        completed_steps=list(application.completed_steps),
    )
    company = CompanyProfile.objects.filter(application=application).first()
    if company is not None:
        CompanyProfile.objects.create(**_copy_fields(company, application_id=renewal.pk))
    people: dict[int, Person] = {}
    for person in application.people.all():
        people[person.pk] = Person.objects.create(
            **_copy_fields(person, application_id=renewal.pk, carried_from_id=person.pk)
        )
    for wallet in application.wallets.filter(verified_at__isnull=False):
        WalletAddress.objects.create(**_copy_fields(wallet, application_id=renewal.pk))
    copied = _documents_copy(application, renewal, people, by=by, now=now)
    audit_record(
        actor=by,
        action="application.renewal_started",
        target=renewal,
        data={"renews": str(application.public_id), "documents_copied": copied},
    )
    audit_record(
        actor=by, action="application.renewal_started", target=application, data={"renewal": str(renewal.public_id)}
    )
    return renewal


def _documents_copy(
    application: Application, renewal: Application, people: dict[int, Person], *, by: User, now: dt.datetime
) -> int:
    """Each still-valid document as a new file (the two cases are kept and erased apart); a failure removes the
    files already written, so a refused renewal leaves nothing behind."""
    storage = Document._meta.get_field("file").storage
    written: list[str] = []
    try:
        for document in application.documents.select_related("person"):
            if not _document_still_valid(document, now=now):
                continue
            name = document.file.name or ""
            extension = "." + name.rsplit(".", 1)[-1] if "." in name else ""
            with storage.open(name, "rb") as source:
                stored = storage.save(f"kyc/{renewal.public_id.hex[:2]}/{secrets.token_hex(16)}{extension}", source)
            written.append(stored)
            Document.objects.create(
                **_copy_fields(
                    document,
                    application_id=renewal.pk,
                    person_id=people[document.person_id].pk if document.person_id else None,
                    file=stored,
                    uploaded_by_id=by.pk,
                )
            )
    except BaseException:
        for name in written:
            storage.delete(name)
        raise
    return len(written)


def _screened_person(person: Person) -> tuple[object, ...]:
    return (person.legal_name, list(person.other_names), list(person.former_names), str(person.date_of_birth),
            list(person.nationalities))  # fmt: skip


def _screened_company(company: CompanyProfile | None) -> tuple[object, ...]:
    if company is None:
        return ()
    return (company.legal_name, list(company.trading_names), list(company.former_names), company.jurisdiction,
            company.registration_number, company.lei)  # fmt: skip


def renewal_rulings_carry(*, renewal: Application, by: User) -> int:
    """At the renewal's submission: carry the false-positive rulings of the renewed case to the renewal's subjects
    whose screened facts are unchanged (same names, birth date and nationalities; same company identifiers; same
    wallet address). A changed subject is screened and judged afresh. Returns how many rulings carried over."""
    previous = renewal.renews
    if previous is None:
        return 0
    pairs: list[tuple[str, str]] = []
    if _screened_company(getattr(renewal, "company", None)) == _screened_company(getattr(previous, "company", None)):
        pairs.append((f"kyc.application:{previous.public_id}", f"kyc.application:{renewal.public_id}"))
    for person in renewal.people.select_related("carried_from").filter(carried_from__application=previous):
        origin = person.carried_from
        if origin is not None and _screened_person(person) == _screened_person(origin):
            pairs.append((f"kyc.person:{origin.public_id}", f"kyc.person:{person.public_id}"))
    old_wallets = dict(previous.wallets.values_list("address", "public_id"))
    for address, public_id in renewal.wallets.values_list("address", "public_id"):
        if address in old_wallets:
            pairs.append((f"kyc.wallet:{old_wallets[address]}", f"kyc.wallet:{public_id}"))
    return false_positives_carry(pairs=pairs, by=by, reason=f"carried over from {previous.reference} on renewal")
