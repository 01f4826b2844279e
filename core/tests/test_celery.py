"""The Celery app talks to the real broker: a task sent through Redis runs in a worker."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from claystack_portal.celery import app
from core.tasks import HEARTBEAT_KEY, heartbeat_task


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_task_sent_through_redis_is_run_by_a_worker() -> None:
    cache.delete(HEARTBEAT_KEY)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        heartbeat_task.delay()
        deadline = time.monotonic() + 20
        while cache.get(HEARTBEAT_KEY) is None and time.monotonic() < deadline:
            time.sleep(0.1)
    assert cache.get(HEARTBEAT_KEY) is not None


def test_beat_schedules_the_heartbeat_every_minute() -> None:
    entry = app.conf.beat_schedule["core.heartbeat"]
    assert entry["task"] == "core.heartbeat"
    assert entry["schedule"].total_seconds() == 60
