"""Pages of the privacy app. Thin: selectors read, services write, `privacy.export` builds archives.

- /staff/privacy/: what is due for anonymisation, held, done (approvers and auditors: AUDIT_VIEW).
- legal hold set / clear and the staff export of a data subject: approvers only (CASE_APPROVE).
- /privacy/my-data/: any signed-in user downloads their own archive (self-service access request).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.decorators import capability_required
from accounts.permissions import user_has_capability
from accounts.roles import Capability
from core.exceptions import ApplicationError
from kyc.models import Application
from privacy import export, selectors, services


def _archive_response(handle: Any, *, subject_id: str) -> FileResponse:
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response = FileResponse(
        handle, as_attachment=True, filename=f"personal-data-{subject_id}-{stamp}.zip", content_type="application/zip"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@capability_required(Capability.AUDIT_VIEW)
def retention_overview(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    items = selectors.retention_items()
    due = sorted((i for i in items if i.is_due(now)), key=lambda i: (i.due_at or now, i.reference))
    upcoming = sorted(
        (i for i in items if not i.held and i.due_at is not None and i.due_at > now), key=lambda i: i.due_at or now
    )[:50]
    waiting = sum(1 for i in items if not i.held and i.due_at is None)
    return render(
        request,
        "privacy/retention.html",
        {
            "due": due,
            "upcoming": upcoming,
            "waiting_on_live_relationship": waiting,
            "held": list(selectors.retention_held()),
            "done": list(selectors.retention_done()),
            "can_hold": user_has_capability(request.user, services.HOLD_CAPABILITY),
            "settings_years": settings.PRIVACY_RETENTION_YEARS_AML,
            "settings_draft_days": settings.PRIVACY_DRAFT_RETENTION_DAYS,
        },
    )


def _application_by_reference(reference: str) -> Application | None:
    return Application.objects.filter(reference=reference.strip().upper()).first()


@capability_required(services.HOLD_CAPABILITY)
@require_POST
def legal_hold_set(request: HttpRequest) -> HttpResponse:
    reference = request.POST.get("reference", "")
    application = _application_by_reference(reference)
    if application is None:
        messages.error(
            request, f"reference: no application {reference.strip()!r}; enter a reference like CS-ABCD-1234."
        )
        return redirect("privacy:retention")
    try:
        services.legal_hold_set(application=application, by=request.user, reason=request.POST.get("reason", ""))  # type: ignore[arg-type]
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{application.reference} and its subject are on legal hold.")
    return redirect("privacy:retention")


@capability_required(services.HOLD_CAPABILITY)
@require_POST
def legal_hold_clear(request: HttpRequest, public_id: Any) -> HttpResponse:
    application = Application.objects.filter(public_id=public_id).first()
    if application is None:
        messages.error(request, "That application no longer exists.")
        return redirect("privacy:retention")
    try:
        services.legal_hold_clear(application=application, by=request.user, reason=request.POST.get("reason", ""))  # type: ignore[arg-type]
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The legal hold on {application.reference} is lifted.")
    return redirect("privacy:retention")


# The decorator is typed for HttpResponse; a streamed FileResponse passes through it unchanged.
@capability_required(services.HOLD_CAPABILITY)  # type: ignore[arg-type]
@require_POST
def staff_export(request: HttpRequest) -> HttpResponseBase:
    """An officer answers a subject access request: the archive includes the screening results, which the
    officer reviews before handing it over."""
    email = request.POST.get("email", "")
    subject = export.subject_find(email=email) if email.strip() else None
    if subject is None:
        messages.error(request, "email: no account has that e-mail address; enter the subject's sign-in e-mail.")
        return redirect("privacy:retention")
    handle = export.subject_export(subject=subject, by=request.user, include_screening=True)  # type: ignore[arg-type]
    return _archive_response(handle, subject_id=str(subject.public_id))


@login_required
def my_data(request: HttpRequest) -> HttpResponseBase:
    """Self-service: GET explains what the archive holds, POST downloads it (audited)."""
    if request.method == "POST":
        handle = export.subject_export(subject=request.user, by=request.user, include_screening=False)  # type: ignore[arg-type]
        return _archive_response(handle, subject_id=str(request.user.public_id))  # type: ignore[union-attr]
    return render(request, "privacy/my_data.html", {"applications": len(export.export_applications(request.user))})  # type: ignore[arg-type]
