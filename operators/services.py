"""Writes of the operators app. Each is atomic, takes the acting user, audits, and defers mail to commit."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import Organisation, User
from core.audit import audit_record
from core.ethaddress import parse_address
from core.exceptions import ApplicationError
from operators import checklist, states
from operators.address_proof import address_is_proven, proven_application_wallets
from operators.address_screening import AddressScreening, address_screen
from operators.deposit_data import EntryProblem, parse_deposit_file
from operators.ethvalues import parse_bls_pubkey, parse_hex, withdrawal_credentials_address
from operators.models import (
    NODE_FIELDS,
    PROFILE_FIELDS,
    Category,
    DepositImport,
    DueDiligenceItem,
    ExitRequest,
    Node,
    ObolCluster,
    ObolClusterMember,
    OperatorAddress,
    OperatorProfile,
    OperatorScore,
    OperatorStatusChange,
    Pool,
    RewardAdjustment,
    Validator,
)
from operators.whitelisting import operator_addresses_resync


class DepositDataRefused(ApplicationError):
    """A deposit-data file with problems: nothing of it was kept. `problems` lists each by entry and line."""

    def __init__(self, problems: list[EntryProblem]) -> None:
        super().__init__(
            f"The deposit-data file was refused: {len(problems)} problem(s); no key was imported.",
            code="deposit_data_refused",
            extra={"problems": [str(p) for p in problems]},
        )
        self.problems = problems


def _snapshot(operator: OperatorProfile) -> dict[str, Any]:
    return {f: getattr(operator, f) for f in (*PROFILE_FIELDS, "status")}


def _operator_emails(operator: OperatorProfile) -> list[str]:
    if operator.user_id:
        return [operator.user.email] if operator.user else []
    return list(User.objects.filter(memberships__organisation=operator.organisation).values_list("email", flat=True))


def _mail_on_commit(operator: OperatorProfile, subject: str, body: str) -> None:
    recipients = _operator_emails(operator)
    if recipients:
        transaction.on_commit(
            lambda: send_mail(
                f"[ClayStack] {subject}", body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False
            ),
            robust=True,
        )


def _lock(operator: OperatorProfile) -> OperatorProfile:
    return OperatorProfile.objects.select_for_update().get(pk=operator.pk)


def _require_editable(operator: OperatorProfile) -> None:
    if operator.status not in states.OPERATOR_EDITABLE:
        raise ApplicationError(
            f"This operator profile is {operator.get_status_display().lower()}; it can be changed only as a draft "
            "or when staff asked for changes.",
            code="not_editable",
        )


@transaction.atomic
def operator_create(*, by: User, organisation: Organisation | None, fields: dict[str, Any]) -> OperatorProfile:
    """Create a draft operator profile owned by `organisation` (its members) or, when None, by `by` alone."""
    if organisation is not None and not organisation.memberships.filter(user=by).exists():
        raise ApplicationError("You can create an operator only for an organisation you belong to.", code="not_member")
    operator = OperatorProfile(
        organisation=organisation,
        user=None if organisation is not None else by,
        validator_cap=settings.OPERATORS_DEFAULT_VALIDATOR_CAP,
        **{k: v for k, v in fields.items() if k in PROFILE_FIELDS},
    )
    operator.save()
    DueDiligenceItem.objects.bulk_create(
        [DueDiligenceItem(operator=operator, key=key) for key in checklist.keys_for(operator.category)]
    )
    audit_record(actor=by, action="operator.created", target=operator, after=_snapshot(operator))
    return operator


@transaction.atomic
def operator_update(*, operator: OperatorProfile, by: User, fields: dict[str, Any]) -> OperatorProfile:
    operator = _lock(operator)
    _require_editable(operator)
    before = _snapshot(operator)
    old_category = operator.category
    for key, value in fields.items():
        if key in PROFILE_FIELDS:
            setattr(operator, key, value)
    operator.save()
    if operator.category != old_category:
        wanted = set(checklist.keys_for(operator.category))
        operator.checklist.exclude(key__in=wanted).delete()
        have = set(operator.checklist.values_list("key", flat=True))
        DueDiligenceItem.objects.bulk_create(
            [DueDiligenceItem(operator=operator, key=k) for k in checklist.keys_for(operator.category) if k not in have]
        )
    audit_record(actor=by, action="operator.updated", target=operator, before=before, after=_snapshot(operator))
    return operator


@transaction.atomic
def operator_link_application(*, operator: OperatorProfile, by: User, application: Any) -> OperatorProfile:
    """Link the KYC (individual) or KYB (company) application the operator is vetted under.

    The application must belong to the same owner: the operator's organisation, or the individual applicant.
    """
    from kyc.models import Application, SubjectType

    operator = _lock(operator)
    _require_editable(operator)
    if not isinstance(application, Application):
        raise ApplicationError("Choose one of your applications.", code="invalid_application")
    if operator.organisation_id is not None:
        same_owner = application.organisation_id == operator.organisation_id
    else:
        same_owner = application.organisation_id is None and application.applicant_id == operator.user_id
    if not same_owner:
        raise ApplicationError("That application does not belong to this operator's owner.", code="foreign_application")
    if operator.pool == Pool.PERMISSIONED and application.subject_type not in (
        SubjectType.OPERATOR_COMPANY,
        SubjectType.INSTITUTION,
    ):
        raise ApplicationError("The permissioned pool requires a KYB (company) application.", code="kyb_required")
    before = {"kyc_application": str(operator.kyc_application.public_id) if operator.kyc_application else None}
    operator.kyc_application = application
    operator.save(update_fields=["kyc_application", "updated_at"])
    audit_record(
        actor=by,
        action="operator.application_linked",
        target=operator,
        before=before,
        after={"kyc_application": str(application.public_id)},
    )
    return operator


# Addresses may be declared on a draft (reviewed at approval) and on an approved operator (screened, proven and
# whitelisted at once); not while staff review them.
ADDRESSES_ACCEPTED = frozenset({*states.OPERATOR_EDITABLE, OperatorProfile.Status.APPROVED})


def _screen_row(row: OperatorAddress, by: User | None) -> AddressScreening:
    """Look the address up on the sanctions lists and record the verdict on the row (audited when it changes)."""
    result = address_screen(row.address)
    status = OperatorAddress.Screening.SANCTIONED if result.sanctioned else OperatorAddress.Screening.CLEAR
    findings = result.findings_json()
    changed = (row.screening_status, row.screening_findings) != (status, findings)
    row.screening_status, row.screening_findings, row.screened_at = status, findings, timezone.now()
    row.save(update_fields=["screening_status", "screening_findings", "screened_at", "updated_at"])
    if changed:
        audit_record(
            actor=by,
            action="operator.address_screened",
            target=row.operator,
            after={"address": row.address, "purpose": row.purpose, "screening": status, "findings": findings},
        )
    return result


@transaction.atomic
def operator_addresses_screen(*, operator: OperatorProfile, by: User | None) -> list[OperatorAddress]:
    """Screen every address of the operator now and record each result (staff see them on the operator page)."""
    rows = list(OperatorAddress.objects.select_for_update().filter(operator=operator).select_related("operator"))
    for row in rows:
        _screen_row(row, by)
    return rows


@transaction.atomic
def operator_address_add(
    *, operator: OperatorProfile, by: User, address: str, purpose: str, label: str = ""
) -> OperatorAddress:
    """Declare an address. It is screened at once and the result recorded on the row.

    On a draft the address waits for approval. On an approved operator it must already be a proven wallet of the
    linked application; if screening finds it on a sanctions list it is kept, marked held and NOT whitelisted (the
    approval blockers name it); otherwise its whitelist addition is queued in this transaction.
    """
    operator = _lock(operator)
    if operator.status not in ADDRESSES_ACCEPTED:
        raise ApplicationError(
            f"Addresses cannot be declared while the operator is {operator.get_status_display().lower()}.",
            code="not_editable",
        )
    try:
        checksummed = parse_address(address)
    except ValueError as exc:
        raise ApplicationError(str(exc), code="invalid_address") from exc
    if purpose not in OperatorAddress.Purpose.values:
        raise ApplicationError(f"Purpose must be one of {', '.join(OperatorAddress.Purpose.values)}.")
    if operator.addresses.filter(address=checksummed, purpose=purpose).exists():
        raise ApplicationError(f"{checksummed} is already declared for this purpose.", code="duplicate_address")
    approved = operator.status == OperatorProfile.Status.APPROVED
    if approved and not _proven_on_application(operator, checksummed):
        raise ApplicationError(
            f"{checksummed} is not a proven wallet of the linked application; prove it there first, so it is "
            "screened with the case.",
            code="address_not_proven",
        )
    row = OperatorAddress.objects.create(operator=operator, address=checksummed, purpose=purpose, label=label[:100])
    audit_record(
        actor=by, action="operator.address_added", target=operator, after={"address": checksummed, "purpose": purpose}
    )
    result = _screen_row(row, by)
    if approved:
        if result.sanctioned:
            row.whitelist_state = OperatorAddress.WhitelistState.HELD
            row.save(update_fields=["whitelist_state", "updated_at"])
            audit_record(
                actor=by,
                action="operator.address_held",
                target=operator,
                data={"address": checksummed, "reason": result.reason()},
            )
        else:
            operator_addresses_resync(operator=operator, by=by, reason="added an address")
            row.refresh_from_db()
    return row


def _proven_on_application(operator: OperatorProfile, address: str) -> bool:
    app = operator.kyc_application
    if app is None:
        return False
    return app.wallets.filter(address__iexact=address, verified_at__isnull=False).exists()


def _approval_blockers(operator: OperatorProfile, *, include_screening: bool = True) -> list[str]:
    from kyc.models import Application, SubjectType

    blockers: list[str] = []
    app = operator.kyc_application
    if app is None:
        blockers.append("No KYC or KYB application is linked.")
    elif app.status != Application.Status.APPROVED:
        blockers.append(f"The linked application {app.reference} is {app.get_status_display().lower()}, not approved.")
    elif operator.pool == Pool.PERMISSIONED and app.subject_type not in (
        SubjectType.OPERATOR_COMPANY,
        SubjectType.INSTITUTION,
    ):
        blockers.append("The permissioned pool requires an approved KYB (company) application.")
    # Judged against the checklist the category requires, so a missing row counts as not assessed.
    results = {i.key: i.result for i in operator.checklist.all()}
    open_items = [
        checklist.LABELS[key]
        for key in checklist.keys_for(operator.category)
        if results.get(key) not in (DueDiligenceItem.Result.PASS, DueDiligenceItem.Result.NOT_APPLICABLE)
    ]
    if open_items:
        blockers.append("Checklist items not passed: " + "; ".join(open_items) + ".")
    addresses = list(operator.addresses.all())
    if not any(a.purpose == OperatorAddress.Purpose.WITHDRAWAL for a in addresses):
        blockers.append("No withdrawal address is declared.")
    if app is not None:
        proven = proven_application_wallets(operator)
        unproven = [a.address for a in addresses if not address_is_proven(a, proven)]
        if unproven:
            blockers.append(
                "Addresses not proven (and screened) on the linked application: " + ", ".join(unproven) + "."
            )
    # Screened now, not trusted from the last recorded result: a list may have changed since the address was added.
    # The operator's own view leaves them out: telling a listed party it was matched would tip it off.
    for a in addresses if include_screening else []:
        screening = address_screen(a.address)
        if screening.sanctioned:
            blockers.append(screening.reason())
    if operator.category == Category.OBOL_CLUSTER and not operator.clusters.exists():
        blockers.append("An Obol cluster operator needs its cluster definition.")
    if operator.category == Category.SSV_OPERATOR and not operator.ssv_operator_ids:
        blockers.append("An SSV operator needs its SSV operator ids.")
    return blockers


_DEAD_APPLICATION_STATES = frozenset({"rejected", "expired", "revoked"})


def operator_submission_problems(*, operator: OperatorProfile) -> list[dict[str, str]]:
    """What keeps the operator from being submitted, each naming the part of the flow (`field`) and what to do:
    a linked KYC/KYB application that can still be approved, a declared withdrawal address, every address proven
    (on the linked application or in the operator flow) and at least one validator key. Screening and the
    checklist are staff's part and come at review."""
    problems: list[dict[str, str]] = []
    app = operator.kyc_application
    if app is None:
        problems.append(
            {"field": "kyc_application", "message": "Link your KYC or KYB application, or start one, first."}
        )
    elif app.status in _DEAD_APPLICATION_STATES:
        problems.append(
            {
                "field": "kyc_application",
                "message": f"The linked application {app.reference} is {app.get_status_display().lower()}: "
                "link or start another one.",
            }
        )
    addresses = list(operator.addresses.all())
    if not any(a.purpose == OperatorAddress.Purpose.WITHDRAWAL for a in addresses):
        problems.append({"field": "addresses", "message": "Declare the withdrawal address."})
    proven = proven_application_wallets(operator)
    for row in addresses:
        if not address_is_proven(row, proven):
            problems.append(
                {
                    "field": "addresses",
                    "message": f"Prove that you control {row.address} ({row.get_purpose_display().lower()}).",
                }
            )
    if not operator.validators.exists():
        problems.append(
            {"field": "keys", "message": "Upload the deposit data of at least one validator key (the last step)."}
        )
    return problems


