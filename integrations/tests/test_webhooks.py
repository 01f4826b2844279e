"""Outbound webhooks: events queued with the status change, signed deliveries a receiver can verify,
secret rotation, retries with backoff against a real HTTP server in this process, and disabling."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import pytest
from django.db import transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import AuditEvent
from integrations import services
from integrations.models import Delivery, Endpoint
from integrations.signing import verify
from kyc import services as kyc_services
from kyc.models import Application
from kyc.tests.factories import ApplicationFactory


class Receiver:
    """An HTTP server on 127.0.0.1 answering from a script: an int is a status code, "slow" sleeps past the
    read timeout, "redirect" answers 302. Records every request (headers and raw body)."""

    def __init__(self) -> None:
        self.script: list[Any] = []
        self.requests: list[tuple[dict[str, str], bytes, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append((dict(self.headers.items()), body, self.path))
                action = receiver.script.pop(0) if receiver.script else 200
                if action == "slow":
                    time.sleep(1.5)
                    action = 200
                if action == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                else:
                    self.send_response(int(action))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/claystack"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _webhook_settings(settings: Any) -> None:
    settings.INTEGRATIONS_WEBHOOK_ALLOW_LOCAL_HTTP = True
    settings.INTEGRATIONS_WEBHOOK_TIMEOUT_SECONDS = (1.0, 0.5)
    settings.INTEGRATIONS_WEBHOOK_BACKOFF_BASE_SECONDS = 30
    settings.INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS = 4
    settings.INTEGRATIONS_WEBHOOK_DISABLE_AFTER = 20


def _endpoint(alice: Any, url: str, events: list[str] | None = None) -> tuple[Endpoint, str]:
    return services.endpoint_create(
        organisation=alice.organisations.get(),
        by=alice,
        url=url,
        events=events or ["application.submitted", "application.approved", "application.rejected"],
    )


def _company_case(alice: Any) -> Application:
    return cast(
        Application,
        ApplicationFactory(subject_type="institution", organisation=alice.organisations.get(), applicant=alice),
    )


def _receiver_accepts(headers: dict[str, str], body: bytes, secret: str) -> bool:
    """The documented algorithm, written out as an integrator would (not the portal's own helper)."""
    parts = [p.split("=", 1) for p in headers["ClayStack-Signature"].split(",")]
    timestamp = next(v for k, v in parts if k == "t")
    if abs(time.time() - int(timestamp)) > 300:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")


def _attempt_when_due(delivery: Delivery) -> services.AttemptResult:
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None
    return services.delivery_attempt(delivery.pk, now=delivery.next_attempt_at)


def test_a_status_change_queues_a_signed_event_a_receiver_can_verify(alice: Any, receiver: Receiver) -> None:
    endpoint, secret = _endpoint(alice, receiver.url)
    case = _company_case(alice)
    kyc_services.application_transition(application=case, to=Application.Status.SUBMITTED, by=alice)
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.event_type == "application.submitted"
    result = services.delivery_attempt(delivery.pk)
    assert result.succeeded and result.status_code == 200
    headers, body, path = receiver.requests[0]
    assert path == "/hooks/claystack"
    assert _receiver_accepts(headers, body, secret)
    assert verify(headers["ClayStack-Signature"], body, secret)
    assert not _receiver_accepts(headers, body + b" ", secret)
    assert not _receiver_accepts(headers, body, "whsec_not-the-secret")
    payload = json.loads(body)
    # Nothing personal: the reference and the status, nothing else about the case.
    assert payload["data"] == {"reference": case.reference, "status": "submitted"}
    assert set(payload) == {"id", "type", "created_at", "data"}
    assert headers["ClayStack-Event-Id"] == payload["id"] == str(delivery.public_id)
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 1
    assert delivery.attempt_log.get().succeeded


def test_the_event_is_queued_in_the_status_change_transaction_and_sent_only_after_commit(
    alice: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint, _ = _endpoint(alice, receiver.url)
    case = _company_case(alice)
    with pytest.raises(RuntimeError), transaction.atomic():
        kyc_services.application_transition(application=case, to=Application.Status.SUBMITTED, by=alice)
        assert Delivery.objects.filter(endpoint=endpoint).count() == 1
        raise RuntimeError("the status change fails later in its transaction")
    assert not Delivery.objects.exists()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        kyc_services.application_transition(application=case, to=Application.Status.SUBMITTED, by=alice)
    assert Delivery.objects.count() == 1
    assert any(getattr(cb, "__qualname__", "").startswith("_queue") for cb in callbacks)
    assert receiver.requests == []  # nothing is sent inside the transaction


def test_only_subscribed_events_of_the_endpoints_own_organisation_are_queued(
    alice: Any, charlie: Any, receiver: Receiver
) -> None:
    _endpoint(alice, receiver.url, events=["application.approved"])
    services.endpoint_create(
        organisation=charlie.organisations.get(), by=charlie, url=receiver.url, events=["application.submitted"]
    )
    case = _company_case(alice)
    kyc_services.application_transition(application=case, to=Application.Status.SUBMITTED, by=alice)
    assert not Delivery.objects.exists()  # alice's endpoint wants approvals only; charlie's is another org
    individual = ApplicationFactory(applicant=alice)
    kyc_services.application_transition(application=individual, to=Application.Status.SUBMITTED, by=alice)
    assert not Delivery.objects.exists()


def test_a_failing_endpoint_is_retried_with_exponential_backoff_until_it_answers(
    alice: Any, receiver: Receiver
) -> None:
    endpoint, secret = _endpoint(alice, receiver.url)
    receiver.script = [500, "slow", "redirect", 200]
    case = _company_case(alice)
    kyc_services.application_transition(application=case, to=Application.Status.SUBMITTED, by=alice)
    delivery = Delivery.objects.get()

    first = services.delivery_attempt(delivery.pk)
    assert not first.succeeded and first.status_code == 500 and first.retry_in == 30
    delivery.refresh_from_db()
    log = delivery.attempt_log.get()
    assert log.status_code == 500 and log.error == "The endpoint answered HTTP 500."
    assert delivery.next_attempt_at == log.at + dt.timedelta(seconds=30)
    # Not due yet: a duplicate task message sends nothing.
    assert services.delivery_attempt(delivery.pk).sent is False

    second = _attempt_when_due(delivery)
    assert second.status_code is None and "did not answer within 0.5 s" in second.error and second.retry_in == 60
    third = _attempt_when_due(delivery)
    assert third.status_code == 302 and "Redirects are not followed" in third.error and third.retry_in == 120
    fourth = _attempt_when_due(delivery)
    assert fourth.succeeded

    delivery.refresh_from_db()
    attempts = list(delivery.attempt_log.order_by("number"))
    assert [a.number for a in attempts] == [1, 2, 3, 4]
    assert [a.status_code for a in attempts] == [500, None, 302, 200]
    assert attempts[1].duration_ms >= 400  # waited for the read timeout, then gave up
    assert delivery.status == "succeeded" and delivery.next_attempt_at is None
    # The redirect target was never called; every request carried a valid signature of the same body.
    assert [r[2] for r in receiver.requests] == ["/hooks/claystack"] * 4
    assert all(_receiver_accepts(h, b, secret) for h, b, _ in receiver.requests)
    assert len({b for _, b, _ in receiver.requests}) == 1
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_a_delivery_gives_up_after_the_last_attempt(alice: Any, receiver: Receiver, settings: Any) -> None:
    settings.INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS = 2
    _endpoint(alice, receiver.url)
    receiver.script = [503, 503, 503]
    kyc_services.application_transition(application=_company_case(alice), to=Application.Status.SUBMITTED, by=alice)
    delivery = Delivery.objects.get()
    assert services.delivery_attempt(delivery.pk).retry_in == 30
    last = _attempt_when_due(delivery)
    assert last.retry_in is None
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == 2 and delivery.next_attempt_at is None
    assert services.deliveries_due() == []


def test_an_endpoint_that_keeps_failing_is_disabled_with_the_reason(
    alice: Any, receiver: Receiver, settings: Any
) -> None:
    settings.INTEGRATIONS_WEBHOOK_DISABLE_AFTER = 3
    endpoint, _ = _endpoint(alice, receiver.url)
    receiver.script = [500] * 10
    for _ in range(3):
        case = _company_case(alice)
        kyc_services.application_transition(application=case, to=Application.Status.SUBMITTED, by=alice)
    deliveries = list(Delivery.objects.order_by("pk"))
    for d in deliveries:
        services.delivery_attempt(d.pk)
    endpoint.refresh_from_db()
    assert endpoint.status == "disabled"
    assert endpoint.disabled_reason.startswith("Disabled automatically after 3 failed attempts in a row.")
    assert "HTTP 500" in endpoint.disabled_reason
    assert AuditEvent.objects.filter(action="integrations.endpoint_disabled", actor=None).exists()
    # Its pending retries are dropped with a reason, and new events are not queued for it.
    result = _attempt_when_due(deliveries[0])
    assert result.sent is False
    deliveries[0].refresh_from_db()
    assert deliveries[0].status == "failed" and "endpoint is disabled" in deliveries[0].last_error
    kyc_services.application_transition(application=_company_case(alice), to=Application.Status.SUBMITTED, by=alice)
    assert Delivery.objects.count() == 3
    assert len(receiver.requests) == 3


def test_during_a_rotation_both_secrets_sign_until_the_old_one_is_retired(alice: Any, receiver: Receiver) -> None:
    endpoint, old = _endpoint(alice, receiver.url)
    endpoint, new = services.endpoint_rotate_secret(endpoint=endpoint, by=alice)
    assert new != old and new.startswith("whsec_")
    services.endpoint_send_test(endpoint=endpoint, by=alice)
    services.delivery_attempt(Delivery.objects.get().pk)
    headers, body, _ = receiver.requests[-1]
    assert headers["ClayStack-Signature"].count("v1=") == 2
    assert _receiver_accepts(headers, body, new) and _receiver_accepts(headers, body, old)

    services.endpoint_retire_previous_secret(endpoint=endpoint, by=alice)
    services.endpoint_send_test(endpoint=endpoint, by=alice)
    services.delivery_attempt(Delivery.objects.order_by("-pk").values_list("pk", flat=True)[0])
    headers, body, _ = receiver.requests[-1]
    assert headers["ClayStack-Signature"].count("v1=") == 1
    assert _receiver_accepts(headers, body, new) and not _receiver_accepts(headers, body, old)
    with pytest.raises(ApplicationError, match="no previous secret"):
        services.endpoint_retire_previous_secret(endpoint=endpoint, by=alice)


def test_the_previous_secret_stops_signing_when_its_overlap_ends(alice: Any, receiver: Receiver) -> None:
    endpoint, old = _endpoint(alice, receiver.url)
    endpoint, new = services.endpoint_rotate_secret(endpoint=endpoint, by=alice)
    later = timezone.now() + dt.timedelta(hours=25)
    assert services.signing_secrets(endpoint, later) == [new]
    assert services.signing_secrets(endpoint, timezone.now()) == [new, old]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.com/x", "must start with https://"),
        ("ftp://hooks.example.com/x", "must start with https://, not ftp://"),
        ("https://user:pw@hooks.example.com/x", "must not contain a user name or password"),
        ("https://10.1.2.3/x", "10.1.2.3 is not a public internet address"),
        ("https://169.254.169.254/latest", "not a public internet address"),
        ("https:///nohost", "has no host name"),
    ],
)
def test_an_endpoint_url_that_is_not_public_https_is_refused_by_name(url: str, problem: str) -> None:
    assert any(problem in p for p in services.endpoint_url_problems(url))


