"""Compliance review services: claim and release a case, approve (with four-eyes), reject, revoke, expire.

Every status change goes through `kyc.services.application_transition` (the row lock and the table), so two
officers acting on one case at the same moment produce exactly one decision: the second one waits for the
lock, then finds the case no longer in the state it needs. Approval, expiry and revocation queue the
whitelist changes for each proven wallet in the same transaction as the decision (the whitelist outbox).
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Membership, User
from accounts.permissions import user_has_capability
from accounts.roles import Capability
from core.audit import audit_record
from core.exceptions import ApplicationError
from kyc.models import (
    RISK_ORDER,
    Application,
    CaseApproval,
    CaseNote,
    Decision,
    Document,
    HitAdjudication,
    ReviewRotation,
    RiskLevel,
    StatusTransition,
)
from kyc.notifications import applicant_notify, notify_user, officers_independent_of, officers_with
from kyc.services import _lock, application_transition
from kyc.whitelisting import case_wallets_resync

S = Application.Status


def _require(user: User, capability: str, what: str) -> None:
    if not user_has_capability(user, capability):
        raise ApplicationError(f"You do not have the role needed to {what}.", code="forbidden")


def is_independent(application: Application, user: User) -> bool:
    """Whether `user` is neither the applicant nor a member of the applicant's organisation."""
    return not (
        application.applicant_id == user.pk
        or (
            application.organisation_id
            and Membership.objects.filter(organisation_id=application.organisation_id, user=user).exists()
        )
    )


def _require_independent(application: Application, user: User) -> None:
    """Nobody acts on a case of their own organisation (or their own case)."""
    if not is_independent(application, user):
        raise ApplicationError(
            f"You belong to the applicant of {application.reference}; another officer must handle it.",
            code="conflict_of_interest",
        )


def _require_assignee(application: Application, user: User) -> None:
    if application.assignee_id != user.pk:
        raise ApplicationError(
            f"{application.reference} is worked by its assignee; claim or be assigned the case first.",
            code="not_assignee",
        )


def _round(application: Application) -> int:
    """Approvals count within one review round; each entry into review after a request for information (or a
    send-back) starts a new round."""
    return StatusTransition.objects.filter(application=application, to_status=S.IN_REVIEW).count()


def approvals_required(risk_level: str) -> int:
    return int(settings.KYC_APPROVALS_REQUIRED[risk_level])


def validity_end(risk_level: str, *, start: dt.datetime) -> dt.datetime:
    # Whole seconds: the whitelist contract stores seconds, and the two dates must agree exactly.
    return (start + relativedelta(months=int(settings.KYC_VALIDITY_MONTHS[risk_level]))).replace(microsecond=0)


@transaction.atomic
def case_claim(*, application: Application, by: User) -> Application:
    """The officer takes a case from the queue (ready for review or resubmitted) and starts working it."""
    _require(by, Capability.CASE_REVIEW, "review cases")
    application = _lock(application)
    _require_independent(application, by)
    if application.status not in (S.READY_FOR_REVIEW, S.RESUBMITTED):
        raise ApplicationError(
            f"{application.reference} is {application.get_status_display().lower()}; only a case ready for review "
            "or resubmitted can be claimed.",
            code="illegal_transition",
        )
    if application.assignee_id not in (None, by.pk):
        raise ApplicationError(f"{application.reference} is assigned to another officer.", code="assigned")
    application.assignee = by
    application.save(update_fields=["assignee", "updated_at"])
    audit_record(actor=by, action="case.claimed", target=application, data={"reference": application.reference})
    return application_transition(application=application, to=S.IN_REVIEW, by=by, reason="claimed")


@transaction.atomic
def case_release(*, application: Application, by: User) -> Application:
    """The assignee gives the case back to the queue."""
    application = _lock(application)
    _require_assignee(application, by)
    application.assignee = None
    application.save(update_fields=["assignee", "updated_at"])
    audit_record(actor=by, action="case.released", target=application)
    if application.status in (S.READY_FOR_REVIEW, S.RESUBMITTED):
        # Assigned (automatically or by a lead) but not yet claimed: it simply goes back to everyone.
        return application
    return application_transition(application=application, to=S.READY_FOR_REVIEW, by=by, reason="released")


