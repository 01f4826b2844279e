"""Inviting colleagues into an organisation by e-mail, so several people work on one application."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Membership, Organisation, OrganisationInvitation, User
from core.audit import audit_digest, audit_label, audit_record
from core.exceptions import ApplicationError

INVITATION_DAYS = 7


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def organisation_invitation_create(
    *, organisation: Organisation, email: str, role: str = Membership.Role.MEMBER, by: User, accept_url_base: str
) -> tuple[OrganisationInvitation, str]:
    """Invite `email` (owners only). The e-mail with the link `accept_url_base + token + "/"` is sent after
    commit. Returns the invitation and its token (shown to nobody else)."""
    if not Membership.objects.filter(organisation=organisation, user=by, role=Membership.Role.OWNER).exists():
        raise ApplicationError("Only an owner of the organisation can invite colleagues.", code="not_owner")
    email = User.objects.normalize_email(email).strip().lower()
    if role not in Membership.Role.values:
        raise ApplicationError(
            f"Choose a role: {', '.join(Membership.Role.values)}.", code="role", extra={"field": "role"}
        )
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ApplicationError(
            f"{email} is already a member of {organisation.name}.", code="already_member", extra={"field": "email"}
        )
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            invitation = OrganisationInvitation.objects.create(
                organisation=organisation,
                email=email,
                role=role,
                token_hash=_hash(token),
                invited_by=by,
                expires_at=timezone.now() + dt.timedelta(days=INVITATION_DAYS),
            )
    except IntegrityError as exc:
        raise ApplicationError(
            f"{email} already has an open invitation; revoke it first to send a new one.",
            code="already_invited",
            extra={"field": "email"},
        ) from exc
    # The invitee has no account yet: named by the invitation's id and a keyed digest of the address, never the
    # address itself (the trail outlives personal data).
    audit_record(
        actor=by,
        action="organisation.member_invited",
        target=organisation,
        after={"invitation": str(invitation.public_id), "email_digest": audit_digest(email), "role": role},
    )
    link = f"{accept_url_base}{token}/"
    body = render_to_string(
        "accounts/email/invitation.txt",
        {"organisation": organisation, "inviter": by, "link": link, "days": INVITATION_DAYS},
    )
    subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{by.get_full_name()} invites you to {organisation.name}"
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]), robust=True)
    return invitation, token


def organisation_invitation_get(*, token: str, user: User) -> OrganisationInvitation | None:
    """The open invitation behind `token` addressed to this user's e-mail, else None (never says which)."""
    invitation = (
        OrganisationInvitation.objects.select_related("organisation", "invited_by")
        .filter(token_hash=_hash(token), email__iexact=user.email)
        .first()
    )
    return invitation


@transaction.atomic
def organisation_invitation_accept(*, invitation: OrganisationInvitation, user: User) -> Membership:
    invitation = OrganisationInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.email.lower() != user.email.lower():
        raise ApplicationError("This invitation was sent to another e-mail address.", code="wrong_user")
    if invitation.accepted_at is not None:
        raise ApplicationError("This invitation has already been used.", code="used")
    if invitation.revoked_at is not None:
        raise ApplicationError("This invitation was withdrawn; ask the owner for a new one.", code="revoked")
    if invitation.expires_at <= timezone.now():
        raise ApplicationError(
            f"This invitation expired on {invitation.expires_at:%d %b %Y}; ask the owner for a new one.", code="expired"
        )
    if user.role_assignments.exists():
        raise ApplicationError("Staff accounts cannot belong to an applicant organisation.", code="staff_cannot_apply")
    membership, _ = Membership.objects.get_or_create(
        organisation=invitation.organisation, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    audit_record(
        actor=user,
        action="organisation.member_added",
        target=invitation.organisation,
        after={
            "user": audit_label(user),
            "role": membership.role,
            "invitation": str(invitation.public_id),
            "invited_by": audit_label(invitation.invited_by),
        },
    )
    return membership


@transaction.atomic
def organisation_invitation_revoke(*, invitation: OrganisationInvitation, by: User) -> None:
    invitation = OrganisationInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not Membership.objects.filter(
        organisation=invitation.organisation, user=by, role=Membership.Role.OWNER
    ).exists():
        raise ApplicationError("Only an owner of the organisation can withdraw invitations.", code="not_owner")
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        return
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    audit_record(
        actor=by,
        action="organisation.invitation_revoked",
        target=invitation.organisation,
        before={"invitation": str(invitation.public_id), "email_digest": audit_digest(invitation.email)},
    )