def test_plain_http_to_localhost_is_accepted_only_in_development(settings: Any) -> None:
    assert services.endpoint_url_problems("http://localhost:8080/hook") == []
    settings.INTEGRATIONS_WEBHOOK_ALLOW_LOCAL_HTTP = False
    settings.DEBUG = False
    assert services.endpoint_url_problems("http://localhost:8080/hook")
    assert services.endpoint_url_problems("https://localhost/hook") == ["localhost is accepted only in development."]
    assert services.endpoint_url_problems("https://hooks.example.com/claystack") == []


def test_the_sweep_finds_a_delivery_whose_task_message_was_lost(alice: Any, receiver: Receiver) -> None:
    _endpoint(alice, receiver.url)
    kyc_services.application_transition(application=_company_case(alice), to=Application.Status.SUBMITTED, by=alice)
    assert services.deliveries_due() == [Delivery.objects.get().pk]


def test_the_task_schedules_the_next_attempt_after_the_backoff_and_stops_on_success(
    alice: Any, receiver: Receiver
) -> None:
    from unittest import mock

    from integrations.tasks import webhook_deliver_task, webhook_deliveries_sweep_task

    _endpoint(alice, receiver.url)
    receiver.script = [500]
    kyc_services.application_transition(application=_company_case(alice), to=Application.Status.SUBMITTED, by=alice)
    delivery = Delivery.objects.get()
    with mock.patch.object(webhook_deliver_task, "apply_async", autospec=True) as schedule:
        webhook_deliver_task.run(delivery.pk)
    schedule.assert_called_once_with((delivery.pk,), countdown=30.0)
    # Once due, the sweep hands it to the task again; the next answer (200) ends it with nothing scheduled.
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    with mock.patch.object(webhook_deliver_task, "delay", autospec=True) as enqueue:
        assert webhook_deliveries_sweep_task.run() == 1
    enqueue.assert_called_once_with(delivery.pk)
    with mock.patch.object(webhook_deliver_task, "apply_async", autospec=True) as schedule:
        webhook_deliver_task.run(delivery.pk)
    schedule.assert_not_called()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 2
