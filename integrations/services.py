"""Outbound webhooks: registering endpoints, rotating their secrets, queueing status events and delivering
them (signed, with a bounded, exponential retry).

Events are queued by `events_queue_for_transition`, called from a `post_save` receiver on
`kyc.StatusTransition`, i.e. inside the transaction of the status change: the delivery rows commit or roll
back with it, and the Celery task is enqueued only on commit.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from requests.adapters import HTTPAdapter

from accounts.models import Organisation
from core.audit import audit_record
from core.exceptions import ApplicationError
from integrations.models import TEST_EVENT, Delivery, DeliveryAttempt, Endpoint, EventType
from integrations.signing import SIGNATURE_HEADER, new_secret, signature_header

log = logging.getLogger(__name__)

# kyc status -> the event an integrator subscribes to.
TRANSITION_EVENTS: dict[str, str] = {
    "submitted": EventType.SUBMITTED,
    "information_requested": EventType.INFORMATION_REQUESTED,
    "approved": EventType.APPROVED,
    "rejected": EventType.REJECTED,
    "expired": EventType.EXPIRED,
    "revoked": EventType.REVOKED,
}
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _local_allowed() -> bool:
    return bool(settings.DEBUG or settings.INTEGRATIONS_WEBHOOK_ALLOW_LOCAL_HTTP)


# Globally routable by Python's registry, yet a way into someone else's network: IPv6 prefixes that carry an
# IPv4 address inside (6to4, Teredo, NAT64, IPv4-compatible) and relay/protocol ranges.
_TUNNELS = tuple(
    ipaddress.ip_network(n)
    for n in ("2002::/16", "2001::/32", "64:ff9b::/96", "64:ff9b:1::/48", "::/96", "192.0.0.0/24", "192.88.99.0/24")
)


def _is_public(address: str) -> bool:
    """True only for a globally routable unicast address (`is_global`): not private, loopback, link-local,
    carrier-grade NAT (100.64.0.0/10), reserved, multicast, nor an IPv6 wrapper around an IPv4 address."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(ip.is_global and not ip.is_multicast and not any(ip in net for net in _TUNNELS))


def _is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(ip.is_loopback)


def _acceptable(address: str) -> bool:
    # Development and tests may deliver to this machine (loopback), never to the rest of a private network.
    return _is_public(address) or (_local_allowed() and _is_loopback(address))


def endpoint_url_problems(url: str) -> list[str]:
    """Everything wrong with a proposed endpoint URL, in words the owner can act on (empty: fine).

    HTTPS only; plain http only to this machine (localhost) in development and tests. No credentials in the
    URL, no private or loopback addresses (the portal must not be turned against its own network).
    """
    problems: list[str] = []
    if len(url) > 500:
        return ["The URL is longer than 500 characters."]
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return [f"The URL cannot be read: {exc}."]
    if not host:
        return ["The URL has no host name; write it as https://host/path."]
    local = host in _LOCAL_HOSTS
    if parts.scheme == "http":
        if not (local and _local_allowed()):
            problems.append(
                "The URL must start with https:// (plain http is accepted only for localhost in development)."
            )
    elif parts.scheme != "https":
        problems.append(f"The URL must start with https://, not {parts.scheme or 'nothing'}://.")
    if parts.username or parts.password:
        problems.append("The URL must not contain a user name or password; authenticate with the signature.")
    if parts.fragment:
        problems.append("The URL must not contain a #fragment.")
    if not (local and _local_allowed()):
        if local:
            problems.append("localhost is accepted only in development.")
        else:
            try:
                if not _is_public(host):
                    problems.append(
                        f"{host} is not a public internet address (private, shared or reserved); "
                        "use a public HTTPS endpoint."
                    )
            except ValueError:
                pass  # a host name, resolved and checked at each delivery
    return problems


def _events_problems(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in EventType.values]
    problems = [f"Unknown event {e!r}." for e in unknown]
    if not events:
        problems.append("Choose at least one event.")
    return problems


@transaction.atomic
def endpoint_create(
    *, organisation: Organisation, by: Any, url: str, events: list[str], description: str = ""
) -> tuple[Endpoint, str]:
    """Register an endpoint for `organisation` (the caller checked that `by` owns it). Returns the endpoint
    and its signing secret, which is shown once and never again."""
    problems = endpoint_url_problems(url) + _events_problems(events)
    if problems:
        raise ApplicationError(" ".join(problems), code="invalid_endpoint")
    secret = new_secret()
    endpoint = Endpoint.objects.create(
        organisation=organisation,
        url=url.strip(),
        description=description.strip()[:200],
        events=sorted(set(events)),
        secret=secret,
        created_by=by,
    )
    audit_record(
        actor=by,
        action="integrations.endpoint_created",
        target=endpoint,
        after={"url": endpoint.url, "events": endpoint.events, "organisation": organisation.pk},
    )
    return endpoint, secret


