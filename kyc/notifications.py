"""E-mails to applicants on every status change that concerns them (sent after commit)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from kyc.editing import SECTION_LABELS
from kyc.models import Application

S = Application.Status
NOTIFIED = frozenset({S.APPROVED, S.REJECTED, S.INFORMATION_REQUESTED, S.REVOKED, S.EXPIRED})


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
    items = [SECTION_LABELS.get(str(i).split(":", 1)[0], str(i)) for i in application.requested_items]
    body = render_to_string(
        "kyc/email/status_changed.txt",
        {
            "application": application,
            "message": message,
            "items": items,
            # An absolute link when the deployment names its address (SITE_URL), a path otherwise.
            "url": str(getattr(settings, "SITE_URL", "")).rstrip("/")
            + reverse("kyc:status", args=[application.public_id]),
        },
    )
    subject = f"Your application {application.reference}: {application.get_status_display().lower()}"
    recipients = _recipients(application)
    transaction.on_commit(lambda: send_mail(subject, body, None, recipients))


def expiry_warning_send(application: Application) -> None:
    """Invite the applicant to re-verify before the approval runs out (after commit)."""
    url = str(getattr(settings, "SITE_URL", "")).rstrip("/") + reverse("kyc:new")
    subject = f"Your approval {application.reference} ends on {application.valid_until:%d %B %Y}"
    body = render_to_string("kyc/email/expiry_warning.txt", {"application": application, "url": url})
    recipients = _recipients(application)
    transaction.on_commit(lambda: send_mail(subject, body, None, recipients))
