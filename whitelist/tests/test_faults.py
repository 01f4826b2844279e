"""Fault injection on the whitelist sync, with real processes: a `celery worker` on a Redis of its own, anvil,
PostgreSQL. Each test breaks one thing at one step of a sync (see whitelist/faults.py for the points), then
lets the system recover the way production does (a restarted worker, the beat sweep sending whitelist.sync
again) and checks that every approved address is on chain exactly once, by the contract's state and by its
events, and that the outbox agrees: every change confirmed, one mined transaction per batch, no nonce spent
twice or wasted.

The shared Redis on 6379 is never touched: each test starts a private `redis-server` on a free port.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from django.db import connection
from django.test import override_settings
from kombu.exceptions import OperationalError as KombuOperationalError

from whitelist import anvil as anvil_mod
from whitelist.chain import Chain
from whitelist.faults import POINTS
from whitelist.models import Batch, Change, NonceCursor, Transaction
from whitelist.tests.conftest import Env
from whitelist.tests.factories import request_add

pytestmark = [pytest.mark.chain, pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
# Two contract deployments by the signer come first (nonces 0 and 1).
FIRST_SYNC_NONCE = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    predicate: Callable[[], bool], *, timeout: float, what: str, tick: Callable[[], None] | None = None
) -> None:
    """Poll until `predicate` holds; `tick` (the beat sweep) is called about once a second meanwhile."""
    deadline = time.monotonic() + timeout
    next_tick = 0.0
    while time.monotonic() < deadline:
        if predicate():
            return
        if tick is not None and time.monotonic() >= next_tick:
            tick()
            next_tick = time.monotonic() + 1.0
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class RedisServer:
    """A throw-away redis-server: no persistence, so a kill loses every queued message (the worst case)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_for(lambda: _pings(client), timeout=10, what="redis-server to answer")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


class Worker:
    """`celery worker` as production runs it (solo pool: the signer's single-concurrency queue)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "claystack_portal",
                    "worker",
                    "--pool",
                    "solo",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel",
                    "INFO",
                    "-n",
                    f"fault-{uuid.uuid4().hex[:8]}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_dead(self, timeout: float = 90) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("the worker did not die at the fault point:\n" + self.tail()) from None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # cold shutdown: the test is over, nothing to finish
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


class Rig:
    """Everything one fault test runs: the chain, a private broker, workers and the beat sweep."""

    def __init__(self, chain_env: Env, rpc_url: str, tmp_path: Path) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed: the fault tests start a private one (apt install redis-server)")
        self.env = chain_env
        self.rpc_url = rpc_url
        self.tmp = tmp_path
        self.redis = RedisServer()
        self.redis.start()
        self.workers: list[Worker] = []
        self.sender = Celery("fault-test-beat", broker=self.redis.url, set_as_current=False)
        self.faults = tmp_path / "faults"
        self.faults.mkdir()

    def worker_env(self, **extra: str) -> dict[str, str]:
        db = connection.settings_dict
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("WHITELIST_", "ETH_RPC", "CELERY_", "REDIS_URL", "DATABASE_URL"))
        }
        return {
            **base,
            "DJANGO_SETTINGS_MODULE": "whitelist.tests.fault_settings",
            "PORTAL_VAR_DIR": str(self.tmp),
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": self.redis.url,
            "CELERY_BROKER_URL": self.redis.url,
            "ETH_RPC_URL": self.rpc_url,
            "WHITELIST_RPC_TIMEOUT": "3",
            "WHITELIST_CHAIN_ID": str(anvil_mod.CHAIN_ID),
            "WHITELIST_SIGNER_KEY": anvil_mod.DEV_KEYS[0],
            "WHITELIST_CONFIRMATIONS": "1",
            "WHITELIST_BATCH_SIZE": "2",
            "WHITELIST_FAULT_DIR": str(self.faults),
            **extra,
        }

    def start_worker(self, **extra: str) -> Worker:
        worker = Worker(self.worker_env(**extra), self.tmp / f"worker-{len(self.workers)}.log")
        self.workers.append(worker)
        return worker

    def beat_tick(self) -> None:
        """What celery beat sends every 15 s (CELERY_BEAT_SCHEDULE["whitelist.sync"]), sent now."""
        with suppress(KombuOperationalError):  # the broker may be down on purpose; beat retries too
            self.sender.send_task("whitelist.sync")

    def paused_at(self, point: str, timeout: float = 60) -> dict[str, Any]:
        marker = self.faults / f"{point}.json"
        wait_for(marker.exists, timeout=timeout, what=f"a worker to pause at {point}")
        return dict(json.loads(marker.read_text()))

    def resume(self, point: str) -> None:
        (self.faults / f"{point}.go").touch()

    def settle(self, changes: list[Change], *, timeout: float = 60) -> None:
        def done() -> bool:
            return (
                Change.objects.filter(pk__in=[c.pk for c in changes], status=Change.Status.CONFIRMED).count()
                == len(changes)
                and not Batch.objects.exclude(status=Batch.Status.CONFIRMED).exists()
            )

        try:
            wait_for(done, timeout=timeout, what="every change to be confirmed", tick=self.beat_tick)
        except AssertionError as exc:
            logs = "\n".join(w.tail() for w in self.workers)
            raise AssertionError(f"{exc}\n{logs}") from None

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.sender.close()
        self.redis.kill()


@contextmanager
def portal_broker(url: str) -> Iterator[None]:
    """Point this process's Celery app (the one `.delay()` uses) at `url`, then back."""
    from claystack_portal.celery import app

    def reset_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    before = app.conf.broker_url
    app.conf.broker_url = url
    reset_pools()
    try:
        yield
    finally:
        app.conf.broker_url = before
        reset_pools()


