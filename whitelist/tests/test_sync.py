"""The sync engine on py-evm in process: planning, collapsing, skipping, board and Safe modes, reverts,
configuration faults. The node-level faults (reorgs, drops, restarts, concurrency) are in test_anvil.py."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import AuditEvent
from whitelist import config
from whitelist.chain import MANAGER_ROLE, Misconfigured, keystore_encrypt, signer_from_key
from whitelist.config import Runtime
from whitelist.deploy import whitelist_deploy
from whitelist.models import Batch, Change, Transaction
from whitelist.safe import safe_transaction_builder_json
from whitelist.services import batch_approve
from whitelist.sync import preview, sync_until_settled, whitelist_sync
from whitelist.tests.factories import fresh_address, request_add, request_remove
from whitelist.tests.txbuilder import builder_encode

pytestmark = [pytest.mark.chain, pytest.mark.django_db]


def settle(env, rt=None):
    return sync_until_settled(rt or env.rt, mine=lambda: env.mine(1))


def test_approved_addresses_end_up_whitelisted_on_chain_and_their_changes_confirmed(tester):
    changes = [request_add() for _ in range(4)] + [request_add(list_key="operators")]
    report = settle(tester)
    assert report.confirmed == 2
    for change in changes:
        change.refresh_from_db()
        assert change.status == Change.Status.CONFIRMED
        assert tester.contract(change.list_key).valid_until(change.address) == int(change.valid_until.timestamp())
    batch = Batch.objects.get(list_key="stakers")
    assert [h.to_status for h in batch.history.all()] == ["ready", "signed", "broadcast", "mined", "confirmed"]
    tx = batch.transactions.get()
    assert tx.raw.startswith("0x02") and tx.nonce == 2  # two deployments used nonces 0 and 1
    assert AuditEvent.objects.filter(action="whitelist.batch_confirmed").count() == 2


def test_an_addition_then_a_removal_of_the_same_address_cancel_out_and_nothing_is_sent(tester):
    address = fresh_address()
    first = request_add(address)
    second = request_remove(address)
    report = settle(tester)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Change.Status.SUPERSEDED and first.superseded_by_id == second.pk
    assert second.status == Change.Status.SKIPPED and second.note == "already absent on chain"
    assert report.sent == 0 and not Batch.objects.exists()


def test_what_is_already_so_on_chain_is_skipped(tester):
    change = request_add()
    settle(tester)
    again = request_add(change.address, valid_until=change.valid_until)
    settle(tester)
    again.refresh_from_db()
    assert again.status == Change.Status.SKIPPED
    assert Batch.objects.count() == 1


def test_a_new_expiry_for_a_listed_address_is_sent_as_a_new_batch(tester):
    change = request_add(days=10)
    settle(tester)
    later = request_add(change.address, days=20)
    settle(tester)
    assert tester.contract().valid_until(change.address) == int(later.valid_until.timestamp())


def test_batches_hold_at_most_the_configured_number_of_addresses(tester, settings):
    settings.WHITELIST_BATCH_SIZE = 3
    until = timezone.now() + dt.timedelta(days=5)
    for _ in range(7):
        request_add(valid_until=until)
    settle(tester)
    assert sorted(Batch.objects.values_list("size", flat=True)) == [1, 3, 3]
    nonces = sorted(Transaction.objects.values_list("nonce", flat=True))
    assert nonces == [2, 3, 4]


def test_a_change_for_an_address_in_an_unfinished_batch_waits_for_it(tester):
    address = fresh_address()
    request_add(address)
    whitelist_sync(tester.rt)  # planned and sent, not yet confirmed
    removal = request_remove(address)
    whitelist_sync(tester.rt)
    removal.refresh_from_db()
    assert removal.status == Change.Status.PENDING  # reading the chain now would see the old state
    settle(tester)
    removal.refresh_from_db()
    assert removal.status == Change.Status.CONFIRMED
    assert tester.contract().valid_until(address) == 0


def test_a_batch_that_reverts_is_failed_with_its_decoded_reason_and_alerts(tester):
    change = request_add(valid_until=timezone.now() + dt.timedelta(seconds=120))
    tester.chain.tester.disable_auto_mine_transactions()
    whitelist_sync(tester.rt)  # signed and sent with the expiry still in the future
    assert Batch.objects.get().status == Batch.Status.BROADCAST
    tester.chain.tester.time_travel(int(change.valid_until.timestamp()) + 60)  # mined after it passed
    settle(tester)
    batch = Batch.objects.get()
    change.refresh_from_db()
    assert batch.status == Batch.Status.FAILED
    assert batch.failure_reason == f"The transaction reverted: ValidUntilInPast({int(change.valid_until.timestamp())})"
    assert change.status == Change.Status.FAILED
    assert AuditEvent.objects.filter(action="whitelist.alert").exists()
    assert "failed" in mail.outbox[0].subject


def test_a_contract_without_the_expected_role_is_reported_before_any_send(tester):
    other = signer_from_key(tester.keys[1])
    dep = whitelist_deploy(
        chain=tester.chain, signer=tester.signer, list_key="stakers", admin=tester.signer.address, manager=other.address
    )
    request_add()
    report = whitelist_sync(tester.rt)
    assert any("does not have WHITELIST_MANAGER_ROLE" in p and dep.address in p for p in report.problems)
    assert not Transaction.objects.exists()
    assert Change.objects.get().status == Change.Status.PENDING


def test_board_mode_sends_a_batch_only_after_the_quorum_of_board_members_approves(tester, make_staff, settings):
    settings.WHITELIST_BOARD_QUORUM = 2
    rt = Runtime(chain=tester.chain, chain_id=tester.chain_id, signer=tester.signer, mode="board")
    members = [make_staff("board_member", email=f"board{i}@claystack.example") for i in range(3)]
    admin = make_staff("whitelist_admin", email="wl.admin@claystack.example")
    change = request_add()
    whitelist_sync(rt)
    batch = Batch.objects.get()
    assert batch.status == Batch.Status.AWAITING_APPROVAL and batch.approvals_required == 2
    with pytest.raises(ApplicationError, match="Only board members"):
        batch_approve(batch=batch, by=admin)
    batch_approve(batch=batch, by=members[0])
    with pytest.raises(ApplicationError, match="already approved"):
        batch_approve(batch=batch, by=members[0])
    whitelist_sync(rt)
    assert not Transaction.objects.exists()
    batch_approve(batch=batch, by=members[1])
    settle(tester, rt)
    change.refresh_from_db()
    assert change.status == Change.Status.CONFIRMED
    assert tester.contract().is_whitelisted(change.address)


def test_safe_mode_exports_a_transaction_builder_file_and_follows_its_execution_through_events(tester, settings):
    # The Safe is stood in for by an account holding the manager role: what the portal follows is the
    # contract's events, whoever executes the batch.
    safe = signer_from_key(tester.keys[2])
    settings.WHITELIST_SAFE_ADDRESS = safe.address
    dep = whitelist_deploy(
        chain=tester.chain, signer=tester.signer, list_key="stakers", admin=tester.signer.address, manager=safe.address
    )
    rt = Runtime(chain=tester.chain, chain_id=tester.chain_id, signer=None, mode="safe")
    until = timezone.now() + dt.timedelta(days=3)
    changes = [request_add(valid_until=until) for _ in range(3)]
    whitelist_sync(rt)
    batch = Batch.objects.get()
    assert batch.status == Batch.Status.AWAITING_SAFE and batch.deployment == dep
    export = safe_transaction_builder_json(batch=batch, safe_address=safe.address)
    assert export["chainId"] == str(tester.chain_id)
    (tx,) = export["transactions"]
    assert tx["to"] == dep.address and builder_encode(tx) == batch.calldata and tx["value"] == "0"
    assert tx["contractMethod"]["name"] == "addBatch"
    assert tx["contractInputsValues"]["batchId"] == batch.batch_id
    assert sorted(tx["contractInputsValues"]["accounts"].strip("[]").split(",")) == sorted(c.address for c in changes)
    json.dumps(export)
    whitelist_sync(rt)
    assert Batch.objects.get().status == Batch.Status.AWAITING_SAFE  # nothing executed yet
    # The owners execute it.
    chain = tester.chain
    signed = safe.sign(
        chain.build_tx(
            chain_id=tester.chain_id,
            nonce=chain.nonce(safe.address),
            to=tx["to"],
            data=builder_encode(tx),
            gas=1_000_000,
            fees=chain.suggest_fees(),
        )
    )
    chain.send_raw(signed.raw)
    settle(tester, rt)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.CONFIRMED and batch.tx_hash == signed.tx_hash
    assert not Transaction.objects.exists()  # the portal never signed anything


def test_the_dry_run_shows_what_a_sync_would_do_without_writing(tester):
    listed = request_add()
    settle(tester)
    request_add(listed.address, valid_until=listed.valid_until)
    new = request_add()
    diff = preview(tester.rt)
    actions = {d.address: d.action for d in diff["stakers"]}
    assert actions == {listed.address: "skip", new.address: "add"}
    assert Change.objects.filter(status=Change.Status.PENDING).count() == 2


def test_a_wrong_chain_id_stops_with_a_message_naming_the_setting(tester, settings):
    settings.WHITELIST_CHAIN_ID = tester.chain_id + 1
    with pytest.raises(Misconfigured, match="WHITELIST_CHAIN_ID") as exc:
        config.check_chain_id(tester.chain)
    assert exc.value.setting == "WHITELIST_CHAIN_ID"


def test_an_unreachable_rpc_url_and_a_bad_key_stop_with_messages_naming_the_setting(settings):
    settings.WHITELIST_RPC_URL = "http://127.0.0.1:9"
    settings.WHITELIST_CHAIN_ID = 1
    with pytest.raises(Misconfigured) as exc:
        config.runtime()
    assert exc.value.setting == "ETH_RPC_URL"
    settings.WHITELIST_RPC_URL = "localhost:8545"
    with pytest.raises(Misconfigured, match="ETH_RPC_URL: must be an http"):
        config.runtime()
    settings.WHITELIST_SIGNER_KEY = "0x1234"
    with pytest.raises(Misconfigured) as exc:
        config.signer_from_settings()
    assert exc.value.setting == "WHITELIST_SIGNER_KEY" and "0x1234" not in str(exc.value)
    settings.WHITELIST_SIGNER_KEY = ""
    settings.WHITELIST_GOVERNANCE = "key"
    with pytest.raises(Misconfigured, match="WHITELIST_SIGNER_KEY: is not set"):
        config.signer_from_settings()
    settings.WHITELIST_GOVERNANCE = "dao"
    with pytest.raises(Misconfigured, match="WHITELIST_GOVERNANCE"):
        config.governance()


def test_the_signer_key_can_come_from_an_encrypted_keystore_and_never_shows_in_its_repr(tmp_path, settings):
    key = "0x" + "42" * 32
    path = tmp_path / "signer.json"
    path.write_text(json.dumps(keystore_encrypt(key, "correct horse")))
    settings.WHITELIST_KEYSTORE_PATH = str(path)
    settings.WHITELIST_KEYSTORE_PASSWORD = "correct horse"
    signer = config.signer_from_settings()
    assert signer.address == signer_from_key(key).address
    assert "42" * 8 not in repr(signer) and "42" * 8 not in str(signer)
    settings.WHITELIST_KEYSTORE_PASSWORD = "wrong"
    with pytest.raises(Misconfigured, match="WHITELIST_KEYSTORE_PASSWORD"):
        config.signer_from_settings()


def test_the_manager_role_is_granted_at_deployment(tester):
    assert tester.contract().has_role(MANAGER_ROLE, tester.signer.address)


@override_settings(WHITELIST_CONFIRMATIONS=0)
def test_with_zero_confirmations_configured_the_sync_waits_for_the_finalized_tag(tester):
    change = request_add()
    settle(tester)  # py-evm answers "finalized" with the latest block
    change.refresh_from_db()
    assert change.status == Change.Status.CONFIRMED
