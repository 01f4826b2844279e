"""Two-factor authentication is compulsory for every staff role, in the browser and over the API."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client
from django.utils import timezone

from accounts.roles import StaffRole
from accounts.tests.factories import PASSWORD, TOTP_SECRET, StaffUserFactory
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _current_code() -> str:
    return format_hotp_value(hotp_value(TOTP_SECRET, int(timezone.now().timestamp()) // 30))


@pytest.mark.parametrize("role", StaffRole.values)
def test_a_staff_user_without_mfa_is_sent_to_set_it_up(
    client: Client, role: str, django_capture_on_commit_callbacks: Any
) -> None:
    user = StaffUserFactory(roles=[role], mfa=False)
    login = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert login["Location"] == "/staff/"
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate/")
    # allauth asks for the password again before any change to the second factor.
    reauth = client.get(response["Location"])
    assert reauth["Location"].startswith("/accounts/reauthenticate/")
    setup = client.post(reauth["Location"], {"password": PASSWORD}, follow=True)
    assert setup.status_code == 200
    assert b"authenticator app" in setup.content.lower()
    secret = client.session["mfa.totp.secret"]
    code = format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30))
    with django_capture_on_commit_callbacks(execute=True):
        activated = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert activated.status_code == 302
    assert client.get("/staff/").status_code == 200
    assert AuditEvent.objects.filter(action="mfa.added", actor=user).exists()


@pytest.mark.parametrize("role", StaffRole.values)
def test_the_staff_api_refuses_a_staff_user_without_mfa(client: Client, role: str) -> None:
    user = StaffUserFactory(roles=[role], mfa=False)
    client.force_login(user)
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"


@pytest.mark.parametrize("role", StaffRole.values)
def test_a_staff_user_with_mfa_reaches_the_staff_home(client: Client, role: str) -> None:
    client.force_login(StaffUserFactory(roles=[role]))
    assert client.get("/staff/").status_code == 200


def test_a_superuser_without_mfa_cannot_open_the_admin_site(client: Client) -> None:
    user = StaffUserFactory(is_staff=True, is_superuser=True, mfa=False)
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate/")


def test_the_admin_login_goes_through_the_portal_login_with_its_second_factor(client: Client) -> None:
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_password_alone_does_not_sign_in_a_staff_user(client: Client) -> None:
    user = StaffUserFactory(roles=[StaffRole.REVIEWER])
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/staff/").status_code == 302  # still anonymous: sent to log in
    assert not AuditEvent.objects.filter(action="auth.login", actor=user).exists()


def test_password_and_totp_code_sign_in_a_staff_user_and_are_audited(client: Client) -> None:
    user = StaffUserFactory(roles=[StaffRole.REVIEWER])
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000" if _current_code() != "000000" else "111111"})
    assert wrong.status_code == 200  # the form again, with an error
    response = client.post("/accounts/2fa/authenticate/", {"code": _current_code()})
    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.login", actor=user).exists()


def test_a_recovery_code_also_completes_the_second_step(client: Client) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    user = StaffUserFactory(roles=[StaffRole.APPROVER])
    code = RecoveryCodes(Authenticator.objects.get(user=user, type="recovery_codes")).get_unused_codes()[0]
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200


def test_totp_secrets_are_encrypted_at_rest(db: Any) -> None:
    from allauth.mfa.models import Authenticator

    user = StaffUserFactory(roles=[StaffRole.AUDITOR])
    stored = Authenticator.objects.get(user=user, type="totp").data["secret"]
    assert stored != TOTP_SECRET
    assert TOTP_SECRET not in stored