@pytest.fixture
def rig(anvil_tx: Env, tmp_path: Path) -> Iterator[Rig]:
    r = Rig(anvil_tx, anvil_tx.node.url, tmp_path)
    yield r
    r.close()


def assert_on_chain_exactly_once(env: Env, changes: list[Change]) -> None:
    """The contract holds each approved address with its expiry, each added by exactly one event of one of
    our batches; the outbox says confirmed; one transaction per batch was mined; no nonce wasted or reused."""
    for change in changes:
        change.refresh_from_db()
    assert {c.status for c in changes} == {Change.Status.CONFIRMED}
    batches = list(Batch.objects.order_by("id"))
    assert batches and {b.status for b in batches} == {Batch.Status.CONFIRMED}
    expected = {c.address: int(c.valid_until.timestamp()) for c in changes}
    contract = env.contract()
    addresses = sorted(expected)
    assert dict(zip(addresses, contract.valid_until_many(addresses), strict=True)) == expected
    events = list(contract.events(0, env.chain.block_number()))
    assert Counter(e.account for e in events if e.kind == "added") == Counter(addresses)  # once each, no stray
    assert not [e for e in events if e.kind == "removed"]
    assert {e.batch_id for e in events} == {b.batch_id for b in batches}
    mined = list(Transaction.objects.filter(status=Transaction.Status.MINED).order_by("nonce"))
    assert sorted(t.batch_id for t in mined) == [b.pk for b in batches]  # one mined transaction per batch
    assert [t.nonce for t in mined] == list(range(FIRST_SYNC_NONCE, FIRST_SYNC_NONCE + len(batches)))
    assert {b.tx_hash for b in batches} == {t.tx_hash for t in mined}
    on_chain_nonce = env.chain.nonce(env.signer.address, block="latest")
    assert on_chain_nonce == FIRST_SYNC_NONCE + len(batches)  # nothing sent twice, nothing lost in between
    assert NonceCursor.objects.get().next_nonce == on_chain_nonce


def approve(count: int = 3) -> list[Change]:
    # Batches of two (WHITELIST_BATCH_SIZE in the workers): three changes make two batches, so a fault
    # in the first batch also leaves a second one behind it.
    return [request_add() for _ in range(count)]


