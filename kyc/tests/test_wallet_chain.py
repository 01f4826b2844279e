"""The applicant sees where each proven wallet stands on the whitelist: pending, on chain, removed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from eth_account import Account

from kyc.tests.factories import complete_individual
from whitelist.tests.factories import record_confirmed, request_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(alice):
    return complete_individual(alice, Account.create())


def _wallet_cell(client, application) -> str:
    html = client.get(reverse("kyc:status", args=[application.public_id])).content.decode()
    return html.split('class="wallet-chain"', 1)[1].split("</td>", 1)[0]


def test_a_proven_wallet_is_not_on_chain_before_approval_then_pending_then_on_chain_with_block_and_link(
    client, alice, application
):
    client.force_login(alice)
    wallet = application.wallets.get()
    assert "Not on chain" in _wallet_cell(client, application)
    request_add(wallet.address)
    assert "pending" in _wallet_cell(client, application)
    until = (timezone.now() + dt.timedelta(days=365)).replace(microsecond=0)
    with override_settings(WHITELIST_EXPLORER_TX_URL="https://sepolia.etherscan.io/tx/{hash}"):
        record_confirmed(wallet.address, valid_until=until)
        cell = _wallet_cell(client, application)
    assert "on chain" in cell and "block 42" in cell
    assert f'href="https://sepolia.etherscan.io/tx/0x{"4" * 64}"' in cell
    assert until.strftime("%-d %b %Y") in cell


def test_a_removed_wallet_shows_the_date_of_its_removal(client, alice, application):
    wallet = application.wallets.get()
    record_confirmed(wallet.address, valid_until=timezone.now() + dt.timedelta(days=30))
    record_confirmed(wallet.address, action="remove")
    client.force_login(alice)
    cell = _wallet_cell(client, application)
    assert "removed" in cell and timezone.localtime().strftime("%-d %b %Y") in cell


def test_the_api_gives_each_proven_wallet_its_chain_state(client, alice, application):
    wallet = application.wallets.get()
    until = (timezone.now() + dt.timedelta(days=365)).replace(microsecond=0)
    record_confirmed(wallet.address, valid_until=until)
    client.force_login(alice)
    for url in (
        f"/api/v1/applications/{application.public_id}/",
        f"/api/v1/applications/{application.public_id}/wallets/",
        f"/api/v1/applications/{application.public_id}/wallets/{wallet.public_id}/",
    ):
        body = client.get(url).json()
        item = body["wallets"][0] if "wallets" in body else (body[0] if isinstance(body, list) else body)
        chain = item["chain"]
        assert chain["status"] == "on_chain" and chain["block_number"] == 42 and chain["list_key"] == "stakers"
        assert chain["tx_hash"] == "0x" + "4" * 64 and chain["explorer_url"].endswith(chain["tx_hash"])
        assert chain["valid_until"].startswith(until.strftime("%Y-%m-%dT%H:%M:%S"))


def test_an_unproven_wallet_has_no_chain_state(client, alice, application):
    from kyc.services import wallet_add

    application.status = "draft"
    wallet = wallet_add(
        application=application, by=alice, address=Account.create().address, label="Cold", purpose="withdrawals"
    )
    client.force_login(alice)
    body = client.get(f"/api/v1/applications/{application.public_id}/wallets/{wallet.public_id}/").json()
    assert body["chain"] is None