def _rank(level: str) -> int:
    return RISK_ORDER[RiskLevel(level)]


def _override_in_round(application: Application, current_round: int) -> CaseApproval | None:
    return (
        CaseApproval.objects.filter(application=application, round=current_round)
        .exclude(override_from="")
        .order_by("at")
        .first()
    )


def approvals_given(application: Application) -> int:
    return CaseApproval.objects.filter(application=application, round=_round(application)).count()


def approvals_still_required(application: Application) -> int | None:
    """Approvals the current round needs in all, or None when the case is not waiting for approvals."""
    if application.status not in (S.IN_REVIEW, S.PENDING_SECOND_APPROVAL) or not application.risk_level:
        return None
    return approvals_needed(application, level=application.risk_level, current_round=_round(application))


def approvals_needed(application: Application, *, level: str, current_round: int) -> int:
    """Approvals the governing `level` asks for; a recorded override in the round always asks for two."""
    needed = approvals_required(level)
    return max(needed, 2) if _override_in_round(application, current_round) else needed


def _choose_level(application: Application, *, by: User, proposed: str | None, override_reason: str) -> tuple[str, str]:
    """The first approval's level: the higher of the computed level and the officer's choice, or a lower one
    only as an override with its reason. Returns (governing level, computed level it overrides or "")."""
    computed = application.risk_level_computed
    level = proposed or application.risk_level or computed
    if level not in RiskLevel.values:
        raise ApplicationError(
            "risk_level: the case has no risk level; choose low, medium or high.", code="invalid_risk_level"
        )
    if computed == RiskLevel.PROHIBITED or level == RiskLevel.PROHIBITED:
        raise ApplicationError(
            f"{application.reference} is rated prohibited; it can only be rejected.", code="prohibited"
        )
    if not computed or _rank(level) >= _rank(computed):
        if level != (application.risk_level or computed):
            audit_record(
                actor=by,
                action="case.risk_level_raised" if computed else "case.risk_level_chosen",
                target=application,
                before={"risk_level": application.risk_level or computed},
                after={"risk_level": level},
            )
        return level, ""
    if not override_reason:
        raise ApplicationError(
            f"override_reason: {RiskLevel(level).label.lower()} is below the computed level "
            f"({RiskLevel(computed).label.lower()}); a lower level is an override: give its reason. An override "
            "always needs a second approver.",
            code="override_reason_required",
        )
    audit_record(
        actor=by,
        action="case.risk_level_overridden",
        target=application,
        before={"risk_level": computed},
        after={"risk_level": level},
        data={"reason": override_reason},
    )
    return level, computed


def _confirm_level(application: Application, *, by: User, proposed: str | None) -> str:
    """The second approver confirms the governing level or raises it; they never lower it."""
    current = application.risk_level
    level = proposed or current
    if level not in RiskLevel.values:
        raise ApplicationError(f"risk_level: unknown level {level!r}.", code="invalid_risk_level")
    if _rank(level) < _rank(current):
        raise ApplicationError(
            f"risk_level: the second approver confirms the level ({RiskLevel(current).label.lower()}) or raises "
            "it; it cannot be lowered at the second approval.",
            code="cannot_lower_level",
        )
    if level == RiskLevel.PROHIBITED:
        raise ApplicationError(
            f"{application.reference} is rated prohibited; it can only be rejected.", code="prohibited"
        )
    if level != current:
        audit_record(
            actor=by,
            action="case.risk_level_raised",
            target=application,
            before={"risk_level": current},
            after={"risk_level": level},
        )
    return level


