"""Identity verification a person can finish: who on a case needs it, where each one stands, and links for a
director or owner who is not a portal user. The provider session itself comes from screening.identity."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import Http404

from kyc.models import Application, Person
from kyc.screening_flow import PERSON_REF
from screening.models import Check, CheckKind, CheckStatus, Outcome

_LINK_SALT = "kyc.identity-link"


def person_ref(person: Person) -> str:
    """The opaque reference the identity check (and so the provider's external user id) uses for a person."""
    return f"{PERSON_REF}{person.public_id}"


@dataclass(frozen=True)
class IdentityState:
    person: Person
    state: str  # verified, rejected, waiting (for the person), not_started
    label: str
    link_token: str


_LABELS = {
    "verified": "Verified",
    "rejected": "Not verified: contact us",
    "waiting": "Waiting for the person to verify",
    "not_started": "Starts once the application is submitted",
}


def identity_link_token(person: Person) -> str:
    """A signed, expiring token that opens the verification page of one person, for someone without an account."""
    return signing.dumps({"p": str(person.public_id)}, salt=_LINK_SALT)


def identity_link_person(token: str) -> Person:
    """The person a link token names, or Http404 for a forged, expired or dead link."""
    try:
        data = signing.loads(token, salt=_LINK_SALT, max_age=settings.KYC_IDENTITY_LINK_DAYS * 86_400)
    except signing.BadSignature:
        raise Http404("This link is not valid or has expired: ask the applicant for a new one.") from None
    person = Person.objects.select_related("application").filter(public_id=data.get("p")).first()
    if person is None or person.application.status in (
        Application.Status.REJECTED,
        Application.Status.REVOKED,
        Application.Status.EXPIRED,
    ):
        raise Http404("This link is no longer in use.")
    return person


def identity_states(application: Application) -> list[IdentityState]:
    """Every person on the case and where their identity verification stands (latest identity check each)."""
    people = list(application.people.all())
    refs = {person_ref(p): p for p in people}
    latest: dict[str, Check] = {}
    for row in Check.objects.filter(kind=CheckKind.IDENTITY, subject_ref__in=list(refs)).order_by("created_at"):
        latest[row.subject_ref] = row
    out = []
    for ref, person in refs.items():
        check = latest.get(ref)
        if check is None:
            state = "not_started"
        elif check.status == CheckStatus.DONE and check.outcome == Outcome.CLEAR:
            state = "verified"
        elif check.status == CheckStatus.DONE:
            state = "rejected"
        else:
            state = "waiting"
        out.append(IdentityState(person, state, _LABELS[state], identity_link_token(person)))
    return out
