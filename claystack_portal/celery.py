from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claystack_portal.settings.local")

app = Celery("claystack_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _announce_worker(**kwargs: Any) -> None:
    # Report the worker alive at once instead of after beat's first minute.
    from core.tasks import heartbeat_task

    heartbeat_task.delay()