def operator_approval_blockers(*, operator: OperatorProfile, for_staff: bool = True) -> list[str]:
    """Why the operator cannot be approved yet. Screening hits are named for staff only (no tipping off)."""
    return _approval_blockers(operator, include_screening=for_staff)


@transaction.atomic
def operator_transition(
    *, operator: OperatorProfile, to_status: str, by: User | None, reason: str = ""
) -> OperatorProfile:
    """Move the operator through the onboarding state machine (operators.states.TRANSITIONS).

    Requires the transition to be in the table for this actor kind (the view checks who the actor is). Approval
    also requires `operator_approval_blockers` to be empty, and hands the operator's addresses to the whitelist
    in this same transaction. Suspension asks the whitelist to remove them. Mails the operator on commit.
    """
    operator = _lock(operator)
    from_status = operator.status
    if states.allowed_actor(from_status, to_status) is None:
        raise ApplicationError(
            f"An operator that is {operator.get_status_display().lower()} cannot become "
            f"{OperatorProfile.Status(to_status).label.lower()}.",
            code="illegal_transition",
        )
    if (
        to_status
        in (OperatorProfile.Status.CHANGES_REQUESTED, OperatorProfile.Status.REJECTED, OperatorProfile.Status.SUSPENDED)
        and not reason.strip()
    ):
        raise ApplicationError("Give a reason; the operator will read it.", code="reason_required")
    if to_status == OperatorProfile.Status.SUBMITTED:
        problems = operator_submission_problems(operator=operator)
        if problems:
            raise ApplicationError(
                "Cannot submit yet: " + " ".join(p["message"] for p in problems),
                code="incomplete",
                extra={"problems": problems},
            )
    now = timezone.now()
    if to_status in (OperatorProfile.Status.SUBMITTED, OperatorProfile.Status.IN_REVIEW):
        # Recorded at each hand-over, so the reviewer opens the case with a current screening of every address.
        for row in operator.addresses.all():
            _screen_row(row, by)
    if to_status == OperatorProfile.Status.APPROVED:
        blockers = _approval_blockers(operator)
        if blockers:
            raise ApplicationError(
                "Cannot approve yet: " + " ".join(blockers), code="not_ready", extra={"blockers": blockers}
            )
    operator.status = to_status
    update = ["status", "updated_at"]
    if to_status == OperatorProfile.Status.SUBMITTED:
        operator.submitted_at = now
        update.append("submitted_at")
    if to_status in (OperatorProfile.Status.APPROVED, OperatorProfile.Status.REJECTED):
        operator.decided_at = now
        update.append("decided_at")
    operator.save(update_fields=update)
    OperatorStatusChange.objects.create(
        operator=operator, from_status=from_status, to_status=to_status, by=by, reason=reason
    )
    whitelisted = None
    if OperatorProfile.Status.APPROVED in (from_status, to_status):
        # In or out of the approved state: the operators' list follows (suspension takes the addresses off).
        why = "approved" if to_status == OperatorProfile.Status.APPROVED else f"{to_status}: {reason.strip()}"
        whitelisted = operator_addresses_resync(operator=operator, by=by, reason=why)
    audit_record(
        actor=by,
        action=f"operator.{to_status}",
        target=operator,
        before={"status": from_status},
        after={"status": to_status},
        data={"reason": reason, "whitelist_requests": whitelisted},
    )
    label = OperatorProfile.Status(to_status).label
    _mail_on_commit(
        operator,
        f"Your operator profile {operator.name}: {label.lower()}",
        f"The status of your node-operator profile {operator.name} is now: {label}.\n\n{reason}".strip(),
    )
    return operator


