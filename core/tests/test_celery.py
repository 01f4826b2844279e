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


def test_every_beat_entry_names_a_task_that_celery_will_accept() -> None:
    # Beat refuses to send a task whose soft limit exceeds its hard limit (SchedulingError at every tick, seen
    # under `make run`); a task's own hard limit below the global soft limit must bring its own soft limit.
    app.loader.import_default_modules()
    problems = []
    for name, entry in app.conf.beat_schedule.items():
        task = app.tasks.get(entry["task"])
        if task is None:
            problems.append(f"{name}: no task named {entry['task']}")
            continue
        hard = task.time_limit or app.conf.task_time_limit
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        if hard and soft and soft > hard:
            problems.append(f"{name}: soft time limit {soft} s above the hard limit {hard} s")
    assert not problems, problems
