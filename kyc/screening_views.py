"""HTTP side of the case's screening: the Sumsub webhook (public, signed) and the staff re-run action. Thin: the
screening adapter verifies and records the event, `kyc.screening_flow` moves the case on."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.decorators import object_capability
from accounts.roles import Capability
from core.exceptions import ApplicationError
from kyc.models import Application
from kyc.screening_flow import case_screening_rerun


@csrf_exempt  # the caller is Sumsub, not a browser: the payload digest authenticates it instead
@require_POST
def sumsub_webhook(request: HttpRequest) -> HttpResponse:
    """Anyone may call it; only a body signed with SUMSUB_WEBHOOK_SECRET changes anything. A forged, unsigned or
    unparseable call is a 401 and is not stored; a duplicate is answered 200 so Sumsub stops resending it."""
    from screening.webhooks import WebhookRejected, sumsub_webhook_receive

    try:
        receipt = sumsub_webhook_receive(body=request.body, headers=request.headers)
    except WebhookRejected as exc:
        return JsonResponse({"error": exc.reason}, status=401)
    return JsonResponse({"status": receipt.status, "outcome": receipt.outcome})


@require_POST
@object_capability(Capability.CASE_REVIEW)
def case_screening_rerun_view(request: HttpRequest, public_id: str) -> HttpResponse:
    case = get_object_or_404(Application, public_id=public_id)
    user: Any = request.user
    try:
        checks = case_screening_rerun(application=case, by=user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if checks:
            messages.success(request, f"{case.reference}: {len(checks)} screening check(s) started again.")
        else:
            messages.success(request, f"{case.reference}: screening started again for whatever is missing.")
    return redirect("kyc:case", public_id=case.public_id)
