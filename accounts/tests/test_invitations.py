"""Owners invite colleagues by e-mail; the invitee joins and works on the organisation's applications."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.invitations import organisation_invitation_accept, organisation_invitation_create
from accounts.models import Membership, OrganisationInvitation
from accounts.tests.factories import UserFactory
from core.exceptions import ApplicationError
from core.models import AuditEvent


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _invite(client: Client, org: Any, email: str, capture: Any) -> str:
    with capture(execute=True):
        response = client.post(
            reverse("organisation_members", args=[org.public_id]), {"email": email, "role": "member"}
        )
    assert response.status_code == 302
    link = re.search(r"https?://\S+/invitations/(\S+)/", mail.outbox[-1].body)
    assert link is not None
    return link.group(1)


def test_an_owner_invites_a_colleague_who_accepts_and_sees_the_applications(
    alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from kyc.services import application_create

    org = alice.organisations.get()
    application = application_create(by=alice, subject_type="institution", organisation=org)
    token = _invite(_client(alice), org, "Dora@Acme.example", django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == ["dora@acme.example"]
    dora = UserFactory(email="dora@acme.example")
    client = _client(dora)
    page = client.get(reverse("invitation_accept", args=[token]))
    assert b"Join Acme Capital Ltd" in page.content
    assert client.post(reverse("invitation_accept", args=[token])).status_code == 302
    assert Membership.objects.filter(user=dora, organisation=org, role="member").exists()
    assert client.get(reverse("kyc:status", kwargs={"public_id": application.public_id})).status_code == 200
    assert AuditEvent.objects.filter(action="organisation.member_added", actor=dora).exists()
    # The link worked once.
    again = client.post(reverse("invitation_accept", args=[token]))
    assert b"already been used" in again.content


def test_someone_else_cannot_use_the_link(alice: Any, charlie: Any, django_capture_on_commit_callbacks: Any) -> None:
    token = _invite(_client(alice), alice.organisations.get(), "dora@acme.example", django_capture_on_commit_callbacks)
    assert _client(charlie).get(reverse("invitation_accept", args=[token])).status_code == 404
    assert _client(charlie).post(reverse("invitation_accept", args=[token])).status_code == 404


def test_an_expired_invitation_is_refused_with_its_date(alice: Any) -> None:
    invitation, _token = organisation_invitation_create(
        organisation=alice.organisations.get(), email="late@acme.example", by=alice, accept_url_base="/i/"
    )
    late = UserFactory(email="late@acme.example")
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=8)),
        pytest.raises(ApplicationError, match="expired on"),
    ):
        organisation_invitation_accept(invitation=invitation, user=late)


def test_only_owners_invite_and_only_members_see_the_page(alice: Any, bob: Any, charlie: Any) -> None:
    org = alice.organisations.get()
    url = reverse("organisation_members", args=[org.public_id])
    assert _client(bob).get(url).status_code == 200
    assert _client(bob).post(url, {"email": "x@acme.example", "role": "member"}).status_code == 404
    assert _client(charlie).get(url).status_code == 404
    with pytest.raises(ApplicationError, match="Only an owner"):
        organisation_invitation_create(organisation=org, email="x@acme.example", by=bob, accept_url_base="/i/")
    assert not OrganisationInvitation.objects.exists()


def test_an_existing_member_or_an_open_invitation_is_not_invited_twice(alice: Any, bob: Any) -> None:
    org = alice.organisations.get()
    with pytest.raises(ApplicationError, match="already a member"):
        organisation_invitation_create(organisation=org, email="BOB@acme.example", by=alice, accept_url_base="/i/")
    organisation_invitation_create(organisation=org, email="new@acme.example", by=alice, accept_url_base="/i/")
    with pytest.raises(ApplicationError, match="already has an open invitation"):
        organisation_invitation_create(organisation=org, email="new@acme.example", by=alice, accept_url_base="/i/")


def test_a_withdrawn_invitation_cannot_be_accepted(alice: Any, django_capture_on_commit_callbacks: Any) -> None:
    org = alice.organisations.get()
    invitation, token = organisation_invitation_create(
        organisation=org, email="gone@acme.example", by=alice, accept_url_base="/i/"
    )
    response = _client(alice).post(reverse("invitation_revoke", args=[org.public_id, invitation.public_id]))
    assert response.status_code == 302
    gone = UserFactory(email="gone@acme.example")
    response = _client(gone).post(reverse("invitation_accept", args=[token]))
    assert b"withdrawn" in response.content
    assert not Membership.objects.filter(user=gone).exists()


def test_the_audit_trail_keeps_no_invitee_or_member_email(alice: Any, django_capture_on_commit_callbacks: Any) -> None:
    from accounts.invitations import organisation_invitation_revoke
    from accounts.services import organisation_member_add

    org = alice.organisations.get()
    token = _invite(_client(alice), org, "Dora@Acme.example", django_capture_on_commit_callbacks)
    dora = UserFactory(email="dora@acme.example")
    assert _client(dora).post(reverse("invitation_accept", args=[token])).status_code == 302
    withdrawn, _token = organisation_invitation_create(
        organisation=org, email="erin@acme.example", by=alice, accept_url_base="/i/"
    )
    organisation_invitation_revoke(invitation=withdrawn, by=alice)
    frank = UserFactory(email="frank@acme.example")
    organisation_member_add(organisation=org, user=frank, by=alice)

    events = AuditEvent.objects.filter(action__startswith="organisation.")
    trail = str(list(events.values("before", "after", "data", "target_repr", "actor_label")))
    for email in ("dora@acme.example", "erin@acme.example", "frank@acme.example", "alice@acme.example"):
        assert email not in trail.lower(), email
    invited = events.get(action="organisation.member_invited", after__invitation=str(withdrawn.public_id))
    # The same address invited twice gives the same digest, so repeated invitations still show.
    again, _token = organisation_invitation_create(
        organisation=org, email="ERIN@acme.example", by=alice, accept_url_base="/i/"
    )
    second = events.get(action="organisation.member_invited", after__invitation=str(again.public_id))
    assert invited.after and second.after and invited.after["email_digest"] == second.after["email_digest"]
    joined = events.get(action="organisation.member_added", actor=dora).after
    assert joined and joined["user"] == f"user:{dora.public_id}"
    added = events.get(action="organisation.member_added", actor=alice).after
    assert added and added["user"] == f"user:{frank.public_id}"
