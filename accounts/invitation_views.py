"""Pages for an organisation's members and invitations."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.invitations import (
    organisation_invitation_accept,
    organisation_invitation_create,
    organisation_invitation_get,
    organisation_invitation_revoke,
)
from accounts.models import Membership, Organisation, OrganisationInvitation, User
from core.exceptions import ApplicationError


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Colleague's e-mail address")
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


def _organisation_for_member(user: Any, public_id: Any) -> tuple[Organisation, Membership]:
    membership = (
        Membership.objects.select_related("organisation").filter(user=user, organisation__public_id=public_id).first()
    )
    if membership is None:
        raise Http404("No such organisation.")
    return membership.organisation, membership


@login_required
@require_http_methods(["GET", "POST"])
def organisation_members(request: HttpRequest, public_id: Any) -> HttpResponse:
    organisation, membership = _organisation_for_member(request.user, public_id)
    is_owner = membership.role == Membership.Role.OWNER
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        if not is_owner:
            raise Http404("Only owners invite.")
        if form.is_valid():
            try:
                organisation_invitation_create(
                    organisation=organisation,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    by=cast(User, request.user),
                    accept_url_base=request.build_absolute_uri(reverse("invitation_accept", args=["x"]))[:-2],
                )
            except ApplicationError as exc:
                form.add_error("email" if exc.extra.get("field") == "email" else None, exc.message)
            else:
                messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
                return redirect("organisation_members", public_id=organisation.public_id)
    members = Membership.objects.filter(organisation=organisation).select_related("user").order_by("user__email")
    invitations = (
        OrganisationInvitation.objects.filter(organisation=organisation, accepted_at=None, revoked_at=None)
        .select_related("invited_by")
        .order_by("email")
    )
    return render(
        request,
        "accounts/members.html",
        {
            "organisation": organisation,
            "members": members,
            "invitations": invitations,
            "is_owner": is_owner,
            "form": form,
        },
    )


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, public_id: Any, invitation_id: Any) -> HttpResponse:
    organisation, _membership = _organisation_for_member(request.user, public_id)
    invitation = OrganisationInvitation.objects.filter(organisation=organisation, public_id=invitation_id).first()
    if invitation is None:
        raise Http404("No such invitation.")
    try:
        organisation_invitation_revoke(invitation=invitation, by=cast(User, request.user))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Invitation of {invitation.email} withdrawn.")
    return redirect("organisation_members", public_id=organisation.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    user = cast(User, request.user)
    invitation = organisation_invitation_get(token=token, user=user)
    if invitation is None:
        # Wrong token or someone else's invitation: nothing confirms that it exists.
        raise Http404("No such invitation for your account.")
    error = ""
    if request.method == "POST":
        try:
            organisation_invitation_accept(invitation=invitation, user=user)
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, f"You are now a member of {invitation.organisation.name}.")
            return redirect("kyc:list")
    return render(request, "accounts/invitation_accept.html", {"invitation": invitation, "error": error})
