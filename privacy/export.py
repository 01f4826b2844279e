"""Data subject access: one zip archive holding a JSON file of the personal data held about a user and the
original files of their applications' documents.

Scope: the user's account, their organisations, the applications they work on (their own individual ones
and their organisations'), with the people, company facts, wallets, documents, status history and the
decisions as the applicant was told them (never the internal note). The staff export adds the screening
results about those applications, which the compliance officer reviews before handing the archive over
(disclosing a suspicion can be tipping-off); the applicant's own export leaves them out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
import zipfile
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership, User
from core.audit import audit_record
from core.models import AuditEvent
from kyc.adjudication import subject_refs
from kyc.models import Application
from kyc.services import COMPANY_FIELDS, PERSON_FIELDS

EXPORT_FORMAT = "claystack-personal-data-export/1"
JSON_NAME = "personal-data.json"
_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
# Everything the portal holds about a person or a company: the same fields the onboarding services write.
_PERSON_FIELDS = ("role", *PERSON_FIELDS)
_COMPANY_FIELDS = COMPANY_FIELDS


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _fields(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in names}


def export_applications(user: User) -> list[Application]:
    org_ids = Membership.objects.filter(user=user).values("organisation_id")
    return list(
        Application.objects.filter(Q(applicant=user) | Q(organisation_id__in=org_ids))
        .select_related("organisation", "company")
        .prefetch_related("people", "documents", "wallets", "decisions", "transitions")
        .order_by("created_at")
    )


def _screening(application: Application) -> list[dict[str, Any]]:
    from screening.models import Check

    checks = Check.objects.filter(subject_ref__in=subject_refs(application)).prefetch_related("hits")
    return [
        {
            "subject": check.subject_ref,
            "kind": check.kind,
            "provider": check.provider,
            "trigger": check.trigger,
            "outcome": check.outcome,
            "completed_at": _plain(check.completed_at),
            "hits": [
                {"list": hit.list_name, "entity_id": hit.entity_id, "matched_name": hit.matched_name}
                for hit in check.hits.all()
            ],
        }
        for check in checks.order_by("created_at")
    ]


def _application_data(
    application: Application, *, include_screening: bool
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The application's JSON and the (archive path, document) pairs whose files go in the archive."""
    files: list[tuple[str, Any]] = []
    documents = []
    for document in application.documents.all():
        path = None
        if document.file.name:
            path = (
                f"documents/{application.reference}/{document.public_id}-{document.kind}"
                f"{_EXTENSIONS.get(document.content_type, '')}"
            )
            files.append((path, document))
        documents.append(
            {
                "id": str(document.public_id),
                "kind": document.kind,
                "original_name": document.original_name,
                "content_type": document.content_type,
                "size": document.size,
                "sha256": document.sha256,
                "uploaded_at": _plain(document.created_at),
                "file_in_archive": path,
            }
        )
    company = getattr(application, "company", None) if application.is_company else None
    data: dict[str, Any] = {
        "reference": application.reference,
        "id": str(application.public_id),
        "type": application.subject_type,
        "operator_category": application.operator_category,
        "organisation": application.organisation.name if application.organisation else None,
        "status": application.status,
        "created_at": _plain(application.created_at),
        "submitted_at": _plain(application.submitted_at),
        "valid_until": _plain(application.valid_until),
        "expected_volume_eth": _plain(application.expected_volume_eth),
        "source_of_funds": application.source_of_funds,
        "company": _fields(company, _COMPANY_FIELDS) if company else None,
        "people": [{"id": str(p.public_id), **_fields(p, _PERSON_FIELDS)} for p in application.people.all()],
        "documents": documents,
        "wallets": [
            {
                "address": w.address,
                "label": w.label,
                "purpose": w.purpose,
                "verified_at": _plain(w.verified_at),
                "proof_method": w.proof_method,
            }
            for w in application.wallets.all()
        ],
        "status_history": [
            {"from": t.from_status, "to": t.to_status, "at": _plain(t.at)} for t in application.transitions.all()
        ],
        # As the applicant was told: the internal note is the officers' working record, not disclosed here.
        "decisions": [
            {
                "outcome": d.outcome,
                "at": _plain(d.at),
                "valid_until": _plain(d.valid_until),
                "message": d.applicant_message,
            }
            for d in application.decisions.all()
        ],
    }
    if include_screening:
        data["screening"] = _screening(application)
    return data, files


def subject_data(user: User, *, include_screening: bool) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    applications = []
    files: list[tuple[str, Any]] = []
    for application in export_applications(user):
        data, app_files = _application_data(application, include_screening=include_screening)
        applications.append(data)
        files += app_files
    activity = [
        {"at": _plain(e.occurred_at), "action": e.action, "ip": e.ip, "user_agent": e.user_agent}
        for e in AuditEvent.objects.filter(actor=user).order_by("seq").only("occurred_at", "action", "ip", "user_agent")
    ]
    payload = {
        "format": EXPORT_FORMAT,
        "generated_at": _plain(timezone.now()),
        "account": {
            "id": str(user.public_id),
            "email": user.email,
            "full_name": user.full_name,
            "date_joined": _plain(user.date_joined),
            "last_login": _plain(user.last_login),
            "is_active": user.is_active,
            "organisations": [
                {"name": m.organisation.name, "role": m.role, "since": _plain(m.created_at)}
                for m in Membership.objects.filter(user=user).select_related("organisation").order_by("created_at")
            ],
        },
        "applications": applications,
        # What the portal recorded of the account's own actions (sign-ins, edits): when, from where.
        "activity": activity,
    }
    return payload, files


def subject_export(*, subject: User, by: User, include_screening: bool) -> IO[bytes]:
    """Write the archive to an anonymous temporary file (gone when closed) and return it at offset 0.

    Each document is copied from storage in chunks and checked against its recorded SHA-256: a file that no
    longer matches is still exported, and the JSON says so, since the archive must show what is held. Audited
    as `privacy.exported` (who exported whom, how many documents), in its own transaction.
    """
    payload, files = subject_data(subject, include_screening=include_screening)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        mismatched: list[str] = []
        for path, document in files:
            digest = hashlib.sha256()
            with document.file.open("rb") as source, archive.open(path, "w") as target:
                for chunk in source.chunks():
                    digest.update(chunk)
                    target.write(chunk)
            if digest.hexdigest() != document.sha256:
                mismatched.append(path)
        payload["documents_not_matching_their_recorded_sha256"] = mismatched
        archive.writestr(JSON_NAME, json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=False))
    handle.seek(0)
    with transaction.atomic():
        audit_record(
            actor=by,
            action="privacy.exported",
            # No target: a user's repr is their e-mail, and the trail (kept forever) must not hold it.
            target=None,
            data={
                "subject": str(subject.public_id),
                "self_service": by.pk == subject.pk,
                "applications": len(payload["applications"]),
                "documents": len(files),
                "screening_included": include_screening,
            },
        )
    return handle


def subject_find(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()
