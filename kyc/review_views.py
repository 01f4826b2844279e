"""Staff pages of the compliance review: the queue, the case page with its decision panel, officers'
notifications, and the risk settings (FATF listings, rule-set versions). Thin: selectors read, services write."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import object_capability
from accounts.models import User
from accounts.permissions import user_has_capability
from accounts.roles import Capability
from core.exceptions import ApplicationError
from kyc import notifications, queue, review, review_selectors, risk
from kyc import selectors as kyc_selectors
from kyc.countries import COUNTRY_CHOICES
from kyc.editing import SECTION_LABELS
from kyc.models import (
    Application,
    CountryRisk,
    Document,
    HitAdjudication,
    Notification,
    RiskLevel,
    RiskRuleSet,
    SubjectType,
)

S = Application.Status
# Where a case can be handed to another reviewer (kyc.review.case_reassign checks it again).
REASSIGNABLE = frozenset({S.READY_FOR_REVIEW, S.IN_REVIEW, S.RESUBMITTED})


# --- queue ------------------------------------------------------------------------------------------------------


@object_capability(Capability.CASE_VIEW)
def case_queue(request: HttpRequest) -> HttpResponse:
    filters = queue.QueueFilters.from_params(request.GET)
    page = queue.queue_page(
        filters, user=request.user, number=request.GET.get("page", "1"), size=settings.KYC_QUEUE_PAGE_SIZE
    )
    cases = page.cases
    for case in cases:
        case.overdue = queue.is_overdue(case)  # type: ignore[attr-defined]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "kyc/review/queue.html",
        {
            "page": page,
            "cases": cases,
            "filters": filters,
            "query": params.urlencode(),
            "counts": page.counts,
            "statuses": [(v, label) for v, label in S.choices if v != S.DRAFT],
            "levels": RiskLevel.choices,
            "types": SubjectType.choices,
            "sorts": queue.SORT_LABELS.items(),
            "reviewers": list(notifications.officers_with(Capability.CASE_REVIEW).order_by("email")),
        },
    )


# --- case page --------------------------------------------------------------------------------------------------


def _preview_kind(document: Document) -> str:
    if document.content_type == "application/pdf":
        return "pdf"
    if document.content_type.startswith("image/"):
        return "image"
    return ""


@object_capability(Capability.CASE_VIEW)
def case_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    from kyc.screening_flow import case_checks

    user: Any = request.user
    case = get_object_or_404(
        Application.objects.select_related("assignee", "applicant", "organisation", "company"), public_id=public_id
    )
    people = list(case.people.all())
    documents = list(case.documents.select_related("person"))
    for document in documents:
        document.preview = _preview_kind(document)  # type: ignore[attr-defined]
    wallets = list(case.wallets.all())
    decisions = list(case.decisions.select_related("by"))
    can_review = user_has_capability(user, Capability.CASE_REVIEW)
    can_approve = user_has_capability(user, Capability.CASE_APPROVE)
    is_assignee = case.assignee_id == user.pk
    deciding = (case.status == S.IN_REVIEW and is_assignee) or (
        case.status == S.PENDING_SECOND_APPROVAL and can_approve
    )
    # Opening the case is reading what was sent about it.
    notifications.notifications_mark_read(user=user, application=case)
    checks = case_checks(case)
    labels = {check.subject_ref: check.subject_label for check in checks}  # type: ignore[attr-defined]
    hits = review_selectors.case_hits_with_rulings(case)
    for hit in hits:
        hit.subject_label = labels.get(hit.check_run.subject_ref, hit.check_run.subject_ref)
    return render(
        request,
        "kyc/review/case.html",
        {
            "case": case,
            "company": getattr(case, "company", None) if case.is_company else None,
            "people": people,
            "documents": documents,
            "document_flags": kyc_selectors.application_document_flags(application=case, documents=list(documents)),
            "wallets": wallets,
            "wallets_claimed_elsewhere": review_selectors.case_wallets_claimed_elsewhere(case, wallets),
            "approvals": case.approvals.select_related("by"),
            "decisions": decisions,
            "hits": hits,
            "open_hit_count": sum(1 for h in hits if h.is_open),
            "rulings": HitAdjudication.Ruling.choices,
            "checks": checks,
            "notes": case.notes.select_related("author"),
            "timeline": review_selectors.case_timeline(
                case, people=people, wallets=wallets, documents=documents, decisions=decisions
            ),
            "blockers": review.case_approval_blockers(case) if deciding else [],
            "sections": SECTION_LABELS,
            "document_kinds": Document.Kind.choices,
            "requested": [notifications.requested_item_label(i) for i in case.requested_items],
            "levels": [(v, label) for v, label in RiskLevel.choices if v != RiskLevel.PROHIBITED],
            "reason_codes": settings.KYC_REJECTION_REASON_CODES,
            "can_review": can_review,
            "can_approve": can_approve,
            "is_assignee": is_assignee,
            "can_claim": can_review
            and case.status in (S.READY_FOR_REVIEW, S.RESUBMITTED)
            and case.assignee_id in (None, user.pk),
            "can_decide": deciding,
            # In review the assignee rules; on an approved case (a monitoring hit) any independent reviewer.
            "can_rule": can_review
            and (
                (case.status == S.IN_REVIEW and is_assignee)
                or (case.status == S.APPROVED and any(h.is_open for h in hits) and review.is_independent(case, user))
            ),
            "can_release": is_assignee and case.status in REASSIGNABLE,
            "reassign_to": (
                list(
                    notifications.officers_independent_of(notifications.officers_with(Capability.CASE_REVIEW), case)
                    .exclude(pk=case.assignee_id or 0)
                    .order_by("email")
                )
                if can_approve and case.status in REASSIGNABLE
                else []
            ),
        },
    )


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0


def _reassign(case: Application, by: Any, to_id: str | None) -> Application:
    to = User.objects.filter(pk=_int(to_id)).first()
    if to is None:
        raise ApplicationError("assignee: choose the reviewer to hand the case to.", code="invalid_assignee")
    return review.case_reassign(application=case, by=by, to=to)


@require_POST
@object_capability(Capability.CASE_REVIEW)  # the read-only auditor views cases but never acts on them
def case_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    case = get_object_or_404(Application, public_id=public_id)
    user: Any = request.user
    post = request.POST
    actions: dict[str, Callable[[], Any]] = {
        "claim": lambda: review.case_claim(application=case, by=user),
        "release": lambda: review.case_release(application=case, by=user),
        "reassign": lambda: _reassign(case, user, post.get("assignee")),
        "approve": lambda: review.case_approve(
            application=case,
            by=user,
            reason=post.get("reason", ""),
            risk_level=post.get("risk_level") or None,
            override_reason=post.get("override_reason", ""),
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
        "adjudicate": lambda: review.case_hit_adjudicate(
            application=case,
            by=user,
            hit_id=_int(post.get("hit")),
            ruling=post.get("ruling", ""),
            rationale=post.get("rationale", ""),
        ),
        "note": lambda: review.case_note_add(application=case, by=user, body=post.get("body", "")),
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
        done = {
            "adjudicate": "Ruling recorded.",
            "note": "Note added.",
            "reassign": f"{case.reference} handed to {getattr(result, 'assignee', None)}.",
        }
        messages.success(request, done.get(action) or f"{result.reference}: {result.get_status_display().lower()}.")
    return redirect(reverse("kyc:case", args=[case.public_id]) + ("#hits" if action == "adjudicate" else ""))


# --- notifications ----------------------------------------------------------------------------------------------


@object_capability(Capability.STAFF_AREA)
def notification_list(request: HttpRequest) -> HttpResponse:
    """The signed-in officer's own notifications, newest first."""
    user: Any = request.user
    qs = Notification.objects.filter(recipient=user).select_related("application")
    if request.GET.get("unread") == "1":
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "kyc/review/notifications.html",
        {"page": page, "items": list(page.object_list), "unread_only": request.GET.get("unread") == "1"},
    )


