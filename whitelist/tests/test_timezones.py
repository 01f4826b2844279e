"""Raw SQL paths give aware datetimes on every backend (SQLite's driver hands back naive ones)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from whitelist.selectors import address_status
from whitelist.tests.factories import fresh_address, record_confirmed

pytestmark = pytest.mark.django_db


def test_the_public_lookup_answers_confirmed_for_a_listed_address_on_this_backend(client):
    address = fresh_address()
    until = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
    record_confirmed(address, valid_until=until)
    response = client.get(f"/api/v1/whitelist/{address}")
    assert response.status_code == 200, connection.vendor
    assert response.json()["stakers"]["status"] == "confirmed"
    assert response.json()["stakers"]["valid_until"].startswith(until.strftime("%Y-%m-%dT%H:%M:%S"))


def test_the_public_lookup_answers_not_listed_for_an_expired_and_for_a_removed_address(client):
    expired, removed = fresh_address(), fresh_address()
    record_confirmed(expired, valid_until=timezone.now() - dt.timedelta(days=1))
    record_confirmed(removed, valid_until=timezone.now() + dt.timedelta(days=30))
    record_confirmed(removed, action="remove")
    for address in (expired, removed):
        response = client.get(f"/api/v1/whitelist/{address}")
        assert response.status_code == 200
        assert response.json()["stakers"] == {"status": "not_listed", "valid_until": None, "pending_action": None}


def test_the_address_status_selector_returns_aware_datetimes():
    address = fresh_address()
    record_confirmed(address, valid_until=timezone.now() + dt.timedelta(days=3))
    until = address_status(address=address)["stakers"]["valid_until"]
    assert until is not None and timezone.is_aware(until)


def test_the_staff_address_history_opens_for_a_confirmed_address(client, make_staff):
    address = fresh_address()
    record_confirmed(address, valid_until=timezone.now() + dt.timedelta(days=30))
    client.force_login(make_staff("whitelist_admin", email="wendy.whitelist@claystack.example"))
    response = client.get(reverse("whitelist_address", args=[address]))
    assert response.status_code == 200 and "KYC approved" in response.content.decode()