@transaction.atomic
def operators_suspend_for_application(*, application: Any, reason: str, by: User | None = None) -> int:
    """Suspend every approved operator vetted under `application` (the linked case was revoked or expired: see
    `operators.receivers`). Their addresses go off the operators' whitelist. Returns how many were suspended."""
    suspended = 0
    for operator in OperatorProfile.objects.filter(kyc_application=application, status=OperatorProfile.Status.APPROVED):
        operator_transition(operator=operator, to_status=OperatorProfile.Status.SUSPENDED, by=by, reason=reason)
        suspended += 1
    return suspended


@transaction.atomic
def operators_carry_over(*, application: Any, successor: Any, by: User | None = None) -> int:
    """The linked case was superseded by its approved renewal: every operator vetted under it is now vetted under
    the renewal (same owner, the same proven wallets), and its addresses move to the renewal's expiry without
    leaving the list. Returns how many operators were carried over."""
    carried = 0
    for operator in OperatorProfile.objects.filter(kyc_application=application).order_by("pk"):
        operator = _lock(operator)
        operator.kyc_application = successor
        operator.save(update_fields=["kyc_application", "updated_at"])
        audit_record(
            actor=by,
            action="operator.application_carried_over",
            target=operator,
            before={"kyc_application": str(application.public_id)},
            after={"kyc_application": str(successor.public_id)},
        )
        if operator.status == OperatorProfile.Status.APPROVED:
            operator_addresses_resync(operator=operator, by=by, reason=f"KYC renewed ({successor.reference})")
        carried += 1
    return carried