def _lock(endpoint: Endpoint) -> Endpoint:
    return Endpoint.objects.select_for_update().get(pk=endpoint.pk)


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: Endpoint, by: Any) -> tuple[Endpoint, str]:
    """Make a new secret; the current one becomes the previous one and keeps signing (a second v1 value)
    for `INTEGRATIONS_WEBHOOK_ROTATION_OVERLAP_HOURS` or until retired. Returns the new secret (shown once).
    A rotation during a rotation drops the oldest secret."""
    endpoint = _lock(endpoint)
    now = timezone.now()
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + dt.timedelta(hours=settings.INTEGRATIONS_WEBHOOK_ROTATION_OVERLAP_HOURS)
    endpoint.secret = secret
    endpoint.secret_rotated_at = now
    endpoint.save(
        update_fields=["previous_secret", "previous_secret_until", "secret", "secret_rotated_at", "updated_at"]
    )
    audit_record(
        actor=by,
        action="integrations.endpoint_secret_rotated",
        target=endpoint,
        data={"previous_secret_until": endpoint.previous_secret_until.isoformat()},
    )
    return endpoint, secret


@transaction.atomic
def endpoint_retire_previous_secret(*, endpoint: Endpoint, by: Any) -> Endpoint:
    """Stop signing with the previous secret now (the receiver has switched to the new one)."""
    endpoint = _lock(endpoint)
    if not endpoint.previous_secret:
        raise ApplicationError("There is no previous secret to retire.", code="no_previous_secret")
    endpoint.previous_secret = ""
    endpoint.previous_secret_until = None
    endpoint.save(update_fields=["previous_secret", "previous_secret_until", "updated_at"])
    audit_record(actor=by, action="integrations.endpoint_previous_secret_retired", target=endpoint)
    return endpoint


@transaction.atomic
def endpoint_disable(*, endpoint: Endpoint, by: Any, reason: str) -> Endpoint:
    """Stop delivering to the endpoint; `reason` is shown on its page. `by` None: the delivery machinery."""
    endpoint = _lock(endpoint)
    if endpoint.status == Endpoint.Status.DISABLED:
        return endpoint
    endpoint.status = Endpoint.Status.DISABLED
    endpoint.disabled_reason = reason
    endpoint.disabled_at = timezone.now()
    endpoint.save(update_fields=["status", "disabled_reason", "disabled_at", "updated_at"])
    audit_record(
        actor=by,
        action="integrations.endpoint_disabled",
        target=endpoint,
        after={"status": "disabled", "reason": reason},
    )
    return endpoint


@transaction.atomic
def endpoint_enable(*, endpoint: Endpoint, by: Any) -> Endpoint:
    endpoint = _lock(endpoint)
    if endpoint.status == Endpoint.Status.ACTIVE:
        return endpoint
    problems = endpoint_url_problems(endpoint.url)
    if problems:
        raise ApplicationError(" ".join(problems), code="invalid_endpoint")
    endpoint.status = Endpoint.Status.ACTIVE
    endpoint.disabled_reason = ""
    endpoint.disabled_at = None
    endpoint.consecutive_failures = 0
    endpoint.save(update_fields=["status", "disabled_reason", "disabled_at", "consecutive_failures", "updated_at"])
    audit_record(actor=by, action="integrations.endpoint_enabled", target=endpoint, after={"status": "active"})
    return endpoint


def _body(delivery_id: str, event_type: str, data: dict[str, str], at: dt.datetime) -> str:
    # Only the reference and the status: an integrator looks anything else up through the API.
    return json.dumps(
        {"id": delivery_id, "type": event_type, "created_at": at.isoformat(timespec="seconds"), "data": data},
        separators=(",", ":"),
        sort_keys=True,
    )


def _queue(endpoints: list[Endpoint], event_type: str, data: dict[str, str]) -> list[Delivery]:
    now = timezone.now()
    deliveries = []
    for endpoint in endpoints:
        delivery = Delivery(endpoint=endpoint, event_type=event_type, next_attempt_at=now)
        delivery.body = _body(str(delivery.public_id), event_type, data, now)
        deliveries.append(delivery)
    created = Delivery.objects.bulk_create(deliveries)
    ids = [d.pk for d in created]
    if ids:
        transaction.on_commit(lambda: _dispatch(ids))
    return created


def _dispatch(ids: list[int]) -> None:
    from integrations.tasks import webhook_deliver_task

    for pk in ids:
        webhook_deliver_task.delay(pk)


