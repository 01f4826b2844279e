from __future__ import annotations

from typing import cast

from allauth.account.models import EmailAddress
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.decorators import capability_required
from accounts.models import Membership, User
from accounts.permissions import user_capabilities, user_has_mfa, user_is_staff_member, user_roles
from accounts.roles import Capability, StaffRole
from accounts.selectors import audit_event_list
from core.health import worker_heartbeat
from core.models import AuditChainHead


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if user_is_staff_member(request.user):
        return redirect("staff_home")
    user = cast(User, request.user)  # login_required
    memberships = Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name")
    emails = EmailAddress.objects.filter(user=user).order_by("-primary", "email")
    return render(
        request,
        "accounts/home.html",
        {"memberships": memberships, "emails": emails, "mfa_enabled": user_has_mfa(request.user)},
    )


@capability_required(Capability.STAFF_AREA)
def staff_home(request: HttpRequest) -> HttpResponse:
    caps = user_capabilities(request.user)
    roles = [StaffRole(r) for r in sorted(user_roles(request.user)) if r in StaffRole.values]
    head = AuditChainHead.objects.filter(id=1).first()
    return render(
        request,
        "staff/home.html",
        {
            "roles": roles,
            "capabilities": sorted(caps),
            "can_view_audit": Capability.AUDIT_VIEW in caps,
            "audit_head": head,
            "worker": worker_heartbeat(),
        },
    )


@capability_required(Capability.AUDIT_VIEW)
def staff_audit(request: HttpRequest) -> HttpResponse:
    filters = {
        "action_prefix": request.GET.get("action", "").strip()[:100],
        "actor_email": request.GET.get("actor", "").strip()[:254],
        "target_type": request.GET.get("target_type", "").strip()[:100],
        "target_id": request.GET.get("target_id", "").strip()[:64],
    }
    page = Paginator(audit_event_list(**filters), 50).get_page(request.GET.get("page"))
    return render(request, "staff/audit.html", {"page": page, "filters": filters})