# What the database must show right after the worker died at each point: the recorded state the recovery
# starts from (and proof that the fault hit where it says).
def _state_after_claim(env: Env) -> None:
    assert Batch.objects.filter(status=Batch.Status.READY).count() == 2
    assert not Transaction.objects.exists()


def _state_in_sign_tx(env: Env) -> None:
    # The killed transaction was rolled back by PostgreSQL: no nonce taken, no raw transaction kept.
    assert not Transaction.objects.exists()
    assert not NonceCursor.objects.filter(next_nonce__gt=FIRST_SYNC_NONCE).exists()
    assert Batch.objects.filter(status=Batch.Status.READY).count() == 2


def _state_after_sign(env: Env) -> None:
    tx = Transaction.objects.get()
    assert tx.status == Transaction.Status.SIGNED and tx.batch.status == Batch.Status.SIGNED
    assert env.chain.nonce(env.signer.address, block="latest") == FIRST_SYNC_NONCE  # stored, never sent


def _state_after_broadcast(env: Env) -> None:
    tx = Transaction.objects.get()
    assert tx.status == Transaction.Status.SIGNED  # the database does not know it was sent...
    assert env.chain.receipt(tx.tx_hash) is not None  # ...but the node has it: re-sending must not duplicate


def _state_after_receipt(env: Env) -> None:
    assert Batch.objects.filter(status=Batch.Status.BROADCAST).count() == 2
    assert not Batch.objects.filter(status__in=[Batch.Status.MINED, Batch.Status.CONFIRMED]).exists()


def _state_in_confirm_tx(env: Env) -> None:
    assert Batch.objects.filter(status=Batch.Status.MINED).count() == 1  # the confirmation was rolled back
    assert not Batch.objects.filter(status=Batch.Status.CONFIRMED).exists()
    assert not Change.objects.filter(status=Change.Status.CONFIRMED).exists()


KILL_POINTS = {
    "after_claim": _state_after_claim,
    "in_sign_tx": _state_in_sign_tx,
    "after_sign": _state_after_sign,
    "after_broadcast": _state_after_broadcast,
    "after_receipt": _state_after_receipt,
    "in_confirm_tx": _state_in_confirm_tx,
}


@pytest.mark.parametrize("point", POINTS)  # every point in the sync code; each needs its expected state above
def test_a_worker_killed_at_each_step_of_a_sync_loses_nothing_and_sends_nothing_twice(rig: Rig, point: str):
    changes = approve()
    doomed = rig.start_worker(WHITELIST_FAULT_AT=point)
    # Beat ticks until the worker reaches the point (the later points are only met on a second pass).
    wait_for(lambda: doomed.process.poll() is not None, timeout=90, what=f"SIGKILL at {point}", tick=rig.beat_tick)
    assert doomed.wait_dead() == -signal.SIGKILL, doomed.tail()
    KILL_POINTS[point](rig.env)
    rig.start_worker()
    rig.settle(changes)
    assert_on_chain_exactly_once(rig.env, changes)


