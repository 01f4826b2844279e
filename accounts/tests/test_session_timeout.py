"""Staff sessions end after an idle period and with the browser; applicants keep the longer session."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _age_last_seen(client: Client, seconds: int) -> None:
    session = client.session
    session["portal_last_seen"] = int(session["portal_last_seen"]) - seconds
    session.save()


def test_a_staff_session_ends_after_the_idle_time(client: Client, reviewer: Any, settings: Any) -> None:
    settings.STAFF_SESSION_IDLE_SECONDS = 600
    client.force_login(reviewer)
    assert client.get("/staff/").status_code == 200
    _age_last_seen(client, 601)
    response = client.get("/staff/cases/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/staff/cases/"
    assert client.get("/staff/").status_code == 302  # signed out, not only redirected once
    assert AuditEvent.objects.filter(action="auth.logout", actor=reviewer).exists()


def test_a_staff_user_active_within_the_idle_time_stays_signed_in(client: Client, reviewer: Any, settings: Any) -> None:
    settings.STAFF_SESSION_IDLE_SECONDS = 600
    client.force_login(reviewer)
    client.get("/staff/")
    _age_last_seen(client, 590)
    assert client.get("/staff/").status_code == 200
    # That request renewed the clock: another 590 s later the session is still alive.
    _age_last_seen(client, 590)
    assert client.get("/staff/").status_code == 200


def test_an_idle_staff_session_gets_a_403_from_the_api(client: Client, auditor: Any, settings: Any) -> None:
    settings.STAFF_SESSION_IDLE_SECONDS = 60
    client.force_login(auditor)
    assert client.get("/api/v1/audit-events/").status_code == 200
    _age_last_seen(client, 61)
    response = client.get("/api/v1/audit-events/")
    assert response.status_code == 403
    assert response.json()["code"] == "session_expired"


def test_a_staff_session_cookie_ends_with_the_browser(client: Client, reviewer: Any) -> None:
    client.force_login(reviewer)
    response = client.get("/staff/")
    cookie = response.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""


def test_an_applicant_session_is_not_cut_by_the_staff_idle_time(client: Client, alice: Any, settings: Any) -> None:
    settings.STAFF_SESSION_IDLE_SECONDS = 60
    client.force_login(alice)
    response = client.get("/applications/")
    assert response.status_code == 200
    assert "portal_last_seen" not in client.session
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert not client.session.get_expire_at_browser_close()
