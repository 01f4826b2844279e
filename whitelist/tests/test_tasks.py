"""The Celery side: the worker refuses to start misconfigured; an outage is retried and loses nothing;
the deploy command records where the contracts live; a worker process killed mid-send loses nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from whitelist import anvil as anvil_mod
from whitelist.models import Batch, Change, Deployment, Transaction
from whitelist.sync import sync_until_settled
from whitelist.tasks import whitelist_sync_task
from whitelist.tests.factories import request_add

ROOT = Path(__file__).resolve().parents[2]


def _worker_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHITELIST_", "ETH_RPC"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "claystack_portal.settings.test",
            "PORTAL_VAR_DIR": str(tmp_path),
            "WHITELIST_SIGNER_KEY": anvil_mod.DEV_KEYS[0],
            **extra,
        }
    )
    return env


@pytest.mark.chain
def test_a_worker_pointed_at_the_wrong_chain_refuses_to_start_and_names_the_setting(anvil_node, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "claystack_portal", "worker", "--pool", "solo", "--loglevel", "INFO"],
        cwd=ROOT,
        env=_worker_env(tmp_path, ETH_RPC_URL=anvil_node.url, WHITELIST_CHAIN_ID="1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "WHITELIST_CHAIN_ID: is 1 but the node at ETH_RPC_URL is chain 31337" in result.stderr + result.stdout
    assert anvil_mod.DEV_KEYS[0][2:] not in result.stderr + result.stdout  # the key never reaches a log


@pytest.mark.django_db
def test_with_the_node_down_the_sync_task_retries_with_backoff_and_the_change_stays_queued(settings):
    from unittest import mock

    from celery.exceptions import Retry

    settings.WHITELIST_RPC_URL = "http://127.0.0.1:9"
    settings.WHITELIST_CHAIN_ID = 31337
    settings.WHITELIST_SIGNER_KEY = anvil_mod.DEV_KEYS[0]
    change = request_add()
    whitelist_sync_task.push_request(retries=3, called_directly=False, id="t-1")  # type: ignore[call-arg]
    try:
        with mock.patch.object(whitelist_sync_task, "apply_async", autospec=True) as requeue, pytest.raises(Retry):
            whitelist_sync_task.run()
    finally:
        whitelist_sync_task.pop_request()
    assert requeue.call_args.kwargs["countdown"] == 16  # 2 ** (retries + 1), capped at 300
    change.refresh_from_db()
    assert change.status == Change.Status.PENDING


@pytest.mark.chain
def test_the_deploy_command_records_address_chain_transaction_and_block_and_skips_what_exists(
    anvil_node, db, settings, capsys
):
    settings.WHITELIST_RPC_URL = anvil_node.url
    settings.WHITELIST_CHAIN_ID = 31337
    settings.WHITELIST_SIGNER_KEY = anvil_mod.DEV_KEYS[0]
    call_command("whitelist_deploy")
    deployments = {d.list_key: d for d in Deployment.objects.all()}
    assert set(deployments) == {"stakers", "operators"}
    stakers = deployments["stakers"]
    assert stakers.chain_id == 31337 and stakers.tx_hash.startswith("0x") and stakers.block_number >= 1
    assert stakers.address in capsys.readouterr().out
    call_command("whitelist_deploy", "--if-missing")
    assert Deployment.objects.count() == 2
    assert "already deployed" in capsys.readouterr().out


@pytest.mark.chain
@pytest.mark.postgres
def test_a_worker_process_killed_as_it_broadcasts_leaves_a_stored_transaction_that_is_sent_once(anvil_tx, tmp_path):
    change = request_add()
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    script = textwrap.dedent(
        """
        import os, signal, django
        django.setup()
        from unittest import mock
        from whitelist.chain import Chain
        from whitelist.config import runtime
        from whitelist.sync import whitelist_sync

        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)  # the worker dies at the moment it would broadcast

        with mock.patch.object(Chain, "send_raw", die):
            whitelist_sync(runtime(at_start=False))
        """
    )
    env = _worker_env(tmp_path, DATABASE_URL=database_url, ETH_RPC_URL=anvil_tx.node.url, WHITELIST_CHAIN_ID="31337")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, timeout=60, capture_output=True)
    assert result.returncode == -9, result.stderr.decode()[-2000:]
    tx = Transaction.objects.get()
    assert tx.status == Transaction.Status.SIGNED and Batch.objects.get().status == Batch.Status.SIGNED
    nonce_before = anvil_tx.chain.nonce(anvil_tx.signer.address, block="latest")
    sync_until_settled(anvil_tx.rt, mine=lambda: anvil_tx.mine(1))
    batch = Batch.objects.get()
    assert batch.status == Batch.Status.CONFIRMED and batch.tx_hash == tx.tx_hash
    assert Transaction.objects.count() == 1
    assert anvil_tx.chain.nonce(anvil_tx.signer.address, block="latest") == nonce_before + 1
    assert anvil_tx.contract().is_whitelisted(change.address)
