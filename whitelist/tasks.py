"""Celery tasks of the whitelist: thin interfaces over the sync engine and the reconciliation."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_init
from django.core.cache import cache

logger = logging.getLogger(__name__)

PROGRESS_KEY = "whitelist:last-sync"


@worker_init.connect
def check_configuration_at_start(**kwargs: Any) -> None:
    """A misconfigured RPC, chain id or key stops the worker at once, with a message naming the setting."""
    from whitelist.chain import Misconfigured
    from whitelist.config import is_enabled, runtime

    if not is_enabled():
        logger.info("Whitelist sync is off: ETH_RPC_URL is not set.")
        return
    try:
        rt = runtime()
    except Misconfigured as exc:
        logger.critical("Whitelist misconfigured, the worker stops: %s", exc)
        raise SystemExit(f"Whitelist misconfigured: {exc}") from None
    logger.info("Whitelist sync on chain %s as %s (%s mode).", rt.chain_id, rt.sender, rt.mode)


@shared_task(
    name="whitelist.sync",
    bind=True,
    acks_late=True,
    max_retries=10,
    ignore_result=True,
    time_limit=600,
    soft_time_limit=540,
)
def whitelist_sync_task(self: Any) -> None:
    """Idempotent: every step is recorded before it is taken, so a retried or duplicated run is harmless."""
    from django.utils import timezone

    from whitelist.chain import ChainError, ChainUnavailable, Misconfigured
    from whitelist.config import is_enabled, runtime
    from whitelist.sync import whitelist_sync

    if not is_enabled():
        return
    try:
        report = whitelist_sync(runtime(at_start=False))
    except ChainUnavailable as exc:
        logger.warning("Whitelist sync: node unavailable (%s); retrying.", exc)
        raise self.retry(exc=exc, countdown=min(2 ** (self.request.retries + 1), 300)) from None
    except Misconfigured as exc:
        logger.critical("Whitelist sync stopped: %s", exc)  # permanent: never retried
        return
    except ChainError as exc:
        # The node refused something we did not classify (for example the signer ran out of ether): say it
        # loudly; the next beat tick tries again from the recorded state.
        logger.error("Whitelist sync: the node refused a request: %s", exc)
        return
    cache.set(PROGRESS_KEY, {"at": timezone.now().isoformat(), **report.__dict__}, timeout=None)


@shared_task(
    name="whitelist.reconcile", bind=True, max_retries=5, ignore_result=True, time_limit=900, soft_time_limit=840
)
def whitelist_reconcile_task(self: Any) -> None:
    from whitelist.chain import ChainUnavailable, Misconfigured
    from whitelist.config import deployment_current, is_enabled, list_keys, runtime
    from whitelist.reconcile import whitelist_reconcile
    from whitelist.services import alert

    if not is_enabled():
        return
    try:
        rt = runtime(at_start=False)
        for key in list_keys():
            dep = deployment_current(list_key=key, chain_id=rt.chain_id)
            if dep is None:
                continue
            rec = whitelist_reconcile(chain=rt.chain, deployment=dep)
            if rec.drift:
                alert(subject=f"{len(rec.drift)} drifted entries on {key}", message="See the drift report.", target=rec)
    except ChainUnavailable as exc:
        raise self.retry(exc=exc, countdown=min(2 ** (self.request.retries + 2), 600)) from None
    except Misconfigured as exc:
        logger.critical("Whitelist reconciliation stopped: %s", exc)


@shared_task(name="whitelist.targets_refresh", ignore_result=True, time_limit=1800, soft_time_limit=1700)
def whitelist_targets_refresh_task() -> None:
    """Daily: derive every address's target again from the deciding apps' sources and queue any difference."""
    from whitelist.config import list_keys
    from whitelist.services import whitelist_targets_refresh

    for key in list_keys():
        queued = whitelist_targets_refresh(list_key=key, actor=None, reason="Daily re-derivation of the target")
        if queued:
            logger.warning(
                "Target refresh queued %d change(s) on %s: a decision did not update its target.", queued, key
            )