@require_POST
@object_capability(Capability.STAFF_AREA)
def notification_mark_read(request: HttpRequest) -> HttpResponse:
    """Mark one (`id`) or all of the officer's notifications read; another officer's ids change nothing."""
    user: Any = request.user
    ids = [_int(i) for i in request.POST.getlist("id") if _int(i)]
    if request.POST.get("all") == "1":
        changed = notifications.notifications_mark_read(user=user)
    elif ids:
        changed = notifications.notifications_mark_read(user=user, ids=ids)
    else:
        messages.error(request, "Choose a notification to mark read, or mark all read.")
        return redirect("kyc:notifications")
    messages.success(request, f"{changed} notification{'s' if changed != 1 else ''} marked read.")
    return redirect("kyc:notifications")


# --- risk settings ----------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@object_capability(Capability.CASE_VIEW)
def country_risk_list(request: HttpRequest) -> HttpResponse:
    """The FATF listings with their periods; senior officers (case.approve) record a change from a date."""
    user: Any = request.user
    can_edit = user_has_capability(user, Capability.CASE_APPROVE)
    form: dict[str, str] = {}
    if request.method == "POST":
        if not can_edit:
            raise Http404
        form = {k: request.POST.get(k, "").strip() for k in ("country", "fatf_status", "effective_from", "source")}
        try:
            try:
                effective_from = dt.date.fromisoformat(form["effective_from"])
            except ValueError:
                raise ApplicationError(
                    f"effective_from: give the date the change takes effect as YYYY-MM-DD "
                    f"({form['effective_from'] or 'nothing'} given).",
                    code="invalid_date",
                ) from None
            status = form["fatf_status"]
            if status not in (*CountryRisk.FatfStatus.values, "delisted"):
                raise ApplicationError(
                    "fatf_status: choose a list, or 'no longer listed' to take the country off.",
                    code="invalid_status",
                )
            risk.country_risk_set(
                country=form["country"],
                fatf_status=None if status == "delisted" else status,
                effective_from=effective_from,
                source=form["source"],
                by=user,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{form['country'].upper()}: listing recorded from {effective_from:%Y-%m-%d}.")
            return redirect("kyc:country_risk")
    today = timezone.localdate()
    rows = list(CountryRisk.objects.order_by("country", "-effective_from"))
    names = dict(COUNTRY_CHOICES)
    for row in rows:
        row.name = names.get(row.country, row.country)  # type: ignore[attr-defined]
        row.in_force = row.effective_from <= today and (row.effective_to is None or row.effective_to > today)  # type: ignore[attr-defined]
    return render(
        request,
        "kyc/review/country_risk.html",
        {
            "rows": rows,
            "in_force": [r for r in rows if r.in_force],  # type: ignore[attr-defined]
            "statuses": CountryRisk.FatfStatus.choices,
            "countries": COUNTRY_CHOICES,
            "can_edit": can_edit,
            "form": form,
            "today": today,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@object_capability(Capability.CASE_VIEW)
def risk_rules(request: HttpRequest) -> HttpResponse:
    """Every version of the risk rule set; senior officers publish a new one (earlier versions never change)."""
    user: Any = request.user
    can_edit = user_has_capability(user, Capability.CASE_APPROVE)
    current = risk.current_rules()
    text = json.dumps(current.rules, indent=2)
    note = ""
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise Http404
        text, note = request.POST.get("rules", ""), request.POST.get("note", "")
        try:
            try:
                rules = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ApplicationError(
                    f"rules: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.", code="invalid_json"
                ) from None
            published = risk.risk_rules_publish(rules=rules, by=user, note=note)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            status = 400
        else:
            messages.success(request, f"Risk rules version {published.version} published; new assessments use it.")
            return redirect("kyc:risk_rules")
    versions = list(RiskRuleSet.objects.select_related("created_by").order_by("-version"))
    for version in versions:
        version.pretty = json.dumps(version.rules, indent=2)  # type: ignore[attr-defined]
    return render(
        request,
        "kyc/review/risk_rules.html",
        {"versions": versions, "current": current, "text": text, "note": note, "can_edit": can_edit},
        status=status,
    )