def events_queue_for_transition(*, application: Any, to_status: str) -> list[Delivery]:
    """Queue the event for this status change to every active endpoint of the application's organisation
    that subscribed to it. Runs inside the status change's transaction (see the module docstring).
    Individual applicants have no organisation and no endpoints."""
    event_type = TRANSITION_EVENTS.get(to_status)
    if event_type is None or application.organisation_id is None:
        return []
    candidates = Endpoint.objects.filter(
        organisation_id=application.organisation_id, status=Endpoint.Status.ACTIVE
    ).only("id", "events")
    endpoints = [e for e in candidates if event_type in e.events]
    if not endpoints:
        return []
    return _queue(endpoints, event_type, {"reference": application.reference, "status": to_status})


@transaction.atomic
def endpoint_send_test(*, endpoint: Endpoint, by: Any) -> Delivery:
    """Queue a `webhook.test` event to this endpoint (whatever its subscriptions), to check a receiver."""
    if endpoint.status != Endpoint.Status.ACTIVE:
        raise ApplicationError("The endpoint is disabled; enable it before sending a test event.", code="disabled")
    (delivery,) = _queue([endpoint], TEST_EVENT, {"reference": "CS-TEST-0000", "status": "test"})
    audit_record(
        actor=by, action="integrations.endpoint_test_sent", target=endpoint, data={"delivery": str(delivery.public_id)}
    )
    return delivery


# Delivery -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptResult:
    sent: bool  # False: nothing was due (already delivered, given up, or not yet time)
    succeeded: bool = False
    retry_in: float | None = None  # seconds until the next attempt, when one is scheduled
    status_code: int | None = None
    error: str = ""


def backoff_seconds(attempt: int) -> float:
    """Delay after failed attempt number `attempt` (1-based): base * 2^(attempt-1), capped."""
    base = settings.INTEGRATIONS_WEBHOOK_BACKOFF_BASE_SECONDS
    return float(min(base * 2 ** (attempt - 1), settings.INTEGRATIONS_WEBHOOK_BACKOFF_MAX_SECONDS))


def signing_secrets(endpoint: Endpoint, now: dt.datetime) -> list[str]:
    """The current secret, then the previous one while its overlap lasts."""
    secrets = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        secrets.append(endpoint.previous_secret)
    return secrets


def _claim(delivery_id: int, now: dt.datetime) -> tuple[Delivery, Endpoint] | None:
    """Take the delivery for one attempt if it is due. The lease (next_attempt_at pushed past the request's
    timeouts) keeps the sweep from sending it twice while the request is in flight."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.status != Delivery.Status.PENDING:
            return None
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            return None
        endpoint = Endpoint.objects.get(pk=delivery.endpoint_id)
        if endpoint.status != Endpoint.Status.ACTIVE:
            delivery.status = Delivery.Status.FAILED
            delivery.last_error = f"Not sent: the endpoint is disabled ({endpoint.disabled_reason or 'by its owner'})."
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "last_error", "next_attempt_at"])
            return None
        connect, read = settings.INTEGRATIONS_WEBHOOK_TIMEOUT_SECONDS
        delivery.attempts += 1
        delivery.next_attempt_at = now + dt.timedelta(seconds=connect + read + 60)
        delivery.save(update_fields=["attempts", "next_attempt_at"])
        return delivery, endpoint


def _resolve(host: str) -> list[str]:
    """Every address the host name resolves to (an IP literal resolves to itself)."""
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def destination_address(url: str) -> tuple[str, str]:
    """(address to connect to, problem). The host is resolved ONCE, now (it may have changed since
    registration); every address it resolves to must be public, and the request then goes to the first of
    them, so a second lookup cannot switch it to an internal one (DNS rebinding). The problem is worded
    for the owner and names no address: the owner must not learn what a name resolves to inside our network."""
    host = urlsplit(url).hostname or ""
    try:
        addresses = _resolve(host)
    except (OSError, UnicodeError) as exc:
        log.info("webhook host %s does not resolve: %s", host, exc)
        return "", f"The host name {host} does not resolve."
    if not addresses or not all(_acceptable(a) for a in addresses):
        log.warning("webhook host %s refused: resolves to %s", host, addresses)
        return "", f"Refused: {host} does not resolve to public internet addresses only."
    return addresses[0], ""


class _PinnedAddressAdapter(HTTPAdapter):
    """Sends to the URL rewritten to the checked address, while TLS still sends the name (SNI) and checks the
    certificate against it; the Host header is set by the caller."""

    def __init__(self, server_hostname: str) -> None:
        self._server_hostname = server_hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        # urllib3 drops these TLS-only keywords for plain http pools.
        pool_kwargs.update(server_hostname=self._server_hostname, assert_hostname=self._server_hostname)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


def pinned_request(url: str, address: str) -> tuple[str, str, HTTPAdapter]:
    """(URL with the host replaced by `address`, Host header, adapter): what `_post` sends, to `address` only."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc)), host_header, _PinnedAddressAdapter(host)


