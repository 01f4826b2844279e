"""Writes of the privacy app: legal holds, the anonymisation of what is due, and personal-data exports (built
by a task, downloaded from a link).

Anonymisation overwrites personal values with `PRIVACY_ANONYMISED_MARKER` and deletes the documents' files;
it keeps everything an auditor needs to follow the case: the reference, the status history, the decisions,
the screening outcomes and hits, the documents' SHA-256 and sizes, the wallets (public addresses), and the
audit trail, which is append-only and is never touched.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership, OrganisationInvitation, User
from accounts.permissions import user_has_capability
from accounts.roles import Capability
from core.audit import audit_record
from core.exceptions import ApplicationError
from kyc.adjudication import subject_refs
from kyc.models import Application, Document, Person
from privacy.models import AnonymisedAccount, DataExport, RetentionRecord
from privacy.selectors import RetentionItem, retention_due, retention_items, subject_key_for

logger = logging.getLogger(__name__)

# Who may place or lift a legal hold: the senior compliance officer (approver). Auditors are read-only.
HOLD_CAPABILITY = Capability.CASE_APPROVE

# Personal free-text and identity values of a person: replaced with the marker. Country codes, the PEP
# category and the ID document type stay: they are what the recorded risk decision was based on and identify
# nobody on their own.
_PERSON_TEXT_FIELDS = (
    "legal_name",
    "residential_address",
    "id_document_number",
    "occupation",
    "source_of_funds",
    "source_of_wealth",
    "pep_details",
    "ownership_chain",
)


def _marker() -> str:
    return str(settings.PRIVACY_ANONYMISED_MARKER)


def _subject_key(application: Application) -> str:
    return subject_key_for(
        organisation_public_id=application.organisation.public_id if application.organisation else None,
        applicant_public_id=application.applicant.public_id,
    )


def _record_for(application: Application) -> RetentionRecord:
    record, _ = RetentionRecord.objects.select_for_update().get_or_create(
        application=application,
        defaults={
            "reference": application.reference,
            "application_public_id": application.public_id,
            "subject_key": _subject_key(application),
        },
    )
    return record


# Legal hold -------------------------------------------------------------------------------------------------


@transaction.atomic
def legal_hold_set(*, application: Application, by: User, reason: str) -> RetentionRecord:
    """Stop the retention job from anonymising this application's subject until the hold is cleared.

    Requires the approver capability and a reason; locks the application, so a running anonymisation of the
    subject either finishes first or sees the hold. Audited as `privacy.legal_hold_set`.
    """
    if not user_has_capability(by, HOLD_CAPABILITY):
        raise ApplicationError("Only a senior compliance officer (approver) can place a legal hold.", code="forbidden")
    reason = reason.strip()
    if not reason:
        raise ApplicationError("reason: say why the data must be kept (e.g. the request or case number).")
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("organisation", "applicant")
        .get(pk=application.pk)
    )
    record = _record_for(application)
    if record.anonymised_at is not None:
        raise ApplicationError(
            f"{application.reference} was already anonymised on {record.anonymised_at:%Y-%m-%d}; there is no personal "
            "data left to hold.",
            code="already_anonymised",
        )
    if record.legal_hold:
        raise ApplicationError(f"{application.reference} is already on legal hold.", code="already_held")
    record.legal_hold = True
    record.legal_hold_reason = reason
    record.legal_hold_by = by
    record.legal_hold_at = timezone.now()
    record.save(update_fields=["legal_hold", "legal_hold_reason", "legal_hold_by", "legal_hold_at", "updated_at"])
    audit_record(
        actor=by,
        action="privacy.legal_hold_set",
        target=application,
        data={"reference": application.reference, "reason": reason},
    )
    return record


@transaction.atomic
def legal_hold_clear(*, application: Application, by: User, reason: str) -> RetentionRecord:
    """Lift a hold (approver capability, with a reason). Audited as `privacy.legal_hold_cleared`; the data
    becomes due again by the ordinary rules."""
    if not user_has_capability(by, HOLD_CAPABILITY):
        raise ApplicationError("Only a senior compliance officer (approver) can lift a legal hold.", code="forbidden")
    reason = reason.strip()
    if not reason:
        raise ApplicationError("reason: say why the hold is no longer needed.")
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("organisation", "applicant")
        .get(pk=application.pk)
    )
    record = _record_for(application)
    if not record.legal_hold:
        raise ApplicationError(f"{application.reference} is not on legal hold.", code="not_held")
    previous = record.legal_hold_reason
    record.legal_hold = False
    record.legal_hold_reason = ""
    record.legal_hold_by = None
    record.legal_hold_at = None
    record.save(update_fields=["legal_hold", "legal_hold_reason", "legal_hold_by", "legal_hold_at", "updated_at"])
    audit_record(
        actor=by,
        action="privacy.legal_hold_cleared",
        target=application,
        data={"reference": application.reference, "reason": reason, "hold_reason": previous},
    )
    return record


# Anonymisation ----------------------------------------------------------------------------------------------


def _delete_files_on_commit(names: list[str]) -> None:
    """Files go only once the database says the rows no longer point at them: a rollback keeps both."""
    if not names:
        return
    storage = Document._meta.get_field("file").storage

    def delete() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete, robust=True)


def _screening_anonymise(refs: list[str]) -> int:
    """The plain data screened and the provider's raw answer repeat the person's details; the outcome, the
    hits (public list entries) and the adjudications stay."""
    from screening.models import Check, ProviderEvent

    checks = Check.objects.filter(subject_ref__in=refs)
    external_ids = list(checks.exclude(external_id="").values_list("external_id", flat=True))
    count = checks.update(subject={"anonymised": True}, raw_payload={"anonymised": True})
    if external_ids:
        ProviderEvent.objects.filter(external_id__in=external_ids).update(payload={"anonymised": True})
    return count


def _application_anonymise(application: Application, *, item: RetentionItem, now: dt.datetime) -> dict[str, int]:
    record = _record_for(application)
    if record.anonymised_at is not None:
        return {}
    marker = _marker()
    documents = list(application.documents.all())
    files = [d.file.name for d in documents if d.file.name]
    Document.objects.filter(application=application).update(file="", original_name=marker)
    people = Person.objects.filter(application=application).update(
        **dict.fromkeys(_PERSON_TEXT_FIELDS, marker),
        other_names=[],
        former_names=[],
        date_of_birth=None,
        id_document_expiry=None,
    )
    checks = _screening_anonymise(subject_refs(application))
    if application.source_of_funds:
        application.source_of_funds = marker
        application.save(update_fields=["source_of_funds", "updated_at"])
    counts = {"people": people, "documents": len(documents), "files_deleted": len(files), "screening_checks": checks}
    record.anonymised_at = now
    record.outcome = RetentionRecord.Outcome.ANONYMISED
    record.counts = counts
    record.relationship_ended_at = item.relationship_ended_at
    record.retention_due_at = item.due_at
    record.save()
    audit_record(
        actor=None,
        action="privacy.anonymised",
        target=application,
        data={"reference": application.reference, "rule": "aml_retention", "counts": counts},
    )
    _delete_files_on_commit(files)
    return counts


def _draft_delete(application: Application, *, item: RetentionItem, now: dt.datetime) -> dict[str, int]:
    """A draft never submitted is no AML record: it goes, with its files. Its retention record stays, naming the
    reference, so the staff page shows what was deleted and when."""
    if application.operator_profiles.exists():
        # An operator profile still points at it (PROTECT): anonymise instead of deleting.
        return _application_anonymise(application, item=item, now=now)
    record = _record_for(application)
    files = [d.file.name for d in application.documents.all() if d.file.name]
    counts = {
        "people": application.people.count(),
        "documents": application.documents.count(),
        "files_deleted": len(files),
        "wallets": application.wallets.count(),
    }
    checks = _screening_anonymise(subject_refs(application))
    if checks:
        counts["screening_checks"] = checks
    record.anonymised_at = now
    record.outcome = RetentionRecord.Outcome.DRAFT_DELETED
    record.counts = counts
    record.retention_due_at = item.due_at
    record.save()
    audit_record(
        actor=None,
        action="privacy.draft_deleted",
        target=application,
        data={"reference": application.reference, "rule": "draft_retention", "counts": counts},
    )
    application.delete()
    _delete_files_on_commit(files)
    return counts


def _accounts_anonymise(user_ids: set[int], *, now: dt.datetime) -> int:
    """Replace the e-mail and name of applicant-only accounts that no longer have any application holding
    personal data (their own or their organisations'). Staff accounts are never touched: they act in the audit
    trail, which names them."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from accounts.models import RoleAssignment

    count = 0
    candidates = (
        User.objects.filter(pk__in=user_ids, is_staff=False, is_superuser=False)
        .exclude(pk__in=RoleAssignment.objects.values("user_id"))
        .values_list("pk", flat=True)
    )
    for user in User.objects.select_for_update().filter(pk__in=list(candidates)).order_by("pk"):
        if AnonymisedAccount.objects.filter(user=user).exists():
            continue
        org_ids = Membership.objects.filter(user=user).values("organisation_id")
        live = (
            Application.objects.filter(Q(applicant=user) | Q(organisation_id__in=org_ids))
            .filter(Q(retention__isnull=True) | Q(retention__anonymised_at__isnull=True))
            .exists()
        )
        if live:
            continue
        old_email = user.email
        user.email = f"anonymised-{user.public_id.hex}@anonymised.invalid"
        user.full_name = _marker()
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["email", "full_name", "is_active", "password"])
        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()
        OrganisationInvitation.objects.filter(email__iexact=old_email).update(email=user.email)
        AnonymisedAccount.objects.create(user=user, anonymised_at=now)
        audit_record(actor=None, action="privacy.account_anonymised", target=user, data={"user": str(user.public_id)})
        count += 1
    return count


