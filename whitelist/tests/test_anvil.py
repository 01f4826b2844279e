"""The sync engine against a real node (anvil on a free loopback port): manual mining, stuck transactions,
drops, reorgs, a node that goes away, a worker that dies mid-send, two workers at once, the gas cap."""

from __future__ import annotations

import datetime as dt
import math
import threading
from unittest import mock

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from whitelist import anvil as anvil_mod
from whitelist.chain import TX_GAS_CAP, Chain, ChainUnavailable
from whitelist.config import Runtime
from whitelist.models import Batch, Change, Transaction
from whitelist.sync import sync_until_settled, whitelist_sync
from whitelist.tests.factories import request_add

pytestmark = pytest.mark.chain


def settle(env):
    return sync_until_settled(env.rt, mine=lambda: env.mine(1))


def manual_mining(env):
    env.chain.rpc("evm_setAutomine", [False])


@override_settings(WHITELIST_CONFIRMATIONS=3)
def test_with_automine_off_a_batch_waits_for_a_block_and_then_for_its_confirmations(anvil):
    manual_mining(anvil)
    change = request_add()
    whitelist_sync(anvil.rt)
    batch = Batch.objects.get()
    assert batch.status == Batch.Status.BROADCAST
    whitelist_sync(anvil.rt)
    assert Batch.objects.get().status == Batch.Status.BROADCAST  # nothing mined, nothing invented
    anvil.mine(1)
    whitelist_sync(anvil.rt)
    assert Batch.objects.get().status == Batch.Status.MINED
    anvil.mine(1)
    whitelist_sync(anvil.rt)
    assert Batch.objects.get().status == Batch.Status.MINED  # 2 of 3 confirmations
    anvil.mine(1)
    whitelist_sync(anvil.rt)
    batch.refresh_from_db()
    change.refresh_from_db()
    assert batch.status == Batch.Status.CONFIRMED and change.status == Change.Status.CONFIRMED
    assert anvil.contract().is_whitelisted(change.address)


def test_a_stuck_transaction_is_replaced_with_both_fees_up_an_eighth_rounded_up_and_capped(anvil, settings):
    manual_mining(anvil)
    change = request_add()
    whitelist_sync(anvil.rt)
    first = Transaction.objects.get()
    ceiling = math.ceil(int(first.max_fee_per_gas) * 9 / 8)
    settings.WHITELIST_MAX_FEE_GWEI = ceiling / 10**9
    settings.WHITELIST_STUCK_AFTER_SECONDS = 0
    whitelist_sync(anvil.rt)
    second = Transaction.objects.latest("id")
    assert second.nonce == first.nonce and second.tx_hash != first.tx_hash
    assert int(second.max_priority_fee_per_gas) == math.ceil(int(first.max_priority_fee_per_gas) * 9 / 8)
    assert int(second.max_fee_per_gas) == ceiling
    first.refresh_from_db()
    assert first.status == Transaction.Status.REPLACED
    whitelist_sync(anvil.rt)  # max fee at the ceiling: no further replacement, the last one is kept alive
    assert Transaction.objects.count() == 2
    settings.WHITELIST_STUCK_AFTER_SECONDS = 180
    anvil.mine(1)
    settle(anvil)
    batch = Batch.objects.get()
    assert batch.status == Batch.Status.CONFIRMED and batch.tx_hash == second.tx_hash
    assert anvil.chain.nonce(anvil.signer.address, block="latest") == first.nonce + 1
    assert anvil.contract().is_whitelisted(change.address)


def test_a_dropped_transaction_is_sent_again_from_its_stored_bytes(anvil):
    manual_mining(anvil)
    change = request_add()
    whitelist_sync(anvil.rt)
    tx = Transaction.objects.get()
    anvil.chain.rpc("anvil_dropTransaction", [tx.tx_hash])
    assert not anvil.chain.is_pending(tx.tx_hash)
    whitelist_sync(anvil.rt)
    assert anvil.chain.is_pending(tx.tx_hash)
    anvil.mine(1)
    settle(anvil)
    assert Batch.objects.get().tx_hash == tx.tx_hash and Transaction.objects.count() == 1
    assert anvil.contract().is_whitelisted(change.address)


@override_settings(WHITELIST_CONFIRMATIONS=3)
def test_after_a_reorg_takes_the_receipt_away_the_stored_transaction_is_rebroadcast_and_confirmed(anvil):
    manual_mining(anvil)
    change = request_add()
    whitelist_sync(anvil.rt)
    anvil.mine(1)
    whitelist_sync(anvil.rt)
    batch = Batch.objects.get()
    assert batch.status == Batch.Status.MINED
    anvil.chain.rpc("anvil_reorg", [anvil.chain.block_number() - batch.block_number + 1, []])
    assert anvil.chain.receipt(batch.tx_hash) is None
    whitelist_sync(anvil.rt)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.BROADCAST
    assert "reorged out" in batch.history.filter(to_status="broadcast").last().note
    anvil.mine(3)
    whitelist_sync(anvil.rt)
    whitelist_sync(anvil.rt)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.CONFIRMED
    assert Transaction.objects.count() == 1
    assert anvil.contract().is_whitelisted(change.address)


