"""Applicants sign up themselves with a verified e-mail address; allauth's rules and limits apply."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client, override_settings

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_an_applicant_signs_up_and_must_verify_their_email_before_signing_in(client: Client) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "email": "Dana@Example.COM",
            "password1": "a-long-enough-passphrase-9",
            "password2": "a-long-enough-passphrase-9",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get()
    assert user.email == "dana@example.com"
    assert client.get("/").status_code == 302  # not signed in until verified
    assert AuditEvent.objects.filter(action="user.signed_up", actor=user).exists()

    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/confirm-email/[^\s]+)", mail.outbox[0].body)
    assert link is not None
    client.post(link.group(1))
    assert client.get("/").status_code == 200


def test_a_weak_password_is_refused_with_a_field_message(client: Client) -> None:
    response = client.post(
        "/accounts/signup/", {"email": "eve@example.com", "password1": "short", "password2": "short"}
    )
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    assert not User.objects.exists()


def test_a_second_account_with_the_same_email_in_other_case_is_refused(client: Client) -> None:
    UserFactory(email="frank@example.com")
    response = client.post(
        "/accounts/signup/",
        {
            "email": "FRANK@example.com",
            "password1": "a-long-enough-passphrase-9",
            "password2": "a-long-enough-passphrase-9",
        },
    )
    # allauth does not reveal that the address exists: it sends a notice to the owner instead.
    assert User.objects.filter(email__iexact="frank@example.com").count() == 1
    assert response.status_code in (200, 302)


@override_settings(ACCOUNT_RATE_LIMITS={"login_failed": "3/m/ip,3/5m/key"})
def test_repeated_failed_logins_are_rate_limited(client: Client, settings: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    user = UserFactory(email="gina@example.com")
    for _ in range(3):
        response = client.post("/accounts/login/", {"login": user.email, "password": "wrong-password"})
        assert response.status_code == 200
    blocked = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert "Too many failed login attempts" in blocked.content.decode()
    assert client.get("/").status_code == 302  # the right password did not get through while blocked
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 3


def test_the_sign_up_e_mail_names_the_portal_not_the_host(client: Client) -> None:
    client.post(
        "/accounts/signup/",
        {
            "email": "gina@example.com",
            "password1": "a-long-enough-passphrase-9",
            "password2": "a-long-enough-passphrase-9",
        },
    )
    message = mail.outbox[0]
    assert message.subject == "[ClayStack] Confirm your e-mail address to start your application"
    assert "Hello from" not in message.body and "ClayStack Compliance Portal" in message.body
    assert "https://testserver/" in message.body


@override_settings(PORTAL_DOMAIN="portal.claystack.example")
def test_e_mails_give_the_configured_portal_domain(client: Client) -> None:
    client.post(
        "/accounts/signup/",
        {
            "email": "hal@example.com",
            "password1": "a-long-enough-passphrase-9",
            "password2": "a-long-enough-passphrase-9",
        },
    )
    assert "https://portal.claystack.example/" in mail.outbox[0].body


def test_the_sign_in_and_sign_up_pages_speak_the_portals_words(client: Client) -> None:
    login = client.get("/accounts/login/").content.decode()
    assert "Sign in to the ClayStack Compliance Portal" in login and 'class="button"' in login
    signup = client.get("/accounts/signup/").content.decode()
    assert "Create your account" in signup and "register their organisation" in signup