@transaction.atomic
def subject_anonymise(*, subject_key: str, now: dt.datetime | None = None) -> dict[str, int]:
    """Anonymise (or, for drafts, delete) everything of one subject that is due, in one transaction.

    Locks the subject's applications, then recomputes what is due under the lock, so a legal hold or a new
    submission that raced the job wins. Idempotent: an application already anonymised is skipped. Emits one
    `privacy.anonymised` / `privacy.draft_deleted` audit event per application (counts only) and one
    `privacy.account_anonymised` per account; files are deleted after commit.
    """
    now = now or timezone.now()
    kind, _, public_id = subject_key.partition(":")
    apps = Application.objects.select_for_update(of=("self",)).select_related("organisation", "applicant")
    if kind == "organisation":
        apps = apps.filter(organisation__public_id=public_id)
    else:
        apps = apps.filter(organisation__isnull=True, applicant__public_id=public_id)
    locked = {a.pk: a for a in apps.order_by("pk")}
    due = [i for i in retention_items(subject_keys={subject_key}) if i.is_due(now) and i.application_id in locked]
    totals: dict[str, int] = {"applications": 0, "drafts_deleted": 0, "accounts": 0}
    user_ids: set[int] = set()
    for item in due:
        application = locked[item.application_id]
        user_ids.add(application.applicant_id)
        if application.organisation_id:
            user_ids.update(
                Membership.objects.filter(organisation_id=application.organisation_id).values_list("user_id", flat=True)
            )
        if item.kind == "draft" and application.status == Application.Status.DRAFT:
            counts = _draft_delete(application, item=item, now=now)
            totals["drafts_deleted"] += 1 if counts else 0
        else:
            counts = _application_anonymise(application, item=item, now=now)
            totals["applications"] += 1 if counts else 0
        for name, value in counts.items():
            totals[name] = totals.get(name, 0) + value
    if user_ids:
        totals["accounts"] = _accounts_anonymise(user_ids, now=now)
    return totals