def test_with_the_node_stopped_the_sync_fails_softly_and_after_a_restart_nothing_is_lost(db, chain_settings, tmp_path):
    if not anvil_mod.available():
        pytest.skip("anvil is not installed: run `npm ci`")
    from whitelist.tests.conftest import Env

    state = tmp_path / "anvil-state.json"
    node = anvil_mod.start(state_path=state)
    try:
        env = Env(Chain.http(node.url, timeout=2), list(anvil_mod.DEV_KEYS), mine=lambda n=1: None)
        env.chain.rpc("evm_setAutomine", [False])
        first = request_add()
        whitelist_sync(env.rt)  # signed and in the node's pool
        node.stop()
        second = request_add()
        with pytest.raises(ChainUnavailable):
            whitelist_sync(env.rt)
        second.refresh_from_db()
        assert second.status == Change.Status.PENDING
        node = anvil_mod.start(port=node.port, state_path=state)
        env.mine = lambda n=1: env.chain.rpc("anvil_mine", [hex(n)])
        sync_until_settled(env.rt, mine=lambda: env.mine(1))
        for change in (first, second):
            change.refresh_from_db()
            assert change.status == Change.Status.CONFIRMED
            assert env.contract().is_whitelisted(change.address)
        assert Transaction.objects.count() == 2
    finally:
        node.stop()


def test_a_worker_killed_between_signing_and_broadcasting_leaves_no_duplicate_and_loses_nothing(anvil):
    change = request_add()
    with (
        mock.patch.object(Chain, "send_raw", autospec=True, side_effect=SystemExit("worker killed")),
        pytest.raises(SystemExit),
    ):
        whitelist_sync(anvil.rt)
    batch = Batch.objects.get()
    tx = Transaction.objects.get()
    assert batch.status == Batch.Status.SIGNED and tx.status == Transaction.Status.SIGNED  # stored before sending
    nonce_before = anvil.chain.nonce(anvil.signer.address, block="latest")
    settle(anvil)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.CONFIRMED and batch.tx_hash == tx.tx_hash
    assert Transaction.objects.count() == 1
    assert anvil.chain.nonce(anvil.signer.address, block="latest") == nonce_before + 1
    assert anvil.contract().is_whitelisted(change.address)


def test_a_worker_killed_after_broadcasting_but_before_recording_it_sends_nothing_twice(anvil):
    change = request_add()
    with mock.patch("whitelist.sync.broadcast", autospec=True):  # the worker dies right after sending
        whitelist_sync(anvil.rt)
    tx = Transaction.objects.get()
    anvil.chain.send_raw(tx.raw)
    assert Batch.objects.get().status == Batch.Status.SIGNED
    settle(anvil)  # re-sending answers "already imported" / "nonce too low": the receipt decides
    batch = Batch.objects.get()
    assert batch.status == Batch.Status.CONFIRMED and batch.tx_hash == tx.tx_hash
    assert Transaction.objects.count() == 1
    assert anvil.contract().is_whitelisted(change.address)


@pytest.mark.postgres
def test_two_workers_at_once_never_collide_on_a_nonce(anvil_tx, settings):
    settings.WHITELIST_BATCH_SIZE = 4
    until = timezone.now() + dt.timedelta(days=9)
    changes = [request_add(valid_until=until) for _ in range(24)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        rt = Runtime(
            chain=Chain.http(anvil_tx.node.url), chain_id=anvil_tx.chain_id, signer=anvil_tx.signer, mode="key"
        )
        try:
            barrier.wait()
            for _ in range(3):
                whitelist_sync(rt)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    settle(anvil_tx)
    nonces = sorted(Transaction.objects.values_list("nonce", flat=True))
    assert nonces == list(range(2, 8))  # six batches, six consecutive nonces, none reused
    assert Batch.objects.filter(status=Batch.Status.CONFIRMED).count() == 6
    contract = anvil_tx.contract()
    assert all(
        v == int(until.replace(microsecond=0).timestamp())
        for v in contract.valid_until_many([c.address for c in changes])
    )


def test_a_batch_over_the_per_transaction_gas_cap_is_split_in_two(anvil, settings):
    settings.WHITELIST_BATCH_SIZE = 700
    until = timezone.now() + dt.timedelta(days=9)
    changes = [request_add(valid_until=until) for _ in range(700)]
    settle(anvil)
    batches = list(Batch.objects.order_by("id"))
    assert [b.size for b in batches] == [350, 350]
    assert all(b.gas_limit <= TX_GAS_CAP and (b.gas_used or 0) < TX_GAS_CAP for b in batches)
    assert all(b.status == Batch.Status.CONFIRMED for b in batches)
    assert set(anvil.contract().valid_until_many([c.address for c in changes])) == {
        int(until.replace(microsecond=0).timestamp())
    }
