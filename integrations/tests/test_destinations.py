"""Where a webhook may go: only globally routable addresses, the address that was checked (one DNS lookup per
attempt, pinned for the connection), and a generic error for the owner.

The filter is tested by its decision (the URL validator, a stubbed resolver). Nothing here connects anywhere
but this machine: a guard fails the test if a connection to any non-loopback address is even attempted.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import urllib3.util.connection

from integrations import services
from integrations.models import Delivery, DeliveryAttempt, Endpoint
from kyc import services as kyc_services
from kyc.models import Application
from kyc.tests.factories import ApplicationFactory


class _Server:
    """An HTTP server on one loopback address that records the Host header of every POST."""

    def __init__(self, host: str, port: int = 0) -> None:
        self.hosts: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                recorder.hosts.append(self.headers.get("Host", ""))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: Any, settings: Any) -> None:
    """Fail loudly, before any packet, if the code under test tries to connect anywhere but loopback."""
    real = urllib3.util.connection.create_connection

    def guarded(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        host = address[0]
        assert host.startswith("127.") or host in ("::1", "localhost"), f"tried to connect to {host}"
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", guarded)
    settings.INTEGRATIONS_WEBHOOK_TIMEOUT_SECONDS = (1.0, 1.0)


def _resolver(monkeypatch: Any, answers: dict[str, list[list[str]]]) -> list[str]:
    """Stub DNS: each name answers the next list of addresses on each lookup (the last one repeats).
    Returns the log of names looked up."""
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        looked_up.append(host)
        seen = looked_up.count(host)
        addresses = answers[host][min(seen, len(answers[host])) - 1]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 0))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return looked_up


def _submit_case(alice: Any) -> Delivery:
    case = ApplicationFactory(subject_type="institution", organisation=alice.organisations.get(), applicant=alice)
    kyc_services.application_transition(application=case, to=Application.Status.SUBMITTED, by=alice)
    return Delivery.objects.get()


@pytest.mark.parametrize(
    "url",
    [
        "https://100.64.0.1/hook",  # carrier-grade NAT, where some clouds keep their metadata service
        "https://100.127.255.254/hook",
        "https://[2002:a00:1::1]/hook",  # 6to4 wrapping 10.0.0.1
        "https://[2002:808:808::1]/hook",  # 6to4 wrapping a public address: still a relay, refused
        "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",  # Teredo
        "https://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
        "https://[::ffff:10.0.0.1]/hook",  # IPv4-mapped private address
        "https://224.0.0.1/hook",  # multicast
        "https://198.18.0.1/hook",  # benchmarking
        "https://192.0.0.8/hook",  # IETF protocol assignments
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest",
    ],
)
def test_an_endpoint_on_an_address_that_is_not_globally_routable_is_refused(url: str) -> None:
    problems = services.endpoint_url_problems(url)
    assert any("is not a public internet address" in p for p in problems), problems


def test_an_endpoint_on_a_public_address_or_name_is_accepted(settings: Any) -> None:
    settings.INTEGRATIONS_WEBHOOK_ALLOW_LOCAL_HTTP = False
    settings.DEBUG = False
    assert services.endpoint_url_problems("https://93.184.215.14/hook") == []
    assert services.endpoint_url_problems("https://[2606:4700:4700::1111]/hook") == []
    assert services.endpoint_url_problems("https://hooks.example.com/claystack") == []


def test_a_name_that_resolves_to_carrier_grade_nat_is_refused_before_any_connection(
    alice: Any, monkeypatch: Any, settings: Any
) -> None:
    settings.INTEGRATIONS_WEBHOOK_ALLOW_LOCAL_HTTP = False
    settings.DEBUG = False
    services.endpoint_create(
        organisation=alice.organisations.get(),
        by=alice,
        url="https://hooks.example.com/claystack",
        events=["application.submitted"],
    )
    _resolver(monkeypatch, {"hooks.example.com": [["93.184.215.14", "100.64.0.1"]]})
    result = services.delivery_attempt(_submit_case(alice).pk)
    assert result.sent and not result.succeeded
    # The owner learns that the name is refused, not what it resolves to.
    assert result.error == "Refused: hooks.example.com does not resolve to public internet addresses only."
    assert "100.64" not in DeliveryAttempt.objects.get().error


def test_a_name_that_resolves_to_a_6to4_address_is_refused(alice: Any, monkeypatch: Any, settings: Any) -> None:
    settings.INTEGRATIONS_WEBHOOK_ALLOW_LOCAL_HTTP = False
    settings.DEBUG = False
    services.endpoint_create(
        organisation=alice.organisations.get(),
        by=alice,
        url="https://hooks.example.com/x",
        events=["application.submitted"],
    )
    _resolver(monkeypatch, {"hooks.example.com": [["2002:a00:1::1"]]})
    assert services.delivery_attempt(_submit_case(alice).pk).error.startswith("Refused: hooks.example.com")


def test_the_request_goes_to_the_address_that_was_checked_even_if_the_name_changes_its_answer(
    alice: Any, monkeypatch: Any, settings: Any
) -> None:
    """DNS rebinding: the first lookup answers the checked address, any later one another. Both are loopback
    addresses here (127.0.0.1 and 127.0.0.2) so that a failure of the pin still sends nothing off this machine."""
    settings.INTEGRATIONS_WEBHOOK_ALLOW_LOCAL_HTTP = True
    checked = _Server("127.0.0.1")
    decoy = _Server("127.0.0.2", checked.port)
    try:
        endpoint, _ = services.endpoint_create(
            organisation=alice.organisations.get(),
            by=alice,
            url=f"http://localhost:{checked.port}/hook",
            events=["application.submitted"],
        )
        # Plain http to a name is refused at registration; written directly so that the test needs no TLS.
        Endpoint.objects.filter(pk=endpoint.pk).update(url=f"http://hooks.example.test:{checked.port}/hook")
        looked_up = _resolver(monkeypatch, {"hooks.example.test": [["127.0.0.1"], ["127.0.0.2"]]})
        result = services.delivery_attempt(_submit_case(alice).pk)
    finally:
        checked.close()
        decoy.close()
    assert result.succeeded, result.error
    assert looked_up == ["hooks.example.test"]
    assert checked.hosts == [f"hooks.example.test:{checked.port}"] and decoy.hosts == []


def test_the_owner_sees_a_generic_error_not_the_raw_connection_error(alice: Any, settings: Any) -> None:
    settings.INTEGRATIONS_WEBHOOK_ALLOW_LOCAL_HTTP = True
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now: the connection is refused
    services.endpoint_create(
        organisation=alice.organisations.get(),
        by=alice,
        url=f"http://127.0.0.1:{port}/hook",
        events=["application.submitted"],
    )
    result = services.delivery_attempt(_submit_case(alice).pk)
    assert result.error == "Could not connect to the endpoint (connection failed, timed out or TLS failed)."
    assert str(port) not in DeliveryAttempt.objects.get().error


@pytest.fixture
def _no_connections(monkeypatch: Any) -> Iterator[None]:
    monkeypatch.setattr(urllib3.util.connection, "create_connection", _refuse_all)
    yield


def _refuse_all(*args: Any, **kwargs: Any) -> socket.socket:
    raise AssertionError("no connection expected")


@pytest.mark.usefixtures("_no_connections")
def test_a_pinned_https_request_keeps_the_name_for_tls_and_the_host_header() -> None:
    url, host, adapter = services.pinned_request("https://hooks.example.com:8443/a/b?c=1", "2606:4700:4700::1111")
    assert url == "https://[2606:4700:4700::1111]:8443/a/b?c=1"
    assert host == "hooks.example.com:8443"
    pool_kw = adapter.poolmanager.connection_pool_kw
    assert pool_kw["server_hostname"] == "hooks.example.com" and pool_kw["assert_hostname"] == "hooks.example.com"
    pool = adapter.poolmanager.connection_from_url(url)
    assert pool.host == "2606:4700:4700::1111" and pool.conn_kw["server_hostname"] == "hooks.example.com"