@transaction.atomic
def case_approve(
    *,
    application: Application,
    by: User,
    reason: str,
    risk_level: str | None = None,
    override_reason: str = "",
) -> Application:
    """Record one officer's approval. The first approval is the assignee's (reviewer role); when the case's
    governing risk level needs more (KYC_APPROVALS_REQUIRED) the case waits in pending second approval for other,
    different officers with the approver role. The last approval decides: validity by the governing level, and
    each proven wallet's whitelist target is recomputed in this same transaction.

    The governing level is the higher of the computed level and the one the reviewer chooses. A lower level is an
    override (from, to, `override_reason`), recorded on the approval and audited, and always needs a second
    approver. The second approver confirms or raises the level, never lowers it. A prohibited case is refused.
    """
    reason = (reason or "").strip()
    override_reason = (override_reason or "").strip()
    if not reason:
        raise ApplicationError("reason: say why the case is approved.", code="invalid_reason")
    application = _lock(application)
    _require_independent(application, by)
    override_from = ""
    if application.status == S.IN_REVIEW:
        _require(by, Capability.CASE_REVIEW, "approve cases")
        _require_assignee(application, by)
        level, override_from = _choose_level(application, by=by, proposed=risk_level, override_reason=override_reason)
    elif application.status == S.PENDING_SECOND_APPROVAL:
        _require(by, Capability.CASE_APPROVE, "give the second approval")
        if application.assignee_id == by.pk:
            raise ApplicationError(
                "The reviewer of a case cannot give its second approval; another approver must.", code="four_eyes"
            )
        level = _confirm_level(application, by=by, proposed=risk_level)
    else:
        raise ApplicationError(
            f"{application.reference} is {application.get_status_display().lower()}; it cannot be approved now.",
            code="illegal_transition",
        )
    blockers = case_approval_blockers(application)
    if blockers:
        raise ApplicationError(
            f"{application.reference} cannot be approved yet: {'; '.join(blockers)}.",
            code="open_hits" if blockers[0].startswith(_OPEN_HITS) else "screening_incomplete",
            extra={"blockers": blockers},
        )
    current_round = _round(application)
    if CaseApproval.objects.filter(application=application, round=current_round, by=by).exists():
        raise ApplicationError("You have already approved this case; another officer must.", code="four_eyes")
    if level != application.risk_level:
        application.risk_level = level
        application.save(update_fields=["risk_level", "updated_at"])
    now = timezone.now()
    CaseApproval.objects.create(
        application=application,
        by=by,
        reason=reason,
        risk_level=level,
        override_from=override_from,
        override_reason=override_reason if override_from else "",
        round=current_round,
        at=now,
    )
    given = CaseApproval.objects.filter(application=application, round=current_round).count()
    required = approvals_needed(application, level=level, current_round=current_round)
    audit_record(
        actor=by,
        action="case.approval_given",
        target=application,
        data={
            "reason": reason,
            "risk_level": level,
            "computed_risk_level": application.risk_level_computed,
            "override_from": override_from or None,
            "approval": given,
            "required": required,
        },
    )
    if given < required:
        if application.status == S.IN_REVIEW:
            # The approval's reason is internal: it lives on the CaseApproval and the case.approval_given event,
            # not on the status change an applicant's timeline shows.
            application = application_transition(
                application=application, to=S.PENDING_SECOND_APPROVAL, by=by, reason="first approval given"
            )
        _notify_approvers(application, given=given, required=required)
        return application
    application.valid_until = validity_end(level, start=now)
    application.save(update_fields=["valid_until", "updated_at"])
    Decision.objects.create(
        application=application,
        outcome=Decision.Outcome.APPROVED,
        risk_rules_version=application.risk_rules_version,
        risk_level=level,
        risk_level_computed=application.risk_level_computed,
        valid_until=application.valid_until,
        internal_note=reason,
        by=by,
        at=now,
    )
    application = application_transition(
        application=application,
        to=S.APPROVED,
        by=by,
        reason="approved",
        data={"valid_until": application.valid_until.isoformat()},
    )
    if application.renews_id:
        _supersede(application.renews, by=by, successor=application)  # type: ignore[arg-type]
    case_wallets_resync(application=application, by=by, reason=f"KYC approved ({application.reference})")
    applicant_notify(application)
    return application