@pytest.mark.parametrize("point", ["in_sign_tx", "in_confirm_tx"])
def test_a_database_connection_terminated_mid_transaction_rolls_back_and_the_next_sweep_finishes(rig: Rig, point: str):
    changes = approve()
    worker = rig.start_worker(WHITELIST_FAULT_AT=point, WHITELIST_FAULT_ACTION="pause")
    wait_for(lambda: (rig.faults / f"{point}.json").exists(), timeout=90, what=point, tick=rig.beat_tick)
    paused = rig.paused_at(point)
    assert paused["backend_pid"]
    # The worker holds its writes uncommitted here. Checked now, not after the failure: beat ticks queued while
    # waiting let the same worker recover within moments of it, so a later look races the recovery.
    if point == "in_sign_tx":
        assert not Transaction.objects.exists()  # the signing in flight is not visible: nothing can be sent
        assert rig.env.chain.nonce(rig.env.signer.address, block="latest") == FIRST_SYNC_NONCE
    else:
        assert not Batch.objects.filter(status=Batch.Status.CONFIRMED).exists()
        assert not Change.objects.filter(status=Change.Status.CONFIRMED).exists()
    with connection.cursor() as cursor:  # from another connection, as an operator or a failover would
        cursor.execute("SELECT pg_terminate_backend(%s)", [paused["backend_pid"]])
        assert cursor.fetchone() == (True,)
    rig.resume(point)
    wait_for(lambda: "terminating connection" in worker.tail(), timeout=30, what="the commit to fail")
    # Whatever the worker redid since, the terminated transaction left nothing half-done: a confirmed batch has
    # all its changes confirmed, and (below) every nonce was used exactly once.
    for batch in Batch.objects.filter(status=Batch.Status.CONFIRMED):
        assert not batch.changes.exclude(status=Change.Status.CONFIRMED).exists()
    rig.settle(changes)
    assert worker.process.poll() is None  # the same worker recovered: no restart was needed
    assert_on_chain_exactly_once(rig.env, changes)


def test_with_redis_killed_while_changes_are_pending_the_sweep_recovers_everything_from_the_outbox(rig: Rig):
    worker = rig.start_worker()
    rig.beat_tick()
    first = approve(1)
    rig.settle(first)
    rig.redis.kill()
    # Decisions keep being recorded while the broker is down (the enqueue after commit fails and says so):
    # the outbox in PostgreSQL holds them.
    with override_settings(WHITELIST_RPC_URL=rig.rpc_url), portal_broker(rig.redis.url):
        later = approve(3)
    assert {c.status for c in later} == {Change.Status.PENDING}
    time.sleep(1)
    assert worker.process.poll() is None  # the worker waits for its broker, it does not die
    rig.redis.start()  # empty: every queued message is gone
    rig.settle(first + later, timeout=90)
    assert worker.process.poll() is None
    assert_on_chain_exactly_once(rig.env, first + later)


@pytest.fixture
def own_node(transactional_db: Any, chain_settings: None, tmp_path: Path) -> Iterator[tuple[Env, Any]]:
    """An anvil that keeps its chain across a stop and a start (--state): the node restarts, the chain stays."""
    if not anvil_mod.available():
        pytest.skip("anvil is not installed: run `npm ci`")
    state = tmp_path / "anvil-state.json"
    holder: dict[str, Any] = {"node": anvil_mod.start(state_path=state)}
    env = Env(Chain.http(holder["node"].url, timeout=3), list(anvil_mod.DEV_KEYS), mine=lambda n=1: None)
    holder["restart"] = lambda: anvil_mod.start(port=holder["node"].port, state_path=state)
    yield env, holder
    holder["node"].stop()


@pytest.mark.parametrize("point", ["after_sign", "after_broadcast"])
def test_with_the_node_stopped_mid_sync_the_worker_retries_and_after_a_restart_everything_lands_once(
    own_node: tuple[Env, Any], tmp_path: Path, point: str
):
    env, holder = own_node
    rig = Rig(env, holder["node"].url, tmp_path)
    try:
        changes = approve()
        worker = rig.start_worker(WHITELIST_FAULT_AT=point, WHITELIST_FAULT_ACTION="pause")
        wait_for(lambda: (rig.faults / f"{point}.json").exists(), timeout=90, what=point, tick=rig.beat_tick)
        holder["node"].stop()  # the node goes away between two steps of the sync
        rig.resume(point)
        wait_for(lambda: "node unavailable" in worker.tail(), timeout=30, what="the task to see the outage")
        assert Change.objects.filter(status=Change.Status.CONFIRMED).count() == 0
        holder["node"] = holder["restart"]()
        rig.settle(changes, timeout=90)
        assert worker.process.poll() is None
        assert_on_chain_exactly_once(env, changes)
    finally:
        rig.close()
