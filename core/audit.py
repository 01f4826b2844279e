"""The audit trail: the only writer of `AuditEvent` rows and their verifier."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from core import context
from core.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64


def _jsonable(value: Any) -> Any:
    """Normalise to what a JSON column gives back, so the stored row hashes the same after a round trip."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def canonical_content(event: AuditEvent) -> str:
    """The fields that the hash covers, as canonical JSON. `seq` is left out on purpose: the chain order
    comes from `prev_hash`, so renumbering rows shows up as a broken link rather than an edit."""
    occurred_at = event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    payload = {
        "occurred_at": occurred_at,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_repr": event.target_repr,
        "before": event.before,
        "after": event.after,
        "data": event.data,
        "request_id": event.request_id,
        "ip": event.ip,
        "user_agent": event.user_agent,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical_content(event)).encode()).hexdigest()


def _target_fields(target: models.Model | None) -> tuple[str, str, str]:
    if target is None:
        return "", "", ""
    meta = target._meta
    label = f"{meta.app_label}.{meta.model_name}"
    # A user's str() is their e-mail: name them as an actor is named instead.
    text = audit_label(target) if label == settings.AUTH_USER_MODEL.lower() else str(target)
    return label, str(target.pk), text[:200]


def audit_label(actor: Any) -> str:
    """Staff are named by e-mail: who decided must be readable for as long as the trail exists. Applicants are
    named by their opaque public id, because the trail is append-only and outlives the retention period after
    which their personal data is anonymised; pages resolve the id through `actor` while the account exists."""
    from accounts.permissions import user_is_staff_member  # accounts imports core: resolved at call time

    if user_is_staff_member(actor):
        return str(getattr(actor, "email", "") or "")
    return f"user:{actor.public_id}"


def audit_digest(identifier: str) -> str:
    """A keyed digest of an identifier that must not be kept in the trail (a typed or invited e-mail address):
    equal inputs give equal digests, so repeated attempts or invitations to one address still show, but without
    the secret key nobody can test a guessed address against the trail."""
    normalised = identifier.strip().lower().encode()
    return hmac.new(settings.SECRET_KEY.encode(), normalised, hashlib.sha256).hexdigest()[:24]


@transaction.atomic
def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction.

    `actor` is a user or None for the system (beat jobs, webhooks). The request id, IP and user agent come
    from the current request context. Holds the chain-head lock until the caller's transaction commits,
    so call it near the end of the service.
    """
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
    ctx = context.current()
    target_type, target_id, target_repr = _target_fields(target)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    event = AuditEvent(
        seq=head.seq + 1,
        occurred_at=timezone.now(),
        actor=actor if is_user else None,
        actor_label=audit_label(actor) if is_user else "system",
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_repr=target_repr,
        before=_jsonable(before),
        after=_jsonable(after),
        data=_jsonable(data) or {},
        request_id=ctx.request_id,
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        prev_hash=head.hash,
    )
    event.hash = compute_hash(head.hash, event)
    event.save(force_insert=True)
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class ChainProblem:
    kind: str  # "edited", "deleted", "reordered", "truncated"
    seq: int | None
    event_id: int | None
    message: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head_seq: int
    head_hash: str
    problem: ChainProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _iter_chain(chunk_size: int = 2000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:chunk_size])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def _link_problem(event: AuditEvent, expected_seq: int) -> ChainProblem:
    """Name what broke the link into `event`, whose own content is intact."""
    if event.seq > expected_seq:
        missing = f"#{expected_seq}" if event.seq == expected_seq + 1 else f"#{expected_seq} to #{event.seq - 1}"
        return ChainProblem(
            "deleted",
            event.seq,
            event.pk,
            f"Row {missing} was deleted: row #{event.seq} (id {event.pk}) follows a gap in the chain.",
        )
    predecessor = AuditEvent.objects.filter(hash=event.prev_hash).only("seq", "id").first()
    if predecessor is not None:
        return ChainProblem(
            "reordered",
            event.seq,
            event.pk,
            f"Row #{event.seq} (id {event.pk}) was reordered: it was written after the row now at "
            f"#{predecessor.seq} (id {predecessor.pk}).",
        )
    return ChainProblem(
        "deleted",
        event.seq,
        event.pk,
        f"The row written before row #{event.seq} (id {event.pk}) was deleted and the chain renumbered.",
    )


def audit_verify() -> ChainReport:
    """Walk the whole chain in order and report the first row that does not verify, if any."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in _iter_chain():
        checked += 1
        if compute_hash(event.prev_hash, event) != event.hash:
            problem = ChainProblem(
                "edited",
                event.seq,
                event.pk,
                f"Row #{event.seq} (id {event.pk}, {event.action}) was edited: its content no longer matches its hash.",
            )
            return ChainReport(checked, 0, "", problem)
        if event.prev_hash != expected_prev or event.seq != expected_seq:
            return ChainReport(checked, 0, "", _link_problem(event, expected_seq))
        expected_prev = event.hash
        expected_seq += 1
    head = AuditChainHead.objects.filter(id=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    last_seq = expected_seq - 1
    if head_seq != last_seq or head_hash != expected_prev:
        problem = ChainProblem(
            "truncated",
            last_seq + 1 if head_seq > last_seq else None,
            None,
            f"The chain ends at #{last_seq} but its head records #{head_seq}: rows were deleted from the end."
            if head_seq > last_seq
            else f"The chain head (#{head_seq}) does not match the last row (#{last_seq}).",
        )
        return ChainReport(checked, head_seq, head_hash, problem)
    return ChainReport(checked, head_seq, head_hash, None)
