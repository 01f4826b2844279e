"""Starting a local anvil node from node_modules (npm `@foundry-rs/anvil`, pinned in package.json).

Used by `make run` (scripts/devrun.py), the integration tests and the benchmark. Plain subprocess work: no
web3 here. anvil binds 127.0.0.1 on a port of its own choosing (port 0) and prints it; we read it back.
"""

from __future__ import annotations

import os
import platform
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAIN_ID = 31337
# anvil's well-known development keys (mnemonic "test test ... junk"): public, for local chains only.
DEV_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
)
_LISTENING = re.compile(rb"Listening on (?:127\.0\.0\.1|0\.0\.0\.0|localhost):(\d+)")


def anvil_binary() -> Path:
    machine = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), "amd64"
    )
    system = {"linux": "linux", "darwin": "darwin"}.get(platform.system().lower(), "linux")
    return ROOT / "node_modules" / "@foundry-rs" / f"anvil-{system}-{machine}" / "bin" / "anvil"


def available() -> bool:
    return anvil_binary().is_file()


@dataclass
class Anvil:
    process: subprocess.Popen[bytes]
    port: int
    args: list[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start(
    *,
    port: int = 0,
    block_time: float | None = None,
    no_mining: bool = False,
    state_path: Path | None = None,
    extra: list[str] | None = None,
    new_session: bool = False,
) -> Anvil:
    """Start anvil on 127.0.0.1 and wait until it listens (about 70 ms). Raises RuntimeError otherwise."""
    binary = anvil_binary()
    if not binary.is_file():
        raise RuntimeError(f"anvil is not installed at {binary}: run `npm ci` (make run and make test do it).")
    args = [str(binary), "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(CHAIN_ID)]
    if block_time:
        args += ["--block-time", str(block_time)]
    if no_mining:
        args += ["--no-mining"]
    if state_path is not None:
        args += ["--state", str(state_path)]
    args += extra or []
    process = subprocess.Popen(  # noqa: S603 - our own binary from node_modules with fixed arguments
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=new_session, env={**os.environ}
    )
    deadline = time.monotonic() + 20
    assert process.stdout is not None  # noqa: S101 - stdout=PIPE above
    seen = b""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen += line
        match = _LISTENING.search(line)
        if match:
            # Keep draining its output so a chatty node never blocks on a full pipe.
            import threading

            def drain() -> None:
                for _ in iter(process.stdout.readline, b""):  # type: ignore[union-attr]
                    pass

            threading.Thread(target=drain, daemon=True).start()
            return Anvil(process=process, port=int(match.group(1)), args=args)
    process.kill()
    raise RuntimeError("anvil did not start: " + seen.decode(errors="replace")[-2000:])
