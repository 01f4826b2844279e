"""allauth's rate limits on sign-in, sign-up and password reset: configured in base settings, and enforced.

The test settings switch the limits off (so other tests can sign in freely); each test here switches one on.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client, override_settings

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters() -> None:
    cache.clear()  # the counters live in the cache, which outlives a test on Redis


def test_the_base_settings_limit_sign_in_sign_up_and_password_reset() -> None:
    from claystack_portal.settings import base

    limits = base.ACCOUNT_RATE_LIMITS
    for action in ("login", "login_failed", "signup", "reset_password", "reset_password_from_key"):
        assert limits.get(action), f"no rate limit for {action}"


@override_settings(ACCOUNT_RATE_LIMITS={"login": "3/m/ip"})
def test_sign_in_attempts_from_one_address_are_limited(client: Client) -> None:
    user = UserFactory(email="hana@example.com")
    for _ in range(3):
        assert client.post("/accounts/login/", {"login": user.email, "password": "wrong"}).status_code == 200
    blocked = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.content.decode()
    assert "Content-Security-Policy" in blocked
    assert client.get("/").status_code == 302  # the right password did not get through


@override_settings(ACCOUNT_RATE_LIMITS={"signup": "2/m/ip"})
def test_sign_ups_from_one_address_are_limited(client: Client) -> None:
    for n in range(2):
        response = client.post(
            "/accounts/signup/",
            {
                "email": f"new{n}@example.com",
                "password1": "a-long-enough-passphrase-9",
                "password2": "a-long-enough-passphrase-9",
            },
        )
        assert response.status_code == 302
        client.logout()
    blocked = client.post(
        "/accounts/signup/",
        {
            "email": "new2@example.com",
            "password1": "a-long-enough-passphrase-9",
            "password2": "a-long-enough-passphrase-9",
        },
    )
    assert blocked.status_code == 429
    assert not User.objects.filter(email="new2@example.com").exists()


@override_settings(ACCOUNT_RATE_LIMITS={"reset_password": "20/m/ip,2/m/key"})
def test_password_reset_mails_for_one_address_are_limited(client: Client) -> None:
    user = UserFactory(email="ivan@example.com")
    for _ in range(2):
        assert client.post("/accounts/password/reset/", {"email": user.email}).status_code == 302
    blocked = client.post("/accounts/password/reset/", {"email": user.email})
    assert blocked.status_code == 429
    assert len(mail.outbox) == 2
    # Another address is not held back by Ivan's limit.
    other = UserFactory(email="judy@example.com")
    assert client.post("/accounts/password/reset/", {"email": other.email}).status_code == 302


def test_a_limit_left_off_in_tests_lets_many_sign_ins_through(client: Client, settings: Any) -> None:
    assert settings.ACCOUNT_RATE_LIMITS is False
    user = UserFactory(email="kim@example.com")
    for _ in range(12):
        client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
    assert client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}).status_code == 302