def retention_enforce(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """The beat job's body: each due subject in its own transaction, so one failure leaves the others done
    and is retried at the next run. Logs ids and counts only."""
    now = now or timezone.now()
    summary: dict[str, Any] = {"subjects": 0, "applications": 0, "drafts_deleted": 0, "accounts": 0, "failed": 0}
    for subject_key in retention_due(now=now):
        try:
            totals = subject_anonymise(subject_key=subject_key, now=now)
        except Exception:
            summary["failed"] += 1
            logger.exception("Retention: anonymising subject %s failed; retried at the next run.", subject_key)
            continue
        summary["subjects"] += 1
        for name in ("applications", "drafts_deleted", "accounts"):
            summary[name] += totals.get(name, 0)
    if summary["subjects"] or summary["failed"]:
        logger.info("Retention: %s", summary)
    return summary


# Data exports ------------------------------------------------------------------------------------------------

_IN_PROGRESS = (DataExport.Status.PENDING, DataExport.Status.BUILDING)
_EXPORT_WINDOW = dt.timedelta(hours=24)


def _enqueue_export_build(export_id: int) -> None:
    from privacy.tasks import data_export_build_task

    data_export_build_task.delay(export_id)


@transaction.atomic
def data_export_request(*, subject: User, by: User, include_screening: bool) -> DataExport:
    """Ask for a personal-data archive of `subject`, built by `privacy.data_export_build` after commit.

    Refused while one for the same requester and subject is being prepared, and past
    PRIVACY_EXPORTS_PER_DAY requests (not counting failed ones) for the same requester and subject in 24 hours:
    building reads every document of every application. Audited as `privacy.export_requested`.
    """
    User.objects.select_for_update().filter(pk=by.pk).first()  # one request at a time per requester
    now = timezone.now()
    recent = DataExport.objects.filter(requested_by=by, subject=subject, created_at__gte=now - _EXPORT_WINDOW).exclude(
        status=DataExport.Status.FAILED
    )
    if recent.filter(status__in=_IN_PROGRESS).exists():
        raise ApplicationError(
            "An archive is already being prepared; its download link appears on this page when it is ready.",
            code="export_in_progress",
        )
    limit = int(settings.PRIVACY_EXPORTS_PER_DAY)
    made = list(recent.order_by("created_at").values_list("created_at", flat=True))
    if len(made) >= limit:
        next_at = made[len(made) - limit] + _EXPORT_WINDOW
        raise ApplicationError(
            f"At most {limit} archive{'s' if limit != 1 else ''} a day can be requested; the next one after "
            f"{next_at:%d %b %Y %H:%M} UTC. The archives already made stay downloadable until they expire.",
            code="export_rate_limited",
        )
    export = DataExport.objects.create(subject=subject, requested_by=by, include_screening=include_screening)
    audit_record(
        actor=by,
        action="privacy.export_requested",
        target=export,
        data={
            "subject": str(subject.public_id),
            "self_service": by.pk == subject.pk,
            "screening_included": include_screening,
        },
    )
    export_id = export.pk
    transaction.on_commit(lambda: _enqueue_export_build(export_id), robust=True)
    return export


def data_export_build(*, export_id: int) -> DataExport | None:
    """Build the archive of a pending export into private storage and make it downloadable for
    PRIVACY_EXPORT_TTL_HOURS; the requester is e-mailed a link to the page that offers it.

    Claims the export with a conditional update (pending to building), so a duplicate task does nothing and
    returns None. Not one transaction: the build reads every document and must not hold locks meanwhile (the
    archive's own audit entry, `privacy.exported`, is written by `privacy.export.subject_export`). A failure
    marks the export failed with the error's class name; the requester may ask again.
    """
    import secrets

    from django.core.files import File

    from privacy.export import subject_export

    now = timezone.now()
    claimed = DataExport.objects.filter(pk=export_id, status=DataExport.Status.PENDING).update(
        status=DataExport.Status.BUILDING, updated_at=now
    )
    if not claimed:
        return None
    export = DataExport.objects.select_related("subject", "requested_by").get(pk=export_id)
    storage = DataExport._meta.get_field("file").storage
    stored = ""
    try:
        with subject_export(
            subject=export.subject, by=export.requested_by, include_screening=export.include_screening
        ) as handle:
            size = handle.seek(0, 2)
            handle.seek(0)
            # A random name, like the documents': nothing about the subject in the storage listing.
            stored = storage.save(f"exports/{secrets.token_hex(16)}.zip", File(handle))
    except Exception as exc:
        if stored:
            storage.delete(stored)
        logger.exception("The data export %s could not be built.", export.public_id)
        DataExport.objects.filter(pk=export_id).update(
            status=DataExport.Status.FAILED, error=type(exc).__name__[:200], updated_at=timezone.now()
        )
        return DataExport.objects.get(pk=export_id)
    done = timezone.now()
    expires = done + dt.timedelta(hours=int(settings.PRIVACY_EXPORT_TTL_HOURS))
    with transaction.atomic():
        DataExport.objects.filter(pk=export_id).update(
            status=DataExport.Status.READY, file=stored, size=size, ready_at=done, expires_at=expires, updated_at=done
        )
        export.refresh_from_db()
        _export_ready_mail_on_commit(export)
    return export


def _export_ready_mail_on_commit(export: DataExport) -> None:
    from django.core.mail import send_mail
    from django.urls import reverse

    own = export.requested_by_id == export.subject_id
    page = reverse("privacy:my_data" if own else "privacy:retention")
    expires = export.expires_at
    body = (
        "The personal data archive you asked for is ready.\n\n"
        f"Download it from {settings.SITE_URL}{page} (signed in) before "
        f"{expires:%d %b %Y %H:%M} UTC; after that it is deleted and you can ask for a new one.\n"
    )
    recipient = export.requested_by.email
    subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Your personal data archive is ready"
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]), robust=True)


