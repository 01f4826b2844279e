"""Staff pages and the public lookup."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from whitelist.models import Batch, Change
from whitelist.sync import sync_until_settled, whitelist_sync
from whitelist.tests.factories import fresh_address, request_add
from whitelist.tests.txbuilder import builder_encode

pytestmark = pytest.mark.django_db


@pytest.fixture
def wl_admin(make_staff):
    return make_staff("whitelist_admin", email="wendy.whitelist@claystack.example")


def test_the_public_lookup_says_not_listed_pending_and_confirmed_without_personal_data(
    client, tester, django_assert_max_num_queries
):
    address = fresh_address()
    url = f"/api/v1/whitelist/{address.lower()}"
    body = client.get(url).json()
    assert body == {
        "address": address,
        "stakers": {"status": "not_listed", "valid_until": None, "pending_action": None},
        "operators": {"status": "not_listed", "valid_until": None, "pending_action": None},
    }
    change = request_add(address, reason="Alice Owner of Acme passed KYC")
    assert client.get(url).json()["stakers"]["status"] == "pending"
    sync_until_settled(tester.rt, mine=lambda: tester.mine(1))
    with django_assert_max_num_queries(2):
        response = client.get(url)
    body = response.json()
    assert body["stakers"]["status"] == "confirmed" and body["stakers"]["valid_until"]
    assert body["operators"]["status"] == "not_listed"
    assert "Alice" not in response.content.decode() and change.reference not in response.content.decode()


def test_the_public_lookup_refuses_an_invalid_address_naming_the_field(client, db):
    response = client.get("/api/v1/whitelist/0x1234")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("address:")


def test_a_whitelist_admin_sees_pending_changes_batches_and_an_address_history(
    client, wl_admin, tester, django_assert_max_num_queries
):
    changes = [request_add() for _ in range(3)]
    whitelist_sync(tester.rt)
    request_add()
    client.force_login(wl_admin)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("whitelist_overview"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Pending changes" in html and "Push now" in html
    batch = Batch.objects.get()
    assert reverse("whitelist_batch", args=[batch.pk]) in html
    detail = client.get(reverse("whitelist_batch", args=[batch.pk]))
    assert detail.status_code == 200 and batch.batch_id in detail.content.decode()
    history = client.get(reverse("whitelist_address", args=[changes[0].address]))
    assert history.status_code == 200 and "kyc.application:1" in history.content.decode()
    progress = client.get(reverse("whitelist_progress")).json()
    assert progress["changes"]["pending"] == 1 and progress["batches"]["broadcast"] + progress["batches"]["mined"] == 1


def test_the_changes_page_lists_pending_changes_with_bounded_queries(client, wl_admin, django_assert_max_num_queries):
    for _ in range(30):
        request_add()
    client.force_login(wl_admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("whitelist_changes"))
    assert response.status_code == 200 and response.content.decode().count("/staff/whitelist/address/0x") == 30


def test_push_now_queues_a_sync_and_is_audited(client, wl_admin, settings, django_capture_on_commit_callbacks):
    from unittest import mock

    from core.models import AuditEvent

    settings.WHITELIST_RPC_URL = "http://127.0.0.1:9"
    client.force_login(wl_admin)
    with (
        mock.patch("whitelist.tasks.whitelist_sync_task.delay", autospec=True) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("whitelist_push"))
    assert response.status_code == 302
    delay.assert_called_once_with()
    assert AuditEvent.objects.filter(action="whitelist.push_now", actor=wl_admin).exists()


def test_a_board_member_approves_a_batch_from_its_page(client, tester, make_staff, settings):
    from whitelist.config import Runtime

    settings.WHITELIST_BOARD_QUORUM = 1
    rt = Runtime(chain=tester.chain, chain_id=tester.chain_id, signer=tester.signer, mode="board")
    request_add()
    whitelist_sync(rt)
    batch = Batch.objects.get()
    member = make_staff("board_member", email="bea.board@claystack.example")
    client.force_login(member)
    assert "Approve this batch" in client.get(reverse("whitelist_batch", args=[batch.pk])).content.decode()
    client.post(reverse("whitelist_batch_approve", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == Batch.Status.READY


def test_the_safe_export_downloads_transaction_builder_json(client, tester, wl_admin, settings):
    from whitelist.config import Runtime

    settings.WHITELIST_SAFE_ADDRESS = tester.signer.address
    rt = Runtime(chain=tester.chain, chain_id=tester.chain_id, signer=None, mode="safe")
    request_add()
    whitelist_sync(rt)
    batch = Batch.objects.get()
    client.force_login(wl_admin)
    response = client.get(reverse("whitelist_batch_safe", args=[batch.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    (call,) = json.loads(response.content)["transactions"]
    assert builder_encode(call) == batch.calldata


def test_the_dry_run_page_reports_a_missing_chain_configuration_by_setting_name(client, wl_admin, settings):
    settings.WHITELIST_RPC_URL = ""
    client.force_login(wl_admin)
    response = client.get(reverse("whitelist_dry_run"))
    assert response.status_code == 200 and "ETH_RPC_URL" in response.content.decode()


def test_an_outsider_gets_404_on_every_object_url_and_403_on_the_lists(client, charlie, tester):
    change = request_add()
    whitelist_sync(tester.rt)
    batch = Batch.objects.get()
    client.force_login(charlie)
    for url in [
        reverse("whitelist_batch", args=[batch.pk]),
        reverse("whitelist_batch_safe", args=[batch.pk]),
        reverse("whitelist_address", args=[change.address]),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("whitelist_batch_approve", args=[batch.pk])).status_code == 404
    assert client.post(reverse("whitelist_batch_cancel", args=[batch.pk]), {"reason": "x"}).status_code == 404
    for name in [
        "whitelist_overview",
        "whitelist_changes",
        "whitelist_drift",
        "whitelist_dry_run",
        "whitelist_progress",
    ]:
        assert client.get(reverse(name)).status_code == 403, name
    assert Change.objects.count() == 1


def test_the_staff_navigation_shows_the_whitelist_to_whitelist_staff(client, wl_admin):
    client.force_login(wl_admin)
    html = client.get("/staff/").content.decode()
    assert reverse("whitelist_overview") in html and reverse("whitelist_dry_run") in html


def test_a_whitelist_admin_cancels_an_unsent_batch_with_a_reason_and_its_changes_fail(
    client, tester, wl_admin, settings
):
    from whitelist.config import Runtime

    rt = Runtime(chain=tester.chain, chain_id=tester.chain_id, signer=tester.signer, mode="board")
    change = request_add()
    whitelist_sync(rt)
    batch = Batch.objects.get()
    client.force_login(wl_admin)
    url = reverse("whitelist_batch_cancel", args=[batch.pk])
    client.post(url, {"reason": ""})
    batch.refresh_from_db()
    assert batch.status == Batch.Status.AWAITING_APPROVAL  # no reason, no cancellation
    client.post(url, {"reason": "Board asked to split the batch"})
    batch.refresh_from_db()
    change.refresh_from_db()
    assert batch.status == Batch.Status.CANCELLED and change.status == Change.Status.FAILED
    assert "Board asked to split the batch" in change.note


@pytest.mark.chain
def test_the_dry_run_and_drift_pages_read_the_configured_chain(client, anvil, wl_admin, settings):
    from whitelist import anvil as anvil_mod

    settings.WHITELIST_RPC_URL = anvil.node.url
    settings.WHITELIST_CHAIN_ID = 31337
    settings.WHITELIST_SIGNER_KEY = anvil_mod.DEV_KEYS[0]
    listed = request_add()
    sync_until_settled(anvil.rt, mine=lambda: anvil.mine(1))
    new = request_add()
    client.force_login(wl_admin)
    html = client.get(reverse("whitelist_dry_run")).content.decode()
    assert new.address in html and listed.address not in html
    # Someone removes a listed address behind the portal's back: the drift page shows it and offers healing.
    contract = anvil.contract()
    chain = anvil.chain
    tx = chain.build_tx(
        chain_id=31337,
        nonce=chain.nonce(anvil.signer.address),
        to=contract.address,
        data=contract.remove_data([listed.address], "0x" + "ee" * 32),
        gas=200_000,
        fees=chain.suggest_fees(),
    )
    chain.send_raw(anvil.signer.sign(tx).raw)
    response = client.post(reverse("whitelist_drift"), follow=True)
    html = response.content.decode()
    assert "Reconciliation finished." in html
    assert listed.address in html and "Approved but missing on chain" in html and "Heal: queue the changes" in html
