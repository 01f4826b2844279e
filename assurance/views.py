"""Staff pages of the integrity check: the latest result and its history, each run's violations, and a re-run."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import object_capability
from accounts.roles import Capability
from assurance.models import VerificationRun
from core.audit import audit_record


@object_capability(Capability.ASSURANCE_VIEW)
def overview(request: HttpRequest) -> HttpResponse:
    runs = list(VerificationRun.objects.all()[:30])
    return render(request, "assurance/overview.html", {"latest": runs[0] if runs else None, "runs": runs})


@object_capability(Capability.ASSURANCE_VIEW)
def verification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(VerificationRun, pk=pk)
    return render(request, "assurance/verification.html", {"run": run})


@require_POST
@object_capability(Capability.ASSURANCE_VIEW)
def run_now(request: HttpRequest) -> HttpResponse:
    """Queue a check (it reads the whole chain, so the worker runs it, not the request)."""
    from assurance.tasks import compliance_verify_task

    audit_record(actor=request.user, action="assurance.run_requested")
    try:
        compliance_verify_task.delay()
    except Exception:  # noqa: BLE001 - a broker outage must not lose the request silently; the daily run stays
        messages.error(request, "The check could not be queued (the task queue is unavailable); try again later.")
    else:
        messages.success(request, "The check is queued; its result appears here when the worker has run it.")
    return redirect("assurance:overview")