@transaction.atomic
def checklist_item_review(*, operator: OperatorProfile, key: str, result: str, note: str, by: User) -> DueDiligenceItem:
    operator = _lock(operator)
    if operator.status != OperatorProfile.Status.IN_REVIEW:
        raise ApplicationError(
            "The checklist is assessed while the operator is in technical review.", code="not_in_review"
        )
    if result not in DueDiligenceItem.Result.values:
        raise ApplicationError(f"Result must be one of {', '.join(DueDiligenceItem.Result.values)}.")
    if key not in checklist.keys_for(operator.category):
        raise ApplicationError(f"'{key}' is not on this operator's checklist.", code="unknown_item")
    item, _ = DueDiligenceItem.objects.get_or_create(operator=operator, key=key)
    if result == DueDiligenceItem.Result.FAIL and not note.strip():
        raise ApplicationError("A failed item needs a note saying what is missing.", code="note_required")
    before = {"result": item.result, "note": item.note}
    item.result, item.note, item.reviewed_by, item.reviewed_at = result, note, by, timezone.now()
    item.save(update_fields=["result", "note", "reviewed_by", "reviewed_at", "updated_at"])
    audit_record(
        actor=by,
        action="operator.checklist_reviewed",
        target=operator,
        before=before,
        after={"key": key, "result": result, "note": note},
    )
    return item


