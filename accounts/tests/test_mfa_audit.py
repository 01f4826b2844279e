"""Second-factor changes and failed second steps are in the audit trail, next to logins (test_mfa.py)."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.test import Client
from django.utils import timezone

from accounts.roles import StaffRole
from accounts.tests.factories import PASSWORD, TOTP_SECRET, StaffUserFactory, UserFactory
from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _code() -> str:
    return format_hotp_value(hotp_value(TOTP_SECRET, int(timezone.now().timestamp()) // 30))


def _sign_in_with_totp(client: Client, user: Any) -> None:
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert client.post("/accounts/2fa/authenticate/", {"code": _code()}).status_code == 302


def test_turning_off_totp_is_audited(client: Client) -> None:
    user = UserFactory(email="lena@example.com")
    TOTP.activate(user, TOTP_SECRET)
    RecoveryCodes.activate(user)
    _sign_in_with_totp(client, user)
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response["Location"].startswith("/accounts/reauthenticate/")  # the password again first
    assert not AuditEvent.objects.filter(action="mfa.removed").exists()
    # allauth replays the stashed deactivation once the password is confirmed.
    client.post(response["Location"], {"password": PASSWORD}, follow=True)
    # The recovery codes go with the last authenticator: both removals are recorded.
    removed = AuditEvent.objects.filter(action="mfa.removed", actor=user)
    assert sorted(e.data["type"] for e in removed) == ["recovery_codes", "totp"]


def test_a_staff_member_who_turns_off_totp_is_held_at_the_set_up_again(client: Client) -> None:
    user = StaffUserFactory(roles=[StaffRole.REVIEWER])
    _sign_in_with_totp(client, user)
    assert client.get("/staff/").status_code == 200
    reauth = client.post("/accounts/2fa/totp/deactivate/")["Location"]
    client.post(reauth, {"password": PASSWORD}, follow=True)
    assert AuditEvent.objects.filter(action="mfa.removed", actor=user).exists()
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate/")


def test_a_wrong_second_factor_code_is_refused_and_no_login_is_recorded(client: Client) -> None:
    user = StaffUserFactory(roles=[StaffRole.AUDITOR])
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    wrong = "000000" if _code() != "000000" else "111111"
    assert client.post("/accounts/2fa/authenticate/", {"code": wrong}).status_code == 200
    assert not AuditEvent.objects.filter(action="auth.login", actor=user).exists()
    assert client.get("/staff/").status_code == 302
