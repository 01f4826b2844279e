"""Reads for the staff case page: the timeline from the audit trail, the hits with their rulings, the reviewers
a case can be handed to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from core.models import AuditEvent
from kyc.models import Application, HitAdjudication

S = Application.Status

ACTION_LABELS = {
    "application.created": "Application started",
    "application.details_updated": "Application details changed",
    "application.profile_updated": "Personal details changed",
    "application.company_updated": "Company details changed",
    "application.person_added": "Person added",
    "application.person_updated": "Person changed",
    "application.person_removed": "Person removed",
    "application.document_uploaded": "Document uploaded",
    "application.document_removed": "Document removed",
    "application.wallet_added": "Wallet added",
    "application.wallet_removed": "Wallet removed",
    "application.wallet_challenge_issued": "Wallet proof message issued",
    "application.wallet_verified": "Wallet ownership proven",
    "application.status_changed": "Status changed",
    "application.risk_assessed": "Risk assessed",
    "case.claimed": "Case claimed",
    "case.released": "Case released to the queue",
    "case.reassigned": "Case reassigned",
    "case.auto_assigned": "Case assigned automatically",
    "case.auto_assign_skipped": "Automatic assignment found nobody",
    "case.approval_given": "Approval given",
    "case.rejected": "Rejection recorded",
    "case.revoked": "Revocation recorded",
    "case.hit_adjudicated": "Screening hit ruled on",
    "case.note_added": "Internal note added",
    "case.expiry_warned": "Applicant warned of the approval's end",
    "case.screening_started": "Screening started",
    "case.screening_rerun": "Screening re-run",
    "case.monitoring_alert": "Monitoring alert",
}
_STATUS_LABELS = dict(S.choices)
# Ids and hashes the officer gains nothing from reading in a sentence.
_SKIPPED_KEYS = frozenset({"reference", "sha256", "request_id"})


@dataclass(frozen=True)
class TimelineEntry:
    at: Any
    actor: str
    action: str
    label: str
    details: list[str]


def _readable(value: Any) -> str:
    if isinstance(value, list) and len(value) == 2 and not isinstance(value[0], (dict, list)):
        # A [before, after] pair, as the services record a changed field.
        return f"{_readable(value[0])} → {_readable(value[1])}"
    if isinstance(value, list):
        return ", ".join(_readable(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {_readable(v)}" for k, v in value.items())
    if value is None or value == "":
        return "(empty)"
    return str(value)


def _details(event: AuditEvent) -> list[str]:
    data = dict(event.data or {})
    before, after = dict(event.before or {}), dict(event.after or {})
    lines: list[str] = []
    if event.action == "application.status_changed":
        old, new = before.get("status", ""), after.get("status", "")
        lines.append(f"{_STATUS_LABELS.get(old, old)} → {_STATUS_LABELS.get(new, new)}")
        before, after = {}, {}
    for key in sorted(set(before) | set(after)):
        if key in _SKIPPED_KEYS:
            continue
        if key in before:
            lines.append(f"{key.replace('_', ' ')}: {_readable(before.get(key))} → {_readable(after.get(key))}")
        else:
            lines.append(f"{key.replace('_', ' ')}: {_readable(after.get(key))}")
    for key, value in data.items():
        if key in _SKIPPED_KEYS or value in (None, "", [], {}):
            continue
        if key == "changes" and isinstance(value, dict):
            lines += [f"{k.replace('_', ' ')}: {_readable(v)}" for k, v in value.items()]
            continue
        lines.append(f"{key.replace('_', ' ')}: {_readable(value)}")
    return lines


def case_timeline(
    application: Application,
    *,
    people: Sequence[Any] = (),
    wallets: Sequence[Any] = (),
    documents: Sequence[Any] = (),
    decisions: Sequence[Any] = (),
) -> list[TimelineEntry]:
    """Every audit event about the case, oldest first: those on the application itself and those on its people,
    wallets, documents and decisions (the caller passes the rows it already has, so this is one query)."""
    targets = Q(target_type="kyc.application", target_id=str(application.pk))
    for target_type, rows in (
        ("kyc.person", people),
        ("kyc.walletaddress", wallets),
        ("kyc.document", documents),
        ("kyc.decision", decisions),
    ):
        if rows:
            targets |= Q(target_type=target_type, target_id__in=[str(r.pk) for r in rows])
    events = AuditEvent.objects.filter(targets).order_by("seq")
    return [
        TimelineEntry(
            at=e.occurred_at,
            actor=e.actor_label or "the system",
            action=e.action,
            label=ACTION_LABELS.get(e.action, e.action.replace(".", ": ").replace("_", " ")),
            details=_details(e),
        )
        for e in events
    ]


def hits_with_rulings(application: Application, hits: list[Any]) -> list[Any]:
    """Each hit with `ruling` (its latest ruling on this case, or "") and `is_open` (no ruling, or escalated)."""
    latest: dict[int, HitAdjudication] = {}
    for adj in HitAdjudication.objects.filter(application=application).select_related("by").order_by("at", "pk"):
        latest[adj.hit_id] = adj
    for hit in hits:
        ruling = latest.get(hit.pk)
        hit.ruling = ruling
        hit.is_open = ruling is None or ruling.ruling == HitAdjudication.Ruling.ESCALATE
    return hits
