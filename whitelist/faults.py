"""Fault-injection points of the sync engine, for the recovery tests (whitelist/tests/test_faults.py).

Inert everywhere else: a point fires only when the settings module itself sets WHITELIST_FAULT_INJECTION =
True (only `whitelist/tests/fault_settings.py` does; no environment variable can switch it on) and the
environment names the point in WHITELIST_FAULT_AT. Then, by WHITELIST_FAULT_ACTION:

- "kill" (default): the process sends itself SIGKILL, exactly like an OOM kill or a pulled plug: no
  exception handler, no `finally`, no rollback message to PostgreSQL, no ack to the broker.
- "pause": the process writes `<WHITELIST_FAULT_DIR>/<point>.json` (its pid and its PostgreSQL backend pid)
  and waits until the test creates `<point>.go`, so the test can break something from outside (terminate
  the database connection, stop the node) at that exact moment. Each point pauses once per process.

The points, in the order a batch meets them: after_claim (changes planned into a batch, committed),
in_sign_tx (nonce taken and raw transaction written, not yet committed), after_sign (committed, not sent),
after_broadcast (the node accepted it, not yet recorded), after_receipt (receipt read, not yet recorded),
in_confirm_tx (confirmation written, not committed).
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

POINTS = (
    "after_claim",
    "in_sign_tx",
    "after_sign",
    "after_broadcast",
    "after_receipt",
    "in_confirm_tx",
)
_paused: set[str] = set()


def fault_point(name: str) -> None:
    if not getattr(settings, "WHITELIST_FAULT_INJECTION", False):
        return
    if os.environ.get("WHITELIST_FAULT_AT") != name:
        return
    if os.environ.get("WHITELIST_FAULT_ACTION", "kill") == "pause":
        _pause(name)
        return
    os.kill(os.getpid(), signal.SIGKILL)


def _pause(name: str) -> None:
    if name in _paused:
        return
    _paused.add(name)
    folder = Path(os.environ["WHITELIST_FAULT_DIR"])
    raw = connection.connection
    backend_pid = raw.info.backend_pid if raw is not None else None
    partial = folder / f"{name}.part"
    partial.write_text(json.dumps({"pid": os.getpid(), "backend_pid": backend_pid}))
    partial.rename(folder / f"{name}.json")  # the test never reads half a file
    go = folder / f"{name}.go"
    deadline = time.monotonic() + 120
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