def _supersede(previous: Application, *, by: User, successor: Application) -> None:
    """The renewal's approval takes over from the case it renews: no gap, because the renewal is approved before
    the old case stops proving its wallets, and each wallet's target is the latest approval that proves it."""
    previous = _lock(previous)
    if previous.status != S.APPROVED:
        return  # expired or revoked meanwhile: nothing to hand over
    Decision.objects.create(
        application=previous,
        outcome=Decision.Outcome.SUPERSEDED,
        risk_level=previous.risk_level,
        risk_rules_version=previous.risk_rules_version,
        internal_note=f"Renewed by {successor.reference}",
        by=by,
        at=timezone.now(),
    )
    application_transition(
        application=previous,
        to=S.SUPERSEDED,
        by=by,
        reason=f"renewed by {successor.reference}",
        data={"successor": str(successor.public_id)},
    )
    case_wallets_resync(
        application=previous, by=by, reason=f"KYC renewed ({previous.reference} by {successor.reference})"
    )


def _check_reason_code(reason_code: str) -> None:
    if reason_code not in settings.KYC_REJECTION_REASON_CODES:
        raise ApplicationError(
            f"reason_code: unknown code {reason_code!r}; choose one of "
            f"{', '.join(settings.KYC_REJECTION_REASON_CODES)}.",
            code="invalid_reason_code",
        )


@transaction.atomic
def case_reject(
    *, application: Application, by: User, reason_code: str, internal_note: str, applicant_message: str
) -> Application:
    """Reject: by the assignee while in review, or by an approver at the second approval."""
    _check_reason_code(reason_code)
    if not applicant_message.strip():
        raise ApplicationError("applicant_message: say what the applicant is told.", code="invalid_message")
    application = _lock(application)
    _require_independent(application, by)
    if application.status == S.IN_REVIEW:
        _require(by, Capability.CASE_REVIEW, "reject cases")
        _require_assignee(application, by)
    elif application.status == S.PENDING_SECOND_APPROVAL:
        _require(by, Capability.CASE_APPROVE, "reject at the second approval")
    else:
        raise ApplicationError(
            f"{application.reference} is {application.get_status_display().lower()}; it cannot be rejected now.",
            code="illegal_transition",
        )
    Decision.objects.create(
        application=application,
        outcome=Decision.Outcome.REJECTED,
        risk_level=application.risk_level,
        risk_rules_version=application.risk_rules_version,
        reason_code=reason_code,
        internal_note=internal_note.strip(),
        applicant_message=applicant_message.strip(),
        by=by,
        at=timezone.now(),
    )
    audit_record(
        actor=by,
        action="case.rejected",
        target=application,
        data={
            "reason_code": reason_code,
            "internal_note": internal_note.strip(),
            "applicant_message": applicant_message.strip(),
        },
    )
    # The status change carries only what the applicant is told; the code and note stay in staff records.
    application = application_transition(
        application=application, to=S.REJECTED, by=by, reason=applicant_message.strip()
    )
    applicant_notify(application, message=applicant_message.strip())
    return application


@transaction.atomic
def case_revoke(*, application: Application, by: User, reason_code: str, reason: str) -> Application:
    """Withdraw an approval (an approver's act); the wallets are queued for removal from the whitelist."""
    _require(by, Capability.CASE_APPROVE, "revoke approvals")
    _check_reason_code(reason_code)
    if not reason.strip():
        raise ApplicationError("reason: say why the approval is revoked.", code="invalid_reason")
    application = _lock(application)
    _require_independent(application, by)
    Decision.objects.create(
        application=application,
        outcome=Decision.Outcome.REVOKED,
        risk_level=application.risk_level,
        risk_rules_version=application.risk_rules_version,
        reason_code=reason_code,
        internal_note=reason.strip(),
        by=by,
        at=timezone.now(),
    )
    audit_record(
        actor=by, action="case.revoked", target=application, data={"reason_code": reason_code, "reason": reason.strip()}
    )
    application = application_transition(application=application, to=S.REVOKED, by=by, reason="approval revoked")
    case_wallets_resync(application=application, by=by, reason=f"KYC revoked ({application.reference}): {reason_code}")
    applicant_notify(application)
    return application


