"""Pages where an organisation's owner creates, rotates and revokes API keys.

A new key is shown once, in the response to the POST that created it (never stored, never put in the session
or a redirect). Members who are not owners get a 403; people outside the organisation a 404.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.api_keys import IssuedKey, api_key_create, api_key_list, api_key_revoke, api_key_rotate
from accounts.models import ApiKey, ApiKeyScope, Membership, Organisation, User
from core.exceptions import ApplicationError


class ApiKeyForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, help_text="What will use it, e.g. 'Back-office sync'.")
    scopes = forms.MultipleChoiceField(label="Scopes", choices=ApiKeyScope.choices, widget=forms.CheckboxSelectMultiple)
    expires_in_days = forms.IntegerField(label="Valid for (days)", min_value=1, initial=90)

    def clean_expires_in_days(self) -> int:
        days = int(self.cleaned_data["expires_in_days"])
        if days > settings.API_KEY_MAX_DAYS:
            raise forms.ValidationError(f"A key lives at most {settings.API_KEY_MAX_DAYS} days.")
        return days


def _owned(user: Any, public_id: Any) -> Organisation:
    membership = (
        Membership.objects.select_related("organisation").filter(user=user, organisation__public_id=public_id).first()
    )
    if membership is None:
        raise Http404("No such organisation.")
    if membership.role != Membership.Role.OWNER:
        raise PermissionDenied("Only an owner of the organisation manages its API keys.")
    return membership.organisation


def _key(organisation: Organisation, key_id: Any) -> ApiKey:
    key = ApiKey.objects.filter(organisation=organisation, public_id=key_id).first()
    if key is None:
        raise Http404("No such API key.")
    return key


def _page(
    request: HttpRequest, organisation: Organisation, form: ApiKeyForm, issued: IssuedKey | None = None
) -> HttpResponse:
    keys = api_key_list(organisation=organisation).select_related("replaced_by")
    return render(
        request,
        "accounts/api_keys.html",
        {
            "organisation": organisation,
            "keys": keys,
            "form": form,
            "issued": issued,
            "grace_hours": settings.API_KEY_ROTATION_GRACE_SECONDS // 3600,
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest, public_id: Any) -> HttpResponse:
    organisation = _owned(request.user, public_id)
    form = ApiKeyForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_key_create(
                organisation=organisation,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                by=cast(User, request.user),
            )
        except ApplicationError as exc:
            form.add_error(cast(Any, exc.extra.get("field")), exc.message)
        else:
            form = ApiKeyForm()
    return _page(request, organisation, form, issued)


@never_cache
@login_required
@require_POST
def api_key_rotate_view(request: HttpRequest, public_id: Any, key_id: Any) -> HttpResponse:
    organisation = _owned(request.user, public_id)
    key = _key(organisation, key_id)
    try:
        issued = api_key_rotate(api_key=key, by=cast(User, request.user))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("organisation_api_keys", public_id=organisation.public_id)
    return _page(request, organisation, ApiKeyForm(), issued)


@login_required
@require_POST
def api_key_revoke_view(request: HttpRequest, public_id: Any, key_id: Any) -> HttpResponse:
    organisation = _owned(request.user, public_id)
    key = _key(organisation, key_id)
    try:
        api_key_revoke(api_key=key, by=cast(User, request.user))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Key {key.prefix} ({key.name}) revoked: calls made with it now fail.")
    return redirect("organisation_api_keys", public_id=organisation.public_id)
