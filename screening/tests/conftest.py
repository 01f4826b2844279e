"""Fixtures of the screening tests: shipped list excerpts, the shared data folder (skipped when absent), and
a local HTTP server in the test process on which each test scripts a vendor's documented protocol."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings

from screening import selectors
from screening.services import list_import

FIXTURES = Path(__file__).parent / "fixtures"


def shared_data() -> Path:
    return Path(django_settings.BASE_DIR).parent / "shared" / "data"


@pytest.fixture
def shared_lists() -> Path:
    path = shared_data() / "sanctions_lists"
    if not path.is_dir():
        pytest.skip(f"the shared sanctions lists are not present at {path} (CI has them; a fresh clone may not)")
    return path


@pytest.fixture
def shared_dev() -> Path:
    path = shared_data() / "dev"
    if not path.is_dir():
        pytest.skip(f"the shared development data is not present at {path}")
    return path


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    # The in-memory name index is keyed by version ids, which restart in every test database.
    selectors._index_cache.clear()
    yield
    selectors._index_cache.clear()


@pytest.fixture
def ofac_files() -> dict[str, Path]:
    return {
        "sdn": FIXTURES / "ofac_sdn_excerpt.csv",
        "alt": FIXTURES / "ofac_alt_excerpt.csv",
        "add": FIXTURES / "ofac_add_excerpt.csv",
        "comments": FIXTURES / "ofac_sdn_comments_excerpt.csv",
    }


@pytest.fixture
def lists_imported(db: Any, ofac_files: dict[str, Path]) -> None:
    """OFAC and UN excerpts imported as the active versions, without monitoring."""
    list_import(source="ofac", files=ofac_files, monitor=False)
    list_import(source="un", files={"file": FIXTURES / "un_consolidated_excerpt.xml"}, monitor=False)


# ---------------------------------------------------------------------------------------------------------------
# Local vendor server
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Reply = tuple[int, dict[str, str], bytes]
Route = Callable[[Recorded], Reply]


@dataclass
class VendorServer:
    """Routes are (METHOD, path) -> list of handlers used in turn (the last one repeats)."""

    base_url: str = ""
    routes: dict[tuple[str, str], list[Route]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def on(self, method: str, path: str, *handlers: Route) -> None:
        self.routes[(method, path)] = list(handlers)

    def calls(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]


def reply_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Route:
    return lambda _req: (status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(data).encode())


def reply_raw(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Route:
    return lambda _req: (status, headers or {}, body)


def reply_slowly(seconds: float, then: Route) -> Route:
    def handler(req: Recorded) -> Reply:
        time.sleep(seconds)
        return then(req)

    return handler


@pytest.fixture
def vendor_server() -> Iterator[VendorServer]:
    server_state = VendorServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            recorded = Recorded(self.command, parts.path, parts.query, dict(self.headers.items()), body)
            server_state.requests.append(recorded)
            handlers = server_state.routes.get((self.command, parts.path))
            if not handlers:
                status, headers, payload = 404, {"Content-Type": "application/json"}, b'{"error": "not found"}'
            else:
                handler = handlers.pop(0) if len(handlers) > 1 else handlers[0]
                status, headers, payload = handler(recorded)
            try:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        do_GET = _handle
        do_POST = _handle

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    server_state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield server_state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def fast_http(settings: Any) -> None:
    settings.SCREENING_HTTP_TIMEOUT = 0.3
    settings.SCREENING_HTTP_ATTEMPTS = 3
    settings.SCREENING_HTTP_BACKOFF = 0.01
