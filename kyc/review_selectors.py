"""Reads for the staff case page: the timeline from the audit trail, the hits with their rulings, the reviewers
a case can be handed to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from core.models import AuditEvent
from kyc.models import Application, HitAdjudication, WalletAddress

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
# Ids, nonces and hashes the officer gains nothing from reading in a sentence.
_SKIPPED_KEYS = frozenset({"reference", "sha256", "request_id", "nonce"})


@dataclass(frozen=True)
class TimelineEntry:
    at: Any
    actor: str
    action: str
    label: str
    details: list[str]


def _readable(value: Any, names: dict[str, str]) -> str:
    if isinstance(value, list) and len(value) == 2 and not isinstance(value[0], (dict, list)):
        # A [before, after] pair, as the services record a changed field.
        return f"{_readable(value[0], names)} → {_readable(value[1], names)}"
    if isinstance(value, list):
        return ", ".join(_readable(v, names) for v in value) or "(none)"
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {_readable(v, names)}" for k, v in value.items())
    if value is None or value == "":
        return "(empty)"
    # The trail names people, documents and wallets by public id (it keeps no personal data); the page can
    # say who or what that is while the row still exists.
    return names.get(str(value), str(value))


def _details(event: AuditEvent, names: dict[str, str]) -> list[str]:
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
            lines.append(
                f"{key.replace('_', ' ')}: {_readable(before.get(key), names)} → {_readable(after.get(key), names)}"
            )
        else:
            lines.append(f"{key.replace('_', ' ')}: {_readable(after.get(key), names)}")
    for key, value in data.items():
        if key in _SKIPPED_KEYS or value in (None, "", [], {}):
            continue
        if key == "changes" and isinstance(value, dict):
            lines += [f"{k.replace('_', ' ')}: {_readable(v, names)}" for k, v in value.items()]
            continue
        lines.append(f"{key.replace('_', ' ')}: {_readable(value, names)}")
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
    names = {str(p.public_id): f"{p.legal_name} ({p.get_role_display().lower()})" for p in people}
    names |= {str(d.public_id): f"{d.get_kind_display()} {d.original_name}" for d in documents}
    names |= {str(w.public_id): f"{w.label} {w.address}" for w in wallets}
    # Screening names its subjects by ref ("kyc.person:<uuid>"): the same people and wallets.
    names |= {f"kyc.person:{p.public_id}": names[str(p.public_id)] for p in people}
    names |= {f"kyc.wallet:{w.public_id}": names[str(w.public_id)] for w in wallets}
    names[f"kyc.application:{application.public_id}"] = f"the application {application.reference}"
    events = AuditEvent.objects.filter(targets).select_related("actor").order_by("seq")
    return [
        TimelineEntry(
            at=e.occurred_at,
            # The trail names applicants by public id (core.audit.audit_label); officers see the account.
            actor=e.actor.email if e.actor is not None else (e.actor_label or "the system"),
            action=e.action,
            label=ACTION_LABELS.get(e.action, e.action.replace(".", ": ").replace("_", " ")),
            details=_details(e, names),
        )
        for e in events
    ]


def case_hits_with_rulings(application: Application) -> list[Any]:
    """Every screening hit on the case's subjects, including those a false-positive ruling suppressed (the
    record shows what was ruled), each with `ruling` (its latest ruling on this case, or None) and `is_open`
    (live and without a ruling, or escalated: what blocks an approval)."""
    from kyc.adjudication import subject_refs
    from screening.models import Hit

    hits = list(
        Hit.objects.filter(check_run__subject_ref__in=subject_refs(application), is_history=False)
        .select_related("check_run")
        .order_by("check_run__created_at", "pk")
    )
    latest: dict[int, HitAdjudication] = {}
    for adj in HitAdjudication.objects.filter(application=application).select_related("by").order_by("at", "pk"):
        latest[adj.hit_id] = adj
    for hit in hits:
        ruling = latest.get(hit.pk)
        hit.ruling = ruling  # type: ignore[attr-defined]
        hit.is_open = not hit.suppressed and (ruling is None or ruling.ruling == HitAdjudication.Ruling.ESCALATE)  # type: ignore[attr-defined]
    return hits


def case_wallets_claimed_elsewhere(case: Application, wallets: Sequence[WalletAddress]) -> set[Any]:
    """Public ids of the case's proven wallets whose address another customer (another organisation, or another
    person's own applications) has proven too: custodians share addresses legitimately, the reviewer judges.

    Only proven claims count, on both sides: an applicant who merely types someone else's address into a draft
    neither learns that it is known nor marks the owner's case. Computed at read time, so the mark goes when
    either claim goes (a wallet removed, a draft deleted). Staff pages only.
    """
    proven = {w.address for w in wallets if w.verified_at is not None}
    if not proven:
        return set()
    others = WalletAddress.objects.filter(address__in=proven, verified_at__isnull=False).exclude(application=case)
    if case.organisation_id is not None:
        others = others.exclude(application__organisation_id=case.organisation_id)
    else:
        others = others.exclude(application__applicant_id=case.applicant_id, application__organisation__isnull=True)
    shared = set(others.values_list("address", flat=True))
    return {w.public_id for w in wallets if w.verified_at is not None and w.address in shared}
