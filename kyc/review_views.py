"""Staff pages of the compliance review: the queue and the case page with its decision panel. Thin: the
queue selectors read, the review services write."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import user_has_capability
from accounts.roles import Capability
from core.exceptions import ApplicationError
from kyc import adjudication, queue, review
from kyc.editing import SECTION_LABELS
from kyc.models import Application, RiskLevel, SubjectType


def staff_only(capability: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed-in people without the capability get a 404: case URLs do not confirm that a case exists."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_has_capability(request.user, capability):
                raise Http404
            return view(request, *args, **kwargs)

        wrapped.required_capability = capability  # type: ignore[attr-defined]
        return wrapped

    return decorator


@staff_only(Capability.CASE_VIEW)
def case_queue(request: HttpRequest) -> HttpResponse:
    filters = queue.QueueFilters.from_params(request.GET)
    page = Paginator(queue.queue_cases(filters, user=request.user), settings.KYC_QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    cases = list(page.object_list)
    for case in cases:
        case.overdue = queue.is_overdue(case)  # type: ignore[attr-defined]
    return render(
        request,
        "kyc/review/queue.html",
        {
            "page": page,
            "cases": cases,
            "filters": filters,
            "counts": queue.queue_counts(),
            "statuses": Application.Status.choices,
            "levels": RiskLevel.choices,
            "types": SubjectType.choices,
        },
    )


@staff_only(Capability.CASE_VIEW)
def case_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    case = get_object_or_404(
        Application.objects.select_related("assignee", "applicant", "organisation"), public_id=public_id
    )
    return render(
        request,
        "kyc/review/case.html",
        {
            "case": case,
            "people": case.people.all(),
            "documents": case.documents.all(),
            "wallets": case.wallets.all(),
            "transitions": case.transitions.select_related("by"),
            "approvals": case.approvals.select_related("by"),
            "decisions": case.decisions.select_related("by"),
            "hits": adjudication.case_hits(case),
            "adjudications": case.adjudications.select_related("by"),
            "sections": SECTION_LABELS,
            "levels": RiskLevel.choices,
            "reason_codes": settings.KYC_REJECTION_REASON_CODES,
            "can_review": user_has_capability(request.user, Capability.CASE_REVIEW),
            "can_approve": user_has_capability(request.user, Capability.CASE_APPROVE),
        },
    )


@require_POST
@staff_only(Capability.CASE_VIEW)
def case_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    case = get_object_or_404(Application, public_id=public_id)
    user: Any = request.user
    post = request.POST
    actions: dict[str, Callable[[], Application]] = {
        "claim": lambda: review.case_claim(application=case, by=user),
        "release": lambda: review.case_release(application=case, by=user),
        "approve": lambda: review.case_approve(
            application=case, by=user, reason=post.get("reason", ""), risk_level=post.get("risk_level") or None
        ),
        "reject": lambda: review.case_reject(
            application=case,
            by=user,
            reason_code=post.get("reason_code", ""),
            internal_note=post.get("internal_note", ""),
            applicant_message=post.get("applicant_message", ""),
        ),
        "request_information": lambda: review.case_request_information(
            application=case, by=user, items=post.getlist("items"), message=post.get("message", "")
        ),
        "adjudicate": lambda: (
            adjudication.hit_adjudicate(
                application=case,
                by=user,
                hit_id=int(post.get("hit", "0") or 0) if post.get("hit", "0").isdigit() else 0,
                ruling=post.get("ruling", ""),
                rationale=post.get("rationale", ""),
            ).application
        ),
        "revoke": lambda: review.case_revoke(
            application=case, by=user, reason_code=post.get("reason_code", ""), reason=post.get("reason", "")
        ),
    }
    if action not in actions:
        raise Http404
    try:
        result = actions[action]()
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{result.reference}: {result.get_status_display()}.")
    return redirect("kyc:case", public_id=case.public_id)