def _post(endpoint: Endpoint, delivery: Delivery, now: dt.datetime) -> tuple[int | None, str]:
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ClayStack-Webhooks/1.0",
        SIGNATURE_HEADER: signature_header(signing_secrets(endpoint, now), int(time.time()), body),
        "ClayStack-Event-Id": str(delivery.public_id),
        "ClayStack-Event-Type": delivery.event_type,
    }
    address, problem = destination_address(endpoint.url)
    if problem:
        return None, problem
    url, headers["Host"], adapter = pinned_request(endpoint.url, address)
    connect, read = settings.INTEGRATIONS_WEBHOOK_TIMEOUT_SECONDS
    session = requests.Session()
    # No proxies or .netrc from the environment: the request goes where the owner said and nowhere else.
    session.trust_env = False
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    try:
        # stream=True: the status line is all we need; a huge answer is never read.
        with session.post(
            url, data=body, headers=headers, timeout=(connect, read), allow_redirects=False, stream=True
        ) as response:
            code = response.status_code
            if 300 <= code < 400:
                location = response.headers.get("Location", "")
                return code, f"Redirects are not followed (HTTP {code} to {location[:200] or 'nowhere'})."
            if not 200 <= code < 300:
                return code, f"The endpoint answered HTTP {code}."
            return code, ""
    except requests.ReadTimeout:
        return None, f"The endpoint accepted the connection but did not answer within {read} s."
    except requests.RequestException as exc:
        # The owner sees one generic sentence: the raw error (refused, reset, TLS, DNS) would let them probe
        # hosts and ports through us. The detail stays in our log.
        log.info("webhook delivery %s to %s failed: %r", delivery.public_id, address, exc)
        return None, "Could not connect to the endpoint (connection failed, timed out or TLS failed)."
    finally:
        session.close()


def delivery_attempt(delivery_id: int, *, now: dt.datetime | None = None) -> AttemptResult:
    """Make one attempt at a pending, due delivery and record it. On failure schedule the next attempt with
    exponential backoff until `INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS`, then give up; an endpoint failing
    `INTEGRATIONS_WEBHOOK_DISABLE_AFTER` attempts in a row is disabled with the reason on its page.
    The HTTP request runs outside any transaction (no lock is held while waiting on a stranger's server)."""
    now = now or timezone.now()
    claimed = _claim(delivery_id, now)
    if claimed is None:
        return AttemptResult(sent=False)
    delivery, endpoint = claimed
    started = time.monotonic()
    status_code, error = _post(endpoint, delivery, now)
    duration_ms = int((time.monotonic() - started) * 1000)
    succeeded = not error
    retry_in: float | None = None
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        finished = timezone.now()
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            at=finished,
            status_code=status_code,
            duration_ms=duration_ms,
            error=error,
            succeeded=succeeded,
        )
        delivery.last_status_code = status_code
        delivery.last_error = error
        if succeeded:
            delivery.status = Delivery.Status.SUCCEEDED
            delivery.delivered_at = finished
            delivery.next_attempt_at = None
        elif delivery.attempts >= settings.INTEGRATIONS_WEBHOOK_MAX_ATTEMPTS:
            delivery.status = Delivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            retry_in = backoff_seconds(delivery.attempts)
            delivery.next_attempt_at = finished + dt.timedelta(seconds=retry_in)
        delivery.save(update_fields=["last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"])
        locked = _lock(endpoint)
        if succeeded:
            if locked.consecutive_failures:
                locked.consecutive_failures = 0
                locked.save(update_fields=["consecutive_failures", "updated_at"])
        else:
            locked.consecutive_failures += 1
            locked.save(update_fields=["consecutive_failures", "updated_at"])
            limit = settings.INTEGRATIONS_WEBHOOK_DISABLE_AFTER
            if locked.consecutive_failures >= limit:
                endpoint_disable(
                    endpoint=locked,
                    by=None,
                    reason=f"Disabled automatically after {limit} failed attempts in a row. Last error: {error}",
                )
                retry_in = None
    log.info("webhook delivery %s attempt %s: %s", delivery.public_id, delivery.attempts, "ok" if succeeded else error)
    return AttemptResult(sent=True, succeeded=succeeded, retry_in=retry_in, status_code=status_code, error=error)


def deliveries_due(*, limit: int = 500) -> list[int]:
    """Pending deliveries whose time has come (the sweep re-enqueues them if their task message was lost)."""
    return list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
