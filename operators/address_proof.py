"""Proof that the operator controls a declared address, made inside the operator flow.

The operator signs a single-use EIP-4361 message (the same format, checks and signature recovery as a KYC
wallet proof, `kyc.siwe`) with the address. An address counts as proven when it is a proven wallet of the
linked application or when it carries such a proof here; submission and approval require every declared
address to be proven.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.audit import audit_record
from core.exceptions import ApplicationError
from kyc import siwe
from operators import states
from operators.models import OperatorAddress, OperatorProfile


def _refuse(reason: str, code: str) -> ApplicationError:
    return ApplicationError(f"The signature was refused: {reason}.", code=code, extra={"field": "signature"})


def address_is_proven(row: OperatorAddress, proven_on_application: set[str]) -> bool:
    """`proven_on_application`: lower-cased addresses of the linked application's proven wallets."""
    return row.proven_at is not None or row.address.lower() in proven_on_application


def proven_application_wallets(operator: OperatorProfile) -> set[str]:
    app = operator.kyc_application
    if app is None:
        return set()
    return {a.lower() for a in app.wallets.filter(verified_at__isnull=False).values_list("address", flat=True)}


@transaction.atomic
def operator_address_challenge_issue(*, row: OperatorAddress, by: User, domain: str, uri: str) -> str:
    """A fresh single-use message for `row`'s address, valid KYC_WALLET_CHALLENGE_TTL_SECONDS. Replaces any
    earlier unused one. Only while the operator may change its addresses (draft, changes requested)."""
    row = OperatorAddress.objects.select_for_update().select_related("operator").get(pk=row.pk)
    if row.operator.status not in states.OPERATOR_EDITABLE:
        raise ApplicationError(
            f"Addresses cannot be proven while the operator is {row.operator.get_status_display().lower()}.",
            code="not_editable",
        )
    if row.proven_at is not None:
        raise ApplicationError(f"{row.address} is already proven.", code="already_proven")
    now = timezone.now()
    expires = now + dt.timedelta(seconds=settings.KYC_WALLET_CHALLENGE_TTL_SECONDS)
    nonce = secrets.token_hex(16)
    message = siwe.build(
        domain=settings.KYC_SIWE_DOMAIN or domain,
        address=row.address,
        uri=uri,
        chain_id=next(iter(settings.KYC_WALLET_CHAIN_IDS)),
        nonce=nonce,
        issued_at=now,
        expires_at=expires,
    ).render()
    row.proof_nonce = nonce
    row.proof_expires_at = expires
    row.proof_message = message
    row.save(update_fields=["proof_nonce", "proof_expires_at", "proof_message", "updated_at"])
    audit_record(
        actor=by,
        action="operator.address_challenge_issued",
        target=row.operator,
        data={"address": row.address, "nonce": nonce},
    )
    return message


@transaction.atomic
def operator_address_proof_verify(*, row: OperatorAddress, by: User, message: str, signature: str) -> OperatorAddress:
    """Accept a signature over the issued message and mark the address proven. Refuses, each with its reason: a
    message that is not the one issued (or was already used), an expired one, a malformed signature, or one
    made by another account."""
    row = OperatorAddress.objects.select_for_update().select_related("operator").get(pk=row.pk)
    if row.operator.status not in states.OPERATOR_EDITABLE:
        raise ApplicationError(
            f"Addresses cannot be proven while the operator is {row.operator.get_status_display().lower()}.",
            code="not_editable",
        )
    try:
        signed = siwe.parse(message)
    except siwe.SiweParseError as exc:
        raise _refuse(f"the message is not the portal's sign-in message ({exc})", "not_siwe") from exc
    if not row.proof_nonce or signed.nonce != row.proof_nonce:
        raise _refuse("this message was not issued for this address or was already used; request a new one", "nonce")
    now = timezone.now()
    if row.proof_expires_at is None or row.proof_expires_at <= now:
        raise _refuse("the message expired; request a new one and sign it at once", "expired")
    if message.replace("\r\n", "\n").strip() != row.proof_message.strip():
        raise _refuse("the signed text differs from the message the portal issued; sign it unchanged", "altered")
    try:
        raw = siwe.signature_bytes(signature)
    except siwe.SignatureFormatError as exc:
        raise _refuse(str(exc), "malformed_signature") from exc
    signer = siwe.recover_signer(row.proof_message, raw)
    if signer is None:
        raise _refuse("it is not a valid 65-byte signature by an ordinary account", "malformed_signature")
    if signer.lower() != row.address.lower():
        raise _refuse(f"it was made by {signer}, not by {row.address}", "forged")
    row.proven_at = now
    row.proof_signature = "0x" + raw.hex()
    row.proof_nonce = ""
    row.save(update_fields=["proven_at", "proof_signature", "proof_nonce", "updated_at"])
    audit_record(actor=by, action="operator.address_proven", target=row.operator, data={"address": row.address})
    return row
