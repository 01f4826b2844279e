"""Notifications: e-mails to applicants on every status change that concerns them (sent after commit), and
in-portal notifications for officers (rows written in the caller's transaction, so a rolled-back event
notifies nobody)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, RoleAssignment, User
from accounts.roles import ROLE_CAPABILITIES, Capability
from kyc.editing import SECTION_LABELS
from kyc.models import Application, Document, Notification

S = Application.Status
NOTIFIED = frozenset({S.APPROVED, S.REJECTED, S.INFORMATION_REQUESTED, S.REVOKED, S.EXPIRED})


def site_url(path: str) -> str:
    """An absolute link for e-mails: SITE_URL (where the portal is reached) plus the path."""
    return str(settings.SITE_URL).rstrip("/") + path


def requested_item_label(item: object) -> str:
    """ "documents:articles" reads "Documents: Articles of association"; a section key reads as its label."""
    section, _, kind = str(item).partition(":")
    label = SECTION_LABELS.get(section, section)
    if section == "documents" and kind in Document.Kind.values:
        return f"{label}: {Document.Kind(kind).label}"
    return f"{label}: {kind}" if kind else label


def _recipients(application: Application) -> list[str]:
    if application.organisation_id:
        emails = list(application.organisation.memberships.values_list("user__email", flat=True))  # type: ignore[union-attr]
        return sorted(set(emails) | {application.applicant.email})
    return [application.applicant.email]


def applicant_notify(application: Application, *, message: str = "") -> None:
    """Queue the e-mail for the application's current status (on commit, so a rolled-back decision sends
    nothing)."""
    if application.status not in NOTIFIED:
        return
    items = [requested_item_label(i) for i in application.requested_items]
    body = render_to_string(
        "kyc/email/status_changed.txt",
        {
            "application": application,
            "message": message,
            "items": items,
            "url": site_url(reverse("kyc:status", args=[application.public_id])),
        },
    )
    subject = f"Your application {application.reference}: {application.get_status_display().lower()}"
    recipients = _recipients(application)
    transaction.on_commit(lambda: send_mail(subject, body, None, recipients), robust=True)


def expiry_warning_send(application: Application) -> None:
    """Invite the applicant to re-verify before the approval runs out (after commit): the link opens the approved
    case, where one button starts the renewal pre-filled from it."""
    url = site_url(reverse("kyc:status", kwargs={"public_id": application.public_id})) + "#renew"
    subject = f"Your approval {application.reference} ends on {application.valid_until:%d %B %Y}"
    body = render_to_string("kyc/email/expiry_warning.txt", {"application": application, "url": url})
    recipients = _recipients(application)
    transaction.on_commit(lambda: send_mail(subject, body, None, recipients), robust=True)


# --- officers (in the portal) ------------------------------------------------------------------------------


def officers_with(capability: str) -> QuerySet[User]:
    """Active staff who hold `capability` through a role and have set up TOTP: the same test as
    `user_has_capability`, done in SQL for everyone at once."""
    from allauth.mfa.models import Authenticator

    roles = [role for role, caps in ROLE_CAPABILITIES.items() if capability in caps]
    # Subqueries rather than joins: one row per user, so callers can annotate counts without duplicates.
    holders = RoleAssignment.objects.filter(role__in=roles).values("user_id")
    with_totp = Authenticator.objects.filter(type=Authenticator.Type.TOTP).values("user_id")
    return User.objects.filter(is_active=True, pk__in=holders).filter(pk__in=with_totp)


def officers_independent_of(users: QuerySet[User], application: Application | None) -> QuerySet[User]:
    """Leave out the applicant and members of its organisation: they may not see their own case's work."""
    if application is None:
        return users
    users = users.exclude(pk=application.applicant_id)
    if application.organisation_id:
        colleagues = Membership.objects.filter(organisation_id=application.organisation_id).values("user_id")
        users = users.exclude(pk__in=colleagues)
    return users


def case_path(application: Application | None) -> str:
    return reverse("kyc:case", args=[application.public_id]) if application is not None else ""


def notify_officers(
    *, application: Application | None, title: str, body: str = "", capability: str = Capability.CASE_REVIEW
) -> int:
    """Notify every officer holding `capability` (active, with MFA, not from the applicant's organisation)
    about `application`; returns how many were notified. Runs in the caller's transaction."""
    recipients = list(officers_independent_of(officers_with(capability), application).values_list("pk", flat=True))
    link = case_path(application)
    Notification.objects.bulk_create(
        [
            Notification(recipient_id=pk, application=application, title=title[:200], body=body, link=link)
            for pk in recipients
        ]
    )
    return len(recipients)


def notify_user(*, user: User, application: Application | None, title: str, body: str = "") -> Notification:
    """Notify one officer (the assignee of a case, for instance)."""
    return Notification.objects.create(
        recipient=user, application=application, title=title[:200], body=body, link=case_path(application)
    )


def notifications_unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_mark_read(*, user: User, ids: list[int] | None = None, application: Application | None = None) -> int:
    """Mark the user's unread notifications read: those in `ids`, those about `application` (opening the case
    reads them), or all of them; returns how many changed. Scoped to the recipient, so nobody can mark someone
    else's."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if application is not None:
        qs = qs.filter(application=application)
    return qs.update(read_at=timezone.now())
