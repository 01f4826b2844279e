"""The run command's process supervisor: web server, Celery worker and Celery beat, started together and
stopped together (Ctrl-C, SIGTERM, or any one of them exiting).

Uses the embedded defaults unless DATABASE_URL / REDIS_URL are set.

The local chain: unless ETH_RPC_URL is set, anvil (npm `@foundry-rs/anvil`, from node_modules) is started on
127.0.0.1 with one block a second and its state kept in var/anvil-state.json; the whitelist contracts are
deployed when the database has none that exist on that chain; the web server, worker and beat are pointed
at it with anvil's public development key. With ETH_RPC_URL set, that node is used as configured instead
(WHITELIST_CHAIN_ID and the signer settings then come from the environment too).
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
sys.path.insert(0, str(ROOT))
from whitelist import anvil  # noqa: E402 - needs ROOT on the path; plain subprocess code, no Django

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


def start_chain() -> anvil.Anvil | None:
    """Start the local anvil and point the portal at it, unless ETH_RPC_URL names another node."""
    if os.environ.get("ETH_RPC_URL"):
        print(f"Chain:    {os.environ['ETH_RPC_URL']} (ETH_RPC_URL)")
        return None
    if not anvil.available():
        sys.exit("anvil is missing from node_modules: run `make run` (it runs npm ci) or `npm ci`.")
    var = ROOT / "var"
    var.mkdir(exist_ok=True)
    port = int(os.environ.get("ANVIL_PORT", "8545"))
    try:
        node = anvil.start(
            port=port,
            block_time=1,
            state_path=var / "anvil-state.json",
            extra=["--state-interval", "30"],
            new_session=True,
        )
    except RuntimeError:
        # The usual port is taken (another portal, another node): take any free one.
        node = anvil.start(
            port=0,
            block_time=1,
            state_path=var / "anvil-state.json",
            extra=["--state-interval", "30"],
            new_session=True,
        )
    os.environ["ETH_RPC_URL"] = node.url
    os.environ["WHITELIST_CHAIN_ID"] = str(anvil.CHAIN_ID)
    # anvil's first development key: public, funded, for this local chain only.
    os.environ.setdefault("WHITELIST_SIGNER_KEY", anvil.DEV_KEYS[0])
    os.environ.setdefault("WHITELIST_CONFIRMATIONS", "2")
    os.environ.setdefault("WHITELIST_EXPLORER_TX_URL", "")
    os.environ.setdefault("WHITELIST_EXPLORER_ADDRESS_URL", "")
    print(f"Chain:    anvil at {node.url} (chain {anvil.CHAIN_ID}, one block a second, state in var/anvil-state.json)")
    return node


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
    # runserver's "This is a development server" banner: `make run` is the development set-up by definition.
    os.environ.setdefault("DJANGO_RUNSERVER_HIDE_WARNING", "true")
    port = os.environ.get("PORT", "8000")
    db = os.environ.get("DATABASE_URL") or "SQLite (var/portal.sqlite3)"
    broker = os.environ.get("REDIS_URL") or "filesystem broker (var/broker)"
    print(f"Database: {db.split('@')[-1]}\nBroker:   {broker.split('@')[-1]}")
    node = start_chain()
    try:
        manage("migrate", "--no-input", "-v", "0")
        manage("seed_demo")
        manage("whitelist_deploy", "--if-missing")
    except subprocess.CalledProcessError:
        if node is not None:
            node.stop()
        raise

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
    watched = dict(children)
    if node is not None:
        watched["chain"] = node.process
    while not stopping.is_set():
        for name, proc in watched.items():
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
    if node is not None:
        if exit_code == 0 and node.process.poll() is not None:
            exit_code = 1
        node.stop()
    print("All portal processes stopped.")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
