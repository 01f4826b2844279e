"""Raw SQL paths give aware datetimes on every backend (SQLite's driver hands back naive ones)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from whitelist.models import Batch, Change, Deployment
from whitelist.selectors import address_status
from whitelist.tests.factories import fresh_address

pytestmark = pytest.mark.django_db


def _confirmed(address: str, *, action: str = "add", valid_until: dt.datetime | None = None) -> Change:
    deployment, _ = Deployment.objects.get_or_create(
        chain_id=31337,
        address="0x" + "1" * 40,
        defaults={
            "list_key": "stakers",
            "tx_hash": "0x" + "2" * 64,
            "block_number": 1,
            "deployer": "0x" + "3" * 40,
            "admin": "0x" + "3" * 40,
        },
    )
    batch = Batch.objects.create(
        batch_id=Batch.new_batch_id(),
        deployment=deployment,
        list_key="stakers",
        action=action,
        valid_until=int(valid_until.timestamp()) if valid_until else 0,
        status=Batch.Status.CONFIRMED,
        size=1,
        calldata="0x",
        block_number=42,
        tx_hash="0x" + "4" * 64,
        confirmed_at=timezone.now(),
    )
    return Change.objects.create(
        address=address,
        list_key="stakers",
        action=action,
        valid_until=valid_until,
        reason="KYC approved" if action == "add" else "KYC revoked",
        status=Change.Status.CONFIRMED,
        batch=batch,
    )


def test_the_public_lookup_answers_confirmed_for_a_listed_address_on_this_backend(client):
    address = fresh_address()
    until = (timezone.now() + dt.timedelta(days=30)).replace(microsecond=0)
    _confirmed(address, valid_until=until)
    response = client.get(f"/api/v1/whitelist/{address}")
    assert response.status_code == 200, connection.vendor
    assert response.json()["stakers"]["status"] == "confirmed"
    assert response.json()["stakers"]["valid_until"].startswith(until.strftime("%Y-%m-%dT%H:%M:%S"))


def test_the_public_lookup_answers_not_listed_for_an_expired_and_for_a_removed_address(client):
    expired, removed = fresh_address(), fresh_address()
    _confirmed(expired, valid_until=timezone.now() - dt.timedelta(days=1))
    _confirmed(removed, valid_until=timezone.now() + dt.timedelta(days=30))
    _confirmed(removed, action="remove")
    for address in (expired, removed):
        response = client.get(f"/api/v1/whitelist/{address}")
        assert response.status_code == 200
        assert response.json()["stakers"] == {"status": "not_listed", "valid_until": None, "pending_action": None}


def test_the_address_status_selector_returns_aware_datetimes():
    address = fresh_address()
    _confirmed(address, valid_until=timezone.now() + dt.timedelta(days=3))
    until = address_status(address=address)["stakers"]["valid_until"]
    assert until is not None and timezone.is_aware(until)


def test_the_staff_address_history_opens_for_a_confirmed_address(client, make_staff):
    address = fresh_address()
    _confirmed(address, valid_until=timezone.now() + dt.timedelta(days=30))
    client.force_login(make_staff("whitelist_admin", email="wendy.whitelist@claystack.example"))
    response = client.get(reverse("whitelist_address", args=[address]))
    assert response.status_code == 200 and "KYC approved" in response.content.decode()