def _require_keys_accepted(operator: OperatorProfile) -> None:
    if operator.status not in states.KEYS_ACCEPTED:
        raise ApplicationError(
            f"Validator keys cannot be added while the operator is {operator.get_status_display().lower()}.",
            code="keys_not_accepted",
        )


@transaction.atomic
def validators_import_deposit_data(
    *, operator: OperatorProfile, by: User, filename: str, raw: bytes, verify_signatures: bool | None = None
) -> DepositImport:
    """Import every key of a deposit-data file, or none.

    Refuses (DepositDataRefused, listing every problem by entry and line) a file with any malformed entry, a
    wrong network, credentials not pointing at a declared withdrawal address, roots or signatures that do not
    verify, a key repeated in the file, or a key already registered (here or by another operator).
    """
    operator = _lock(operator)
    _require_keys_accepted(operator)
    if len(raw) > settings.OPERATORS_DEPOSIT_FILE_MAX_BYTES:
        raise ApplicationError(
            f"The file is larger than {settings.OPERATORS_DEPOSIT_FILE_MAX_BYTES} bytes.", code="file_too_large"
        )
    network = settings.OPERATORS_NETWORK
    withdrawal = set(
        operator.addresses.filter(purpose=OperatorAddress.Purpose.WITHDRAWAL).values_list("address", flat=True)
    )
    verify = settings.OPERATORS_VERIFY_DEPOSIT_SIGNATURES if verify_signatures is None else verify_signatures
    parsed = parse_deposit_file(
        raw,
        expected_fork_version=settings.OPERATORS_GENESIS_FORK_VERSIONS[network],
        expected_network=network,
        allowed_withdrawal_addresses=withdrawal,
        verify_signatures=verify,
        signature_limit=settings.OPERATORS_DEPOSIT_SIGNATURE_SAMPLE,
        # Keyed with SECRET_KEY: the same file gets the same sample here, and nobody without the key can know it.
        sample_seed=salted_hmac("operators.deposit_signature_sample", raw, algorithm="sha256").digest(),
    )
    problems = list(parsed.problems)
    keys = [e.pubkey for e in parsed.entries]
    taken = dict(Validator.objects.filter(pubkey__in=keys).values_list("pubkey", "operator_id"))
    if taken:
        for entry in parsed.entries:
            if entry.pubkey in taken:
                owner = "this operator" if taken[entry.pubkey] == operator.pk else "another operator"
                problems.append(
                    EntryProblem(
                        entry.position, entry.line, "pubkey", f"{entry.pubkey[:14]}… is already registered by {owner}."
                    )
                )
        problems.sort(key=lambda p: p.entry)
    if problems or not parsed.entries:
        raise DepositDataRefused(problems)
    fee_recipient = (
        operator.addresses.filter(purpose=OperatorAddress.Purpose.FEE_RECIPIENT)
        .values_list("address", flat=True)
        .first()
        or ""
    )
    record = DepositImport.objects.create(
        operator=operator,
        filename=filename[:255],
        sha256=hashlib.sha256(raw).hexdigest(),
        network=network,
        keys=len(parsed.entries),
        signatures_checked=parsed.signatures_checked,
        by=by,
    )
    try:
        # The unique pubkey constraint is the last word when two imports race with the same key.
        with transaction.atomic():
            Validator.objects.bulk_create(
                [
                    Validator(
                        operator=operator,
                        pubkey=e.pubkey,
                        withdrawal_credentials=e.withdrawal_credentials,
                        fee_recipient=fee_recipient,
                        amount_gwei=e.amount_gwei,
                        deposit_data_root=e.deposit_data_root,
                        deposit_import=record,
                        ssv_operator_ids=operator.ssv_operator_ids
                        if operator.category == Category.SSV_OPERATOR
                        else [],
                    )
                    for e in parsed.entries
                ]
            )
    except IntegrityError as exc:
        raise ApplicationError(
            "A key in this file was registered at the same moment; upload it again.", code="race"
        ) from exc
    audit_record(
        actor=by,
        action="operator.deposit_data_imported",
        target=operator,
        data={"filename": filename, "sha256": record.sha256, "keys": len(keys), "network": network},
    )
    return record


