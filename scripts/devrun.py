"""The run command's process supervisor: web server, Celery worker and Celery beat, started together and
stopped together (Ctrl-C, SIGTERM, or any one of them exiting).

Uses the embedded defaults unless DATABASE_URL / REDIS_URL are set. Later parts of the portal add their
processes (the local chain) to `processes()`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
COLOURS = {"web": "\033[36m", "worker": "\033[33m", "beat": "\033[35m", "chain": "\033[32m"}
RESET = "\033[0m"


def manage(*args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def processes(port: str) -> dict[str, list[str]]:
    celery = [PY, "-m", "celery", "-A", "claystack_portal"]
    return {
        "web": [PY, "manage.py", "runserver", f"127.0.0.1:{port}"],
        # Two worker processes: enough for the demo, and SQLite copes with two writers.
        "worker": [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2", "--hostname", "portal@%h"],
        "beat": [*celery, "beat", "--loglevel", "INFO"],
    }


def pump(name: str, proc: subprocess.Popen[bytes]) -> None:
    colour = COLOURS.get(name, "") if sys.stdout.isatty() else ""
    reset = RESET if colour else ""
    if proc.stdout is None:
        return
    for raw in iter(proc.stdout.readline, b""):
        line = raw.decode(errors="replace").rstrip()
        sys.stdout.write(f"{colour}{name:>6} |{reset} {line}\n")
        sys.stdout.flush()


def main() -> int:
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claystack_portal.settings.local")
    os.environ["PYTHONUNBUFFERED"] = "1"
    port = os.environ.get("PORT", "8000")
    db = os.environ.get("DATABASE_URL") or "SQLite (var/portal.sqlite3)"
    broker = os.environ.get("REDIS_URL") or "filesystem broker (var/broker)"
    print(f"Database: {db.split('@')[-1]}\nBroker:   {broker.split('@')[-1]}")
    manage("migrate", "--no-input", "-v", "0")
    manage("seed_demo")

    children: dict[str, subprocess.Popen[bytes]] = {}
    for name, cmd in processes(port).items():
        # Own process group, so stopping one tree never signals this supervisor.
        children[name] = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        threading.Thread(target=pump, args=(name, children[name]), daemon=True).start()
    print(f"\nPortal: http://127.0.0.1:{port}/   API docs: http://127.0.0.1:{port}/api/v1/docs/   Ctrl-C stops all.\n")

    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping.is_set():
        for name, proc in children.items():
            if proc.poll() is not None:
                print(f"\n{name} exited with code {proc.returncode}; stopping the others.")
                exit_code = proc.returncode or 1
                stopping.set()
                break
        time.sleep(0.3)

    for proc in children.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in children.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    print("All portal processes stopped.")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
