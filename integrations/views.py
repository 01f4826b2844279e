"""The webhook pages of an organisation's owner: list, add, see deliveries, rotate the secret, disable,
send a test event. Thin: selectors read, services write; everything is scoped to the organisations the
user owns (others get a 404, members who are not owners a 403 on the list)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError
from integrations import selectors, services
from integrations.forms import EndpointForm
from integrations.models import Endpoint, EventType
from integrations.signing import SIGNATURE_HEADER


def _owned(request: HttpRequest, public_id: UUID) -> Endpoint:
    endpoint = selectors.endpoint_get_for_owner(request.user, public_id)
    if endpoint is None:
        raise Http404
    return endpoint


@login_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    organisations = list(selectors.organisations_owned_by(request.user))
    if not organisations:
        raise PermissionDenied("Only an organisation's owner manages its webhooks.")
    return render(
        request,
        "integrations/endpoint_list.html",
        {"endpoints": list(selectors.endpoints_for_owner(request.user)), "organisations": organisations},
    )


def _secret_page(request: HttpRequest, endpoint: Endpoint, secret: str, *, rotated: bool) -> HttpResponse:
    response = render(
        request,
        "integrations/secret.html",
        {"endpoint": endpoint, "secret": secret, "rotated": rotated, "header": SIGNATURE_HEADER},
    )
    # The secret is on this page only: never cached, never shown again.
    response["Cache-Control"] = "no-store"
    return response


@login_required
def endpoint_new(request: HttpRequest) -> HttpResponse:
    organisations = list(selectors.organisations_owned_by(request.user))
    if not organisations:
        raise PermissionDenied("Only an organisation's owner manages its webhooks.")
    form = EndpointForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(
                organisation=form.organisations[form.cleaned_data["organisation"]],
                by=request.user,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return _secret_page(request, endpoint, secret, rotated=False)
    return render(request, "integrations/endpoint_new.html", {"form": form})


@login_required
def endpoint_detail(request: HttpRequest, public_id: UUID) -> HttpResponse:
    endpoint = _owned(request, public_id)
    labels = dict(EventType.choices)
    return render(
        request,
        "integrations/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "event_labels": [labels.get(e, e) for e in endpoint.events],
            "deliveries": selectors.endpoint_recent_deliveries(endpoint),
            "header": SIGNATURE_HEADER,
        },
    )


@require_POST
@login_required
def endpoint_action(request: HttpRequest, public_id: UUID, action: str) -> HttpResponse:
    endpoint = _owned(request, public_id)
    user: Any = request.user
    try:
        if action == "rotate":
            endpoint, secret = services.endpoint_rotate_secret(endpoint=endpoint, by=user)
            return _secret_page(request, endpoint, secret, rotated=True)
        if action == "retire-previous":
            services.endpoint_retire_previous_secret(endpoint=endpoint, by=user)
            messages.success(request, "The previous secret no longer signs deliveries.")
        elif action == "disable":
            services.endpoint_disable(endpoint=endpoint, by=user, reason="Disabled by its owner.")
            messages.success(request, "The endpoint is disabled: nothing more is sent to it.")
        elif action == "enable":
            services.endpoint_enable(endpoint=endpoint, by=user)
            messages.success(request, "The endpoint is active again.")
        elif action == "test":
            services.endpoint_send_test(endpoint=endpoint, by=user)
            messages.success(request, "A webhook.test event is queued; it appears below once attempted.")
        else:
            raise Http404
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("integrations:endpoint", public_id=endpoint.public_id)