@transaction.atomic
def validator_register(
    *,
    operator: OperatorProfile,
    by: User,
    pubkey: str,
    withdrawal_credentials: str,
    fee_recipient: str = "",
    cluster: ObolCluster | None = None,
    ssv_operator_ids: list[int] | None = None,
) -> Validator:
    """Register one key without a deposit file (a DVT validator whose deposit the cluster made)."""
    operator = _lock(operator)
    _require_keys_accepted(operator)
    try:
        key = parse_bls_pubkey(pubkey)
        credentials = parse_hex(withdrawal_credentials, length=32, what="Withdrawal credentials")
    except ValueError as exc:
        raise ApplicationError(str(exc), code="invalid_key") from exc
    address = withdrawal_credentials_address(credentials)
    declared = set(
        operator.addresses.filter(purpose=OperatorAddress.Purpose.WITHDRAWAL).values_list("address", flat=True)
    )
    if address is None or address not in declared:
        raise ApplicationError(
            "Withdrawal credentials must be 0x01/0x02 credentials for a declared withdrawal address.",
            code="invalid_credentials",
        )
    if Validator.objects.filter(pubkey=key).exists():
        raise ApplicationError(f"The key {key[:14]}… is already registered.", code="duplicate_key")
    if cluster is not None and cluster.operator_id != operator.pk:
        raise ApplicationError("That cluster belongs to another operator.", code="foreign_cluster")
    validator = Validator.objects.create(
        operator=operator,
        pubkey=key,
        withdrawal_credentials="0x" + credentials.hex(),
        fee_recipient=parse_address(fee_recipient, what="The fee recipient") if fee_recipient else "",
        cluster=cluster,
        ssv_operator_ids=ssv_operator_ids or [],
    )
    audit_record(actor=by, action="operator.validator_registered", target=operator, data={"pubkey": key})
    return validator


def _node_snapshot(node: Node) -> dict[str, Any]:
    return {"node": str(node.public_id), **{f: getattr(node, f) for f in NODE_FIELDS}}


def _require_nodes_editable(operator: OperatorProfile) -> None:
    # Machines change while the operator runs validators, so an approved operator keeps its nodes up to date.
    if operator.status not in states.KEYS_ACCEPTED:
        raise ApplicationError(
            f"Nodes cannot be changed while the operator is {operator.get_status_display().lower()}.",
            code="nodes_not_editable",
        )


def _node_name_free(operator: OperatorProfile, name: str, exclude: Any = None) -> None:
    if operator.nodes.filter(name=name).exclude(pk=exclude).exists():
        raise ApplicationError(f"A node named {name} already exists.", code="duplicate_node")


@transaction.atomic
def node_create(*, operator: OperatorProfile, by: User, fields: dict[str, Any]) -> Node:
    """Record a machine of the operator (clients, hosting, place, relays). Fields arrive cleaned by the form or
    serializer."""
    operator = _lock(operator)
    _require_nodes_editable(operator)
    values = {k: v for k, v in fields.items() if k in NODE_FIELDS}
    _node_name_free(operator, values.get("name", ""))
    node = Node.objects.create(operator=operator, **values)
    audit_record(actor=by, action="operator.node_created", target=operator, after=_node_snapshot(node))
    return node


@transaction.atomic
def node_update(*, node: Node, by: User, fields: dict[str, Any]) -> Node:
    operator = _lock(node.operator)
    _require_nodes_editable(operator)
    node = Node.objects.select_for_update().get(pk=node.pk)
    before = _node_snapshot(node)
    values = {k: v for k, v in fields.items() if k in NODE_FIELDS}
    if "name" in values:
        _node_name_free(operator, values["name"], exclude=node.pk)
    for key, value in values.items():
        setattr(node, key, value)
    node.save()
    audit_record(actor=by, action="operator.node_updated", target=operator, before=before, after=_node_snapshot(node))
    return node


@transaction.atomic
def node_delete(*, node: Node, by: User) -> None:
    """Remove a node that no validator runs on (move them first, so none changes its counted client unnoticed)."""
    operator = _lock(node.operator)
    _require_nodes_editable(operator)
    attached = node.validators.count()
    if attached:
        raise ApplicationError(
            f"{attached} validator(s) run on {node.name}; move them to another node first.", code="node_in_use"
        )
    before = _node_snapshot(node)
    node.delete()
    audit_record(actor=by, action="operator.node_deleted", target=operator, before=before)


@transaction.atomic
def validators_assign_node(*, operator: OperatorProfile, by: User, node: Node | None, pubkeys: list[str]) -> int:
    """Attach the operator's validators `pubkeys` to `node` (None: back to the profile's infrastructure).

    All or nothing: a key that is malformed or not one of this operator's validators refuses the whole request,
    naming it. Returns how many validators were moved.
    """
    operator = _lock(operator)
    _require_nodes_editable(operator)
    if node is not None and node.operator_id != operator.pk:
        raise ApplicationError("That node belongs to another operator.", code="foreign_node")
    keys: list[str] = []
    problems: list[str] = []
    for n, raw in enumerate(pubkeys, start=1):
        try:
            keys.append(parse_bls_pubkey(raw))
        except ValueError as exc:
            problems.append(f"Key {n}: {exc}")
    if not keys and not problems:
        raise ApplicationError("Give at least one validator public key.", code="no_keys")
    known = set(operator.validators.filter(pubkey__in=keys).values_list("pubkey", flat=True))
    problems += [f"{k[:14]}… is not a validator of this operator." for k in keys if k not in known]
    if problems:
        raise ApplicationError(
            "No validator was moved: " + " ".join(problems), code="invalid_keys", extra={"problems": problems}
        )
    moved = operator.validators.filter(pubkey__in=keys).update(node=node, updated_at=timezone.now())
    audit_record(
        actor=by,
        action="operator.validators_assigned",
        target=operator,
        after={"node": str(node.public_id) if node else None, "validators": sorted(keys)},
    )
    return moved


