from __future__ import annotations

from typing import cast

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts.decorators import capability_required
from accounts.forms import OrganisationForm
from accounts.models import Membership, Organisation, User
from accounts.permissions import user_capabilities, user_has_mfa, user_is_staff_member, user_roles
from accounts.roles import Capability, StaffRole
from accounts.selectors import audit_event_list
from accounts.services import organisation_create
from core.exceptions import ApplicationError
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


@login_required
@require_http_methods(["GET", "POST"])
def organisation_new(request: HttpRequest) -> HttpResponse:
    """Register an institution or node-operator company; the signed-in user becomes its owner. `next` (a
    local path, such as the new-application page) is where the person goes on afterwards."""
    if user_is_staff_member(request.user):
        return redirect("staff_home")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=False):
        next_url = ""
    initial = {"kind": request.GET.get("kind", "")} if request.GET.get("kind") in Organisation.Kind.values else {}
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = organisation_create(owner=cast(User, request.user), **form.cleaned_data)
        except ApplicationError as exc:
            field = exc.extra.get("field")
            form.add_error(field if isinstance(field, str) and field in form.fields else None, exc.message)
        else:
            messages.success(request, f"{organisation.name} registered. You are its owner and can invite colleagues.")
            if next_url:
                separator = "&" if "?" in next_url else "?"
                return redirect(f"{next_url}{separator}organisation={organisation.public_id}")
            return redirect("home")
    return render(request, "accounts/organisation_new.html", {"form": form, "next": next_url})