@transaction.atomic
def data_export_downloaded(*, export: DataExport, by: User) -> None:
    audit_record(actor=by, action="privacy.export_downloaded", target=export, data={"size": export.size})


def data_exports_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The beat job: deletes the files of expired archives, and enqueues again the builds lost on the way
    (pending past PRIVACY_EXPORT_STALE_MINUTES, or building for longer than the task may run)."""
    now = now or timezone.now()
    expired = 0
    for export in DataExport.objects.filter(status=DataExport.Status.READY, expires_at__lte=now):
        with transaction.atomic():
            if not DataExport.objects.filter(pk=export.pk, status=DataExport.Status.READY).update(
                status=DataExport.Status.EXPIRED, file="", updated_at=now
            ):
                continue
            _delete_export_file_on_commit(export.file.name or "")
            expired += 1
    stale = now - dt.timedelta(minutes=int(settings.PRIVACY_EXPORT_STALE_MINUTES))
    stuck = now - dt.timedelta(seconds=int(settings.PRIVACY_EXPORT_BUILD_TIME_LIMIT) * 2)
    lost = list(
        DataExport.objects.filter(
            Q(status=DataExport.Status.PENDING, updated_at__lte=stale)
            | Q(status=DataExport.Status.BUILDING, updated_at__lte=stuck)
        ).values_list("pk", flat=True)
    )
    # A build that outlived its time limit was killed: it may start again (the claim is pending -> building).
    DataExport.objects.filter(pk__in=lost, status=DataExport.Status.BUILDING).update(
        status=DataExport.Status.PENDING, updated_at=now
    )
    for export_id in lost:
        _enqueue_export_build(export_id)
    requeued = len(lost)
    return {"expired": expired, "requeued": requeued}


def _delete_export_file_on_commit(name: str) -> None:
    if not name:
        return
    storage = DataExport._meta.get_field("file").storage
    transaction.on_commit(lambda: storage.delete(name), robust=True)
