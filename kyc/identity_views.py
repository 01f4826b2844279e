"""The "Verify your identity" pages: the applicant's own (signed in) and the link for a director or owner who is
not a portal user. Each page load asks the provider for a fresh WebSDK access token; the embedded SDK asks the
token view again when the token runs out."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from kyc import selectors
from kyc.identity import identity_link_person, identity_states, person_ref
from kyc.models import Person
from kyc.views import _applicant_only
from screening.base import ProviderUnavailable
from screening.identity import identity_provider_name, identity_session_start


def _session(person: Person, email: str = "") -> tuple[Any, str]:
    try:
        return identity_session_start(subject_ref=person_ref(person), email=email), ""
    except ProviderUnavailable:
        return None, "The identity service cannot be reached just now. Please try again in a few minutes."


@login_required
@never_cache
def identity_overview(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Everyone on the application who must verify their identity, their state, and for each a way to do it:
    here (the applicant themselves) or a link to send."""
    _applicant_only(request)
    application = selectors.application_get_for_user(user=request.user, public_id=public_id)
    provider = identity_provider_name()
    states = identity_states(application) if provider else []
    chosen = None
    session = None
    error = ""
    person_id = request.GET.get("person", "")
    if provider and person_id:
        chosen = selectors.person_get(application=application, public_id=person_id)
        session, error = _session(chosen, email=request.user.email if chosen.role == Person.Role.SUBJECT else "")  # type: ignore[union-attr]
    links = {s.person.pk: request.build_absolute_uri(reverse("kyc:identity_link", args=[s.link_token])) for s in states}
    return render(
        request,
        "kyc/identity.html",
        {
            "application": application,
            "provider": provider,
            "states": states,
            "links": links,
            "chosen": chosen,
            "session": session,
            "error": error,
            "token_url": reverse("kyc:identity_token", args=[application.public_id, chosen.public_id])
            if chosen
            else "",
        },
    )


@login_required
@never_cache
def identity_token(request: HttpRequest, public_id: Any, person_id: Any) -> JsonResponse:
    """A fresh access token for the embedded SDK (its expiration handler calls this)."""
    _applicant_only(request)
    application = selectors.application_get_for_user(user=request.user, public_id=public_id)
    session, error = _session(selectors.person_get(application=application, public_id=person_id))
    if session is None:
        return JsonResponse({"detail": error or "No identity provider is configured."}, status=503)
    return JsonResponse({"token": session.access_token})


@never_cache
def identity_link(request: HttpRequest, token: str) -> HttpResponse:
    """The page a director or owner opens from the link the applicant sent: no account needed."""
    person = identity_link_person(token)
    session, error = _session(person) if identity_provider_name() else (None, "")
    return render(
        request,
        "kyc/identity_link.html",
        {
            "person": person,
            "provider": identity_provider_name(),
            "session": session,
            "error": error,
            "token_url": reverse("kyc:identity_link_token", args=[token]),
        },
    )


@never_cache
def identity_link_token(request: HttpRequest, token: str) -> JsonResponse:
    session, error = _session(identity_link_person(token))
    if session is None:
        return JsonResponse({"detail": error or "No identity provider is configured."}, status=503)
    return JsonResponse({"token": session.access_token})
