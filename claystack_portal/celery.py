from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claystack_portal.settings.local")

app = Celery("claystack_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The chain signer's task has a queue of its own, consumed in production by ONE single-process worker
# (`celery -A claystack_portal worker -Q chain -c 1`, docs/deploy.md), so two syncs never compete for the signer's
# nonces. Both queues are declared, so a worker started without -Q (make run, tests) consumes both.
app.conf.task_queues = (Queue("celery", routing_key="celery"), Queue("chain", routing_key="chain"))
app.conf.task_routes = {"whitelist.sync": {"queue": "chain", "routing_key": "chain"}}
app.autodiscover_tasks()


@worker_ready.connect
def _announce_worker(**kwargs: Any) -> None:
    # Report the worker alive at once instead of after beat's first minute.
    from core.tasks import heartbeat_task

    heartbeat_task.delay()
