"""What the applicant's status page says in each state of the case (it used to say "with our compliance team"
even on an approved application)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kyc import services
from kyc.models import Application
from kyc.tests.factories import complete_company

S = Application.Status
WITH_TEAM = "with our compliance team and can no longer be changed"


@pytest.fixture
def submitted(alice: Any, wallet_key: Any) -> Application:
    app = complete_company(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    return app


def _status_page(user: Any, app: Application, **fields: Any) -> str:
    if fields:
        Application.objects.filter(pk=app.pk).update(**fields)
    client = Client()
    client.force_login(user)
    response = client.get(reverse("kyc:status", args=[app.public_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_an_approved_application_says_until_when_it_is_valid(submitted: Application, alice: Any) -> None:
    until = timezone.now() + dt.timedelta(days=400)
    page = _status_page(alice, submitted, status=S.APPROVED, valid_until=until)
    assert f"The approval is valid until {until:%-d %B %Y}" in page
    assert WITH_TEAM not in page


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (S.REJECTED, "Your application was rejected on "),
        (S.EXPIRED, "Your approval expired on "),
        (S.REVOKED, "Your approval was revoked on "),
        (S.INFORMATION_REQUESTED, "A reviewer asked for more information"),
        (S.IN_REVIEW, WITH_TEAM),
        (S.PENDING_SECOND_APPROVAL, WITH_TEAM),
    ],
)
def test_each_state_gets_its_own_words(submitted: Application, alice: Any, status: str, expected: str) -> None:
    page = _status_page(
        alice,
        submitted,
        status=status,
        status_changed_at=timezone.now(),
        valid_until=timezone.now() - dt.timedelta(days=1),
        requested_items=[],
    )
    assert expected in page
    if status not in (S.IN_REVIEW, S.PENDING_SECOND_APPROVAL):
        assert WITH_TEAM not in page


def test_an_outsider_cannot_read_the_status_page(submitted: Application, charlie: Any) -> None:
    client = Client()
    client.force_login(charlie)
    assert client.get(reverse("kyc:status", args=[submitted.public_id])).status_code == 404
