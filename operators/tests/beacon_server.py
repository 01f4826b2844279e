"""A Beacon API node in the test process: answers the standard endpoints the import uses from a scripted state.

Shapes follow ethereum/beacon-APIs: {"data": ...} envelopes, numbers as decimal strings, 404 for an empty slot.
`faults` maps a path prefix to "500", "garbage", "timeout" to make that endpoint misbehave.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

FAR_FUTURE = str(2**64 - 1)


@dataclass
class FakeValidator:
    index: int
    pubkey: str
    balance: int = 32_001_000_000
    status: str = "active_ongoing"
    slashed: bool = False
    exit_epoch: str = FAR_FUTURE
    head: int = 2_000
    target: int = 4_000
    source: int = 3_000
    inactivity: int = 0


@dataclass
class BeaconState:
    head_slot: int = 32 * 102 + 5
    is_syncing: bool = False
    el_offline: bool = False
    validators: list[FakeValidator] = field(default_factory=list)
    duties: list[tuple[int, int]] = field(default_factory=list)  # (validator index, slot)
    blocks: dict[int, int] = field(default_factory=dict)  # slot -> proposer index
    faults: dict[str, str] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    state: BeaconState

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: Any, raw: bytes | None = None) -> None:
        payload = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _fault(self, path: str) -> bool:
        for prefix, kind in self.state.faults.items():
            if path.startswith(prefix):
                if kind == "500":
                    self._send(500, {"code": 500, "message": "Internal error"})
                elif kind == "garbage":
                    self._send(200, None, raw=b"<html>gateway says hi</html>")
                elif kind == "timeout":
                    time.sleep(1.5)
                    self._send(200, {"data": []})
                return True
        return False

    def do_GET(self) -> None:
        url = urlparse(self.path)
        path = url.path
        self.state.requests.append("GET " + path)
        if self._fault(path):
            return
        s = self.state
        if path == "/eth/v1/node/syncing":
            distance = 1000 if s.is_syncing else 0
            self._send(
                200,
                {
                    "data": {
                        "head_slot": str(s.head_slot),
                        "sync_distance": str(distance),
                        "is_syncing": s.is_syncing,
                        "is_optimistic": False,
                        "el_offline": s.el_offline,
                    }
                },
            )
        elif path.startswith("/eth/v1/beacon/states/") and path.endswith("/validators"):
            ids = set(",".join(parse_qs(url.query).get("id", [""])).split(","))
            data = [
                {
                    "index": str(v.index),
                    "balance": str(v.balance),
                    "status": v.status,
                    "validator": {
                        "pubkey": v.pubkey,
                        "withdrawal_credentials": "0x01" + "00" * 31,
                        "effective_balance": "32000000000",
                        "slashed": v.slashed,
                        "activation_eligibility_epoch": "0",
                        "activation_epoch": "0",
                        "exit_epoch": v.exit_epoch,
                        "withdrawable_epoch": FAR_FUTURE,
                    },
                }
                for v in s.validators
                if v.pubkey in ids or str(v.index) in ids
            ]
            self._send(200, {"execution_optimistic": False, "finalized": True, "data": data})
        elif path.startswith("/eth/v1/validator/duties/proposer/"):
            data = [
                {
                    "pubkey": next(v.pubkey for v in s.validators if v.index == i),
                    "validator_index": str(i),
                    "slot": str(slot),
                }
                for i, slot in s.duties
            ]
            # A duty of somebody else's validator, which the import must ignore.
            data.append({"pubkey": "0x" + "ab" * 48, "validator_index": "999999", "slot": str(s.head_slot)})
            self._send(200, {"dependent_root": "0x" + "00" * 32, "execution_optimistic": False, "data": data})
        elif path.startswith("/eth/v1/beacon/headers/"):
            slot = int(path.rsplit("/", 1)[1])
            if slot not in s.blocks:
                self._send(404, {"code": 404, "message": "NOT_FOUND: beacon block at slot"})
                return
            self._send(
                200,
                {
                    "execution_optimistic": False,
                    "finalized": True,
                    "data": {
                        "root": "0x" + "11" * 32,
                        "canonical": True,
                        "header": {
                            "message": {
                                "slot": str(slot),
                                "proposer_index": str(s.blocks[slot]),
                                "parent_root": "0x" + "22" * 32,
                                "state_root": "0x" + "33" * 32,
                                "body_root": "0x" + "44" * 32,
                            },
                            "signature": "0x" + "55" * 96,
                        },
                    },
                },
            )
        else:
            self._send(404, {"code": 404, "message": "not found"})

    def do_POST(self) -> None:
        path = urlparse(self.path).path
        self.state.requests.append("POST " + path)
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"[]")
        if self._fault(path):
            return
        if path.startswith("/eth/v1/beacon/rewards/attestations/"):
            wanted = {int(i) for i in body}
            total = [
                {
                    "validator_index": str(v.index),
                    "head": str(v.head),
                    "target": str(v.target),
                    "source": str(v.source),
                    "inclusion_delay": "0",
                    "inactivity": str(v.inactivity),
                }
                for v in self.state.validators
                if v.index in wanted
            ]
            ideal = [
                {
                    "effective_balance": "32000000000",
                    "head": "2500",
                    "target": "5000",
                    "source": "2500",
                    "inclusion_delay": "0",
                    "inactivity": "0",
                }
            ]
            self._send(
                200,
                {
                    "execution_optimistic": False,
                    "finalized": True,
                    "data": {"ideal_rewards": ideal, "total_rewards": total},
                },
            )
        else:
            self._send(404, {"code": 404, "message": "not found"})


class FakeBeaconNode:
    def __init__(self) -> None:
        self.state = BeaconState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeBeaconNode:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