@transaction.atomic
def obol_cluster_create(
    *,
    operator: OperatorProfile,
    by: User,
    name: str,
    threshold: int,
    members: Iterable[tuple[str, str]],
    lock_hash: str = "",
) -> ObolCluster:
    """A DV cluster: at least 3 members, distinct addresses, threshold from ceil(2n/3) to n (Byzantine majority)."""
    operator = _lock(operator)
    _require_editable(operator)
    member_list = [(n.strip()[:100], parse_address(a, what=f"Member {n.strip() or '?'}'s address")) for n, a in members]
    if len(member_list) < 3:
        raise ApplicationError("A distributed-validator cluster needs at least 3 members.", code="too_few_members")
    if len({a for _, a in member_list}) != len(member_list):
        raise ApplicationError("Each member needs a different address.", code="duplicate_member")
    n = len(member_list)
    minimum = math.ceil(2 * n / 3)
    if not minimum <= threshold <= n:
        raise ApplicationError(
            f"With {n} members the threshold must be between {minimum} and {n}.", code="invalid_threshold"
        )
    if lock_hash:
        try:
            lock_hash = "0x" + parse_hex(lock_hash, length=32, what="The cluster-lock hash").hex()
        except ValueError as exc:
            raise ApplicationError(str(exc), code="invalid_lock_hash") from exc
    if operator.clusters.filter(name=name).exists():
        raise ApplicationError(f"A cluster named {name} already exists.", code="duplicate_cluster")
    cluster = ObolCluster.objects.create(operator=operator, name=name[:100], threshold=threshold, lock_hash=lock_hash)
    ObolClusterMember.objects.bulk_create(
        [ObolClusterMember(cluster=cluster, name=member_name, address=a) for member_name, a in member_list]
    )
    audit_record(
        actor=by,
        action="operator.cluster_created",
        target=operator,
        after={"name": name, "threshold": threshold, "members": [a for _, a in member_list]},
    )
    return cluster


@transaction.atomic
def exit_request_create(*, validator: Validator, kind: str, reason: str, by: User | None) -> ExitRequest:
    """Record an exit with its deadline (OPERATORS_EXIT_DEADLINE_HOURS per kind) and tell the operator."""
    if kind not in ExitRequest.Kind.values:
        raise ApplicationError(f"Kind must be one of {', '.join(ExitRequest.Kind.values)}.")
    if not reason.strip():
        raise ApplicationError("Give a reason for the exit.", code="reason_required")
    validator = Validator.objects.select_for_update().select_related("operator").get(pk=validator.pk)
    if validator.beacon_status in (Validator.BeaconStatus.EXITED, Validator.BeaconStatus.SLASHED):
        raise ApplicationError("This validator has already exited.", code="already_exited")
    if validator.exit_requests.filter(status=ExitRequest.Status.OPEN).exists():
        raise ApplicationError("This validator already has an open exit request.", code="exit_open")
    hours = int(settings.OPERATORS_EXIT_DEADLINE_HOURS[kind])
    exit_request = ExitRequest.objects.create(
        operator=validator.operator,
        validator=validator,
        kind=kind,
        reason=reason[:300],
        deadline=timezone.now() + timedelta(hours=hours),
        by=by,
    )
    audit_record(
        actor=by,
        action=f"operator.exit_{kind}",
        target=validator.operator,
        data={"validator": validator.pubkey, "deadline": exit_request.deadline.isoformat(), "reason": reason},
    )
    _mail_on_commit(
        validator.operator,
        f"{exit_request.get_kind_display()}: validator {validator.pubkey[:14]}…",
        f"Validator {validator.pubkey} must exit by {exit_request.deadline:%Y-%m-%d %H:%M} UTC.\n"
        f"Reason: {reason}\n\nExits honoured on time count towards your performance score.",
    )
    return exit_request


@transaction.atomic
def exit_request_cancel(*, exit_request: ExitRequest, by: User, reason: str) -> ExitRequest:
    exit_request = ExitRequest.objects.select_for_update().get(pk=exit_request.pk)
    if exit_request.status != ExitRequest.Status.OPEN:
        raise ApplicationError("Only an open exit request can be cancelled.", code="not_open")
    exit_request.status = ExitRequest.Status.CANCELLED
    exit_request.save(update_fields=["status", "updated_at"])
    audit_record(actor=by, action="operator.exit_cancelled", target=exit_request.operator, data={"reason": reason})
    return exit_request