@transaction.atomic
def case_expire(*, application: Application) -> Application:
    """The approval's date has passed (the beat job): expire it and queue the wallets for removal."""
    application = _lock(application)
    if application.status != S.APPROVED or not application.valid_until or application.valid_until > timezone.now():
        raise ApplicationError(f"{application.reference} has no approval that has run out.", code="not_expired")
    Decision.objects.create(
        application=application,
        outcome=Decision.Outcome.EXPIRED,
        risk_level=application.risk_level,
        risk_rules_version=application.risk_rules_version,
        by=None,
        at=timezone.now(),
    )
    application = application_transition(application=application, to=S.EXPIRED, by=None, reason="validity ended")
    case_wallets_resync(application=application, by=None, reason=f"KYC expired ({application.reference})")
    applicant_notify(application, message="Start a new application to be verified again.")
    return application


def approvals_warn_before_expiry() -> int:
    """Tell each approved applicant once, KYC_EXPIRY_WARNING_DAYS before the end, to re-verify."""
    from kyc.notifications import expiry_warning_send

    now = timezone.now()
    horizon = now + dt.timedelta(days=settings.KYC_EXPIRY_WARNING_DAYS)
    due = Application.objects.filter(
        status=S.APPROVED, expiry_warned_at__isnull=True, valid_until__gt=now, valid_until__lte=horizon
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        with transaction.atomic():
            application = _lock(Application(pk=pk))
            if application.expiry_warned_at is not None:
                continue
            application.expiry_warned_at = now
            application.save(update_fields=["expiry_warned_at", "updated_at"])
            audit_record(actor=None, action="case.expiry_warned", target=application)
            expiry_warning_send(application)
            count += 1
    return count


def cases_expire_due() -> int:
    """Beat job body: expire every approval whose validity has ended (each in its own transaction)."""
    due = Application.objects.filter(status=S.APPROVED, valid_until__lte=timezone.now()).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        try:
            case_expire(application=Application.objects.get(pk=pk))
            count += 1
        except ApplicationError:
            continue
    return count


@transaction.atomic
def case_request_information(*, application: Application, by: User, items: list[str], message: str) -> Application:
    """The assignee asks the applicant to change only `items` (section keys or "documents:<kind>"); the
    applicant can edit just those (`kyc.editing`) and resubmits."""
    from kyc.editing import SECTION_LABELS

    if not items:
        raise ApplicationError("items: pick at least one item the applicant must change.", code="invalid_items")
    unknown = [
        i
        for i in items
        if i.split(":", 1)[0] not in SECTION_LABELS
        or (i.startswith("documents:") and i.split(":", 1)[1] not in Document.Kind.values)
    ]
    if unknown:
        raise ApplicationError(
            f"items: unknown {', '.join(unknown)}; choose from {', '.join(SECTION_LABELS)}.", code="invalid_items"
        )
    if not message.strip():
        raise ApplicationError("message: say what the applicant must change and why.", code="invalid_message")
    application = _lock(application)
    _require(by, Capability.CASE_REVIEW, "request information")
    _require_assignee(application, by)
    application.requested_items = list(items)
    application.save(update_fields=["requested_items", "updated_at"])
    application = application_transition(
        application=application,
        to=S.INFORMATION_REQUESTED,
        by=by,
        reason=message.strip(),
        data={"items": list(items)},
    )
    applicant_notify(application, message=message.strip())
    return application


@transaction.atomic
def case_resubmit(*, application: Application, by: User) -> Application:
    """The applicant (or a colleague) sends the changed items back; the case returns to its assignee."""
    application = _lock(application)
    is_member = application.applicant_id == by.pk or (
        application.organisation_id
        and Membership.objects.filter(organisation_id=application.organisation_id, user=by).exists()
    )
    if not is_member:
        raise ApplicationError("Only the applicant can resubmit this application.", code="forbidden")
    application.requested_items = []
    application.save(update_fields=["requested_items", "updated_at"])
    application = application_transition(application=application, to=S.RESUBMITTED, by=by, reason="resubmitted")
    title = f"{application.reference} was resubmitted"
    body = "The applicant changed what was asked for; the case is back in the queue."
    if application.assignee_id:
        notify_user(user=application.assignee, application=application, title=title, body=body)  # type: ignore[arg-type]
    else:
        from kyc.notifications import notify_officers

        notify_officers(application=application, title=title, body=body)
    return application


@transaction.atomic
def case_reassign(*, application: Application, by: User, to: User) -> Application:
    """An approver (team lead) hands an open case to another reviewer; the case keeps its status."""
    _require(by, Capability.CASE_APPROVE, "reassign cases")
    if not user_has_capability(to, Capability.CASE_REVIEW):
        raise ApplicationError("assignee: this person does not have the reviewer role.", code="invalid_assignee")
    application = _lock(application)
    _require_independent(application, by)
    _require_independent(application, to)
    if application.assignee_id == to.pk:
        raise ApplicationError(f"{application.reference} is already assigned to {to.email}.", code="assigned")
    if application.status not in (S.READY_FOR_REVIEW, S.IN_REVIEW, S.RESUBMITTED):
        raise ApplicationError(
            f"{application.reference} is {application.get_status_display().lower()}; it cannot be reassigned.",
            code="illegal_transition",
        )
    before = application.assignee_id
    application.assignee = to
    application.save(update_fields=["assignee", "updated_at"])
    audit_record(
        actor=by, action="case.reassigned", target=application, before={"assignee": before}, after={"assignee": to.pk}
    )
    notify_user(
        user=to,
        application=application,
        title=f"{application.reference} was assigned to you",
        body=f"{by.get_full_name()} handed you this case ({application.get_status_display().lower()}).",
    )
    return application


# Work on an open case: screening hits and internal notes ----------------------------------------------------

_OPEN_HITS = "screening hits"


def case_approval_blockers(application: Application) -> list[str]:
    """Everything that stops an approval, each as a sentence fragment an officer can act on: screening hits
    without a ruling (or escalated), and screening that has not finished or failed without a result."""
    from kyc.adjudication import open_hits
    from kyc.screening_flow import case_screening_blockers

    blockers: list[str] = []
    hits = open_hits(application)
    if hits:
        blockers.append(f"{_OPEN_HITS} without a ruling or escalated ({len(hits)}); adjudicate them first")
    blockers += [reason.rstrip(".") for reason in case_screening_blockers(application)]
    return blockers


@transaction.atomic
def case_hit_adjudicate(
    *, application: Application, by: User, hit_id: int, ruling: str, rationale: str
) -> HitAdjudication:
    """Rule on a screening hit of a case. In review it is the assignee's work, like every other step of it. On an
    approved case the hit comes from ongoing monitoring and nobody holds the case: any independent officer who
    reviews cases may rule (a true match on a wallet asks the whitelist to remove it, see
    `kyc.adjudication.hit_adjudicate`)."""
    from kyc.adjudication import hit_adjudicate

    application = _lock(application)
    _require(by, Capability.CASE_REVIEW, "adjudicate hits")
    _require_independent(application, by)
    if application.status not in (S.IN_REVIEW, S.APPROVED):
        raise ApplicationError(
            f"{application.reference} is {application.get_status_display().lower()}; claim it before ruling on "
            "its screening hits.",
            code="illegal_transition",
        )
    if application.status == S.IN_REVIEW:
        _require_assignee(application, by)
    return hit_adjudicate(application=application, hit_id=hit_id, by=by, ruling=ruling, rationale=rationale)


@transaction.atomic
def case_note_add(*, application: Application, by: User, body: str) -> CaseNote:
    """An officer's internal note on the case (never shown to the applicant); audited with its text."""
    _require(by, Capability.CASE_REVIEW, "add notes to cases")
    body = body.strip()
    if not body:
        raise ApplicationError("note: write the note before saving it.", code="invalid_note")
    if len(body) > 10_000:
        raise ApplicationError(
            f"note: at most 10,000 characters ({len(body):,} given); attach longer material as a document.",
            code="invalid_note",
        )
    application = _lock(application)
    _require_independent(application, by)
    note = CaseNote.objects.create(application=application, author=by, body=body)
    audit_record(actor=by, action="case.note_added", target=application, data={"note": note.pk, "body": body})
    return note


# Assignment ---------------------------------------------------------------------------------------------------

# Cases that still take an officer's time: they count against the automatic assignment's cap.
ASSIGNED_OPEN = (S.READY_FOR_REVIEW, S.IN_REVIEW, S.INFORMATION_REQUESTED, S.RESUBMITTED, S.PENDING_SECOND_APPROVAL)


def reviewers_available(application: Application) -> list[User]:
    """Active reviewers (review role, TOTP set up, independent of the applicant) below the cap on open cases,
    in a stable order for the round robin."""
    return list(
        officers_independent_of(officers_with(Capability.CASE_REVIEW), application)
        .annotate(open_cases=Count("assigned_cases", filter=Q(assigned_cases__status__in=ASSIGNED_OPEN)))
        .filter(open_cases__lt=settings.KYC_AUTO_ASSIGN_MAX_OPEN)
        .order_by("pk")
    )


@transaction.atomic
def case_auto_assign(*, application: Application) -> User | None:
    """When KYC_AUTO_ASSIGN is on, give a case that has just become ready for review to the next reviewer in
    the round robin who is below KYC_AUTO_ASSIGN_MAX_OPEN open cases; the case stays ready for review until
    that reviewer claims it. Returns the assignee, or None (off, already assigned, or nobody available: the
    case then waits in the queue for anyone to claim)."""
    if not settings.KYC_AUTO_ASSIGN:
        return None
    application = _lock(application)
    if application.status != S.READY_FOR_REVIEW or application.assignee_id is not None:
        return None
    rotation, _ = ReviewRotation.objects.select_for_update().get_or_create(id=1)
    candidates = reviewers_available(application)
    if not candidates:
        audit_record(
            actor=None,
            action="case.auto_assign_skipped",
            target=application,
            data={"reason": "no reviewer below the cap", "cap": settings.KYC_AUTO_ASSIGN_MAX_OPEN},
        )
        return None
    last = rotation.last_assignee_id or 0
    chosen = next((u for u in candidates if u.pk > last), candidates[0])
    rotation.last_assignee = chosen
    rotation.save(update_fields=["last_assignee"])
    application.assignee = chosen
    application.save(update_fields=["assignee", "updated_at"])
    audit_record(
        actor=None,
        action="case.auto_assigned",
        target=application,
        after={"assignee": chosen.pk},
        data={"round_robin": True, "cap": settings.KYC_AUTO_ASSIGN_MAX_OPEN},
    )
    notify_user(
        user=chosen,
        application=application,
        title=f"{application.reference} was assigned to you",
        body="Automatic assignment: the case is ready for review; claim it to start.",
    )
    return chosen


def _notify_approvers(application: Application, *, given: int, required: int) -> None:
    """Tell the officers who may give the next approval (approver role, not yet approved in this round, not
    the assignee, independent of the applicant) that the case waits for them."""
    from kyc.notifications import Notification, case_path

    done = CaseApproval.objects.filter(application=application, round=_round(application)).values("by_id")
    approvers = (
        officers_independent_of(officers_with(Capability.CASE_APPROVE), application)
        .exclude(pk__in=done)
        .exclude(pk=application.assignee_id or 0)
    )
    title = f"{application.reference} waits for approval {given + 1} of {required}"
    body = f"Risk level {application.get_risk_level_display().lower()}; four-eyes approval is required."
    Notification.objects.bulk_create(
        [
            Notification(recipient=u, application=application, title=title, body=body, link=case_path(application))
            for u in approvers
        ]
    )
