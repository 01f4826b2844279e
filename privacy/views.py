"""Pages of the privacy app. Thin: selectors read, services write, `privacy.export` builds archives.

- /staff/privacy/: what is due for anonymisation, held, done (approvers and auditors: AUDIT_VIEW).
- legal hold set / clear and the staff export of a data subject: approvers only (CASE_APPROVE).
- /privacy/my-data/: any signed-in user asks for their own archive (self-service access request).
- /privacy/exports/<id>/: the archive, built by a task, for whoever asked for it, until it expires.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.decorators import capability_required
from accounts.permissions import user_has_capability
from accounts.roles import Capability
from core.exceptions import ApplicationError
from kyc.models import Application
from privacy import export, selectors, services


@capability_required(Capability.AUDIT_VIEW)
def retention_overview(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    # Holds and subject access exports are the same officers' (the approvers').
    can_export = user_has_capability(request.user, services.HOLD_CAPABILITY)
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
            "can_hold": can_export,
            "settings_years": settings.PRIVACY_RETENTION_YEARS_AML,
            "settings_draft_days": settings.PRIVACY_DRAFT_RETENTION_DAYS,
            "exports": selectors.data_exports_of(requester=request.user) if can_export else [],
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


def _request_export(request: HttpRequest, *, subject: Any, include_screening: bool) -> None:
    try:
        services.data_export_request(subject=subject, by=request.user, include_screening=include_screening)  # type: ignore[arg-type]
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            "The archive is being prepared. Its download link appears on this page when it is ready (usually "
            "within minutes), and you will get an e-mail.",
        )


@capability_required(services.HOLD_CAPABILITY)
@require_POST
def staff_export(request: HttpRequest) -> HttpResponse:
    """An officer answers a subject access request: the archive includes the screening results, which the
    officer reviews before handing it over. Built in the background; the link appears on the retention page."""
    email = request.POST.get("email", "")
    subject = export.subject_find(email=email) if email.strip() else None
    if subject is None:
        messages.error(request, "email: no account has that e-mail address; enter the subject's sign-in e-mail.")
        return redirect("privacy:retention")
    _request_export(request, subject=subject, include_screening=True)
    return redirect("privacy:retention")


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    """Self-service: GET explains what the archive holds and lists the archives asked for, POST asks for one
    (built in the background, rate limited, audited)."""
    if request.method == "POST":
        _request_export(request, subject=request.user, include_screening=False)
        return redirect("privacy:my_data")
    return render(
        request,
        "privacy/my_data.html",
        {
            "applications": len(export.export_applications(request.user)),  # type: ignore[arg-type]
            "exports": selectors.data_exports_of(requester=request.user, subject=request.user),
            "per_day": settings.PRIVACY_EXPORTS_PER_DAY,
            "ttl_hours": settings.PRIVACY_EXPORT_TTL_HOURS,
        },
    )


@login_required
def export_download(request: HttpRequest, export_id: Any) -> HttpResponseBase:
    """The archive, for the person who asked for it only, while it has not expired; anything else is a 404."""
    archive = selectors.data_export_get_for_download(user=request.user, public_id=export_id)
    if archive is None:
        raise Http404("No archive of yours has this id, or it has expired.")
    services.data_export_downloaded(export=archive, by=request.user)  # type: ignore[arg-type]
    response = FileResponse(
        archive.file.open("rb"), as_attachment=True, filename=archive.filename, content_type="application/zip"
    )
    response["Cache-Control"] = "private, no-store"
    return response