def exit_requests_mark_seen(*, validator: Validator, seen_at: Any) -> None:
    """The beacon import saw the validator's exit: close its open request and record whether it was on time."""
    for exit_request in validator.exit_requests.select_for_update().filter(status=ExitRequest.Status.OPEN):
        exit_request.status = ExitRequest.Status.DONE
        exit_request.done_at = seen_at
        exit_request.on_time = seen_at <= exit_request.deadline
        exit_request.save(update_fields=["status", "done_at", "on_time", "updated_at"])
        audit_record(
            actor=None,
            action="operator.exit_done",
            target=exit_request.operator,
            data={"validator": validator.pubkey, "on_time": exit_request.on_time},
        )


def exit_requests_notify_overdue() -> int:
    """Mail each operator once for every open exit past its deadline. Returns how many were notified."""
    now = timezone.now()
    notified = 0
    for pk in ExitRequest.objects.filter(
        status=ExitRequest.Status.OPEN, deadline__lt=now, overdue_notified_at__isnull=True
    ).values_list("pk", flat=True):
        with transaction.atomic():
            # Claimed with a conditional UPDATE so two workers never mail twice.
            if not ExitRequest.objects.filter(pk=pk, overdue_notified_at__isnull=True).update(overdue_notified_at=now):
                continue
            exit_request = ExitRequest.objects.select_related("operator", "validator").get(pk=pk)
            audit_record(
                actor=None,
                action="operator.exit_overdue",
                target=exit_request.operator,
                data={"validator": exit_request.validator.pubkey},
            )
            _mail_on_commit(
                exit_request.operator,
                f"Overdue exit: validator {exit_request.validator.pubkey[:14]}…",
                f"The {exit_request.get_kind_display().lower()} of validator {exit_request.validator.pubkey} was due "
                f"by {exit_request.deadline:%Y-%m-%d %H:%M} UTC and has not been seen on the beacon chain. "
                "Late exits lower your performance score.",
            )
            notified += 1
    return notified


@transaction.atomic
def operator_cap_set(*, operator: OperatorProfile, cap: int, by: User, reason: str) -> OperatorProfile:
    """Set how many validators the operator may run (allocation never goes above it)."""
    if cap < 0:
        raise ApplicationError("The cap is a number of validators, 0 or more.", code="invalid_cap")
    if not reason.strip():
        raise ApplicationError("Give a reason for the new cap.", code="reason_required")
    operator = _lock(operator)
    before = operator.validator_cap
    operator.validator_cap = cap
    operator.save(update_fields=["validator_cap", "updated_at"])
    audit_record(
        actor=by,
        action="operator.cap_set",
        target=operator,
        before={"validator_cap": before},
        after={"validator_cap": cap},
        data={"reason": reason},
    )
    return operator


@transaction.atomic
def reward_adjustment_add(
    *, operator: OperatorProfile, epoch: int, amount_eth: Decimal, reason: str, by: User
) -> RewardAdjustment:
    if not reason.strip():
        raise ApplicationError("An adjustment needs a reason.", code="reason_required")
    row = RewardAdjustment.objects.create(operator=operator, epoch=epoch, amount_eth=amount_eth, reason=reason, by=by)
    audit_record(
        actor=by,
        action="operator.reward_adjusted",
        target=operator,
        data={"epoch": epoch, "amount_eth": str(amount_eth), "reason": reason},
    )
    return row


@transaction.atomic
def operator_score_refresh(*, operator: OperatorProfile, epoch_to: int | None = None) -> OperatorScore:
    """Compute the operator's score over the configured window ending at `epoch_to` (the last imported epoch)."""
    from operators.performance import compute_score
    from operators.selectors import latest_imported_epoch, performance_inputs

    end = epoch_to if epoch_to is not None else latest_imported_epoch() or 0
    start = max(0, end - settings.OPERATORS_SCORE_WINDOW_EPOCHS + 1)
    breakdown = compute_score(performance_inputs(operator=operator, epoch_from=start, epoch_to=end))
    # One history point per OPERATORS_SCORE_SNAPSHOT_SECONDS: within it the newest point is brought up to date,
    # so the chart grows by a few points a day, not one per epoch.
    recent = (
        OperatorScore.objects.select_for_update()
        .filter(
            operator=operator,
            formula_version=breakdown.formula_version,
            created_at__gte=timezone.now() - timedelta(seconds=settings.OPERATORS_SCORE_SNAPSHOT_SECONDS),
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if recent is not None:
        recent.epoch_from, recent.epoch_to, recent.score = start, end, breakdown.score
        recent.components = breakdown.as_json()
        recent.save(update_fields=["epoch_from", "epoch_to", "score", "components", "updated_at"])
        return recent
    return OperatorScore.objects.create(
        operator=operator,
        formula_version=breakdown.formula_version,
        epoch_from=start,
        epoch_to=end,
        score=breakdown.score,
        components=breakdown.as_json(),
    )
