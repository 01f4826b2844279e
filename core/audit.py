"""The audit trail: the only writer of `AuditEvent` rows and their verifier.

Rows are chained with HMAC-SHA-256 under AUDIT_HMAC_KEYS (newest first; the newest keys new rows, every
configured key verifies), so someone who can write to the database but does not hold a key cannot edit a
row and recompute the hashes after it. Rows from before keyed hashing, and rows whose key was retired, are
vouched for by an `AuditSeal` under a configured key (`manage.py audit_rekey`). Removing rows from the end
and rolling the head back is caught against a head published outside the database (`core.audit_head`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.utils import timezone

from core import context
from core.models import AuditChainHead, AuditEvent, AuditSeal

GENESIS_HASH = "0" * 64
MIN_KEY_LENGTH = 32


class UnknownAuditKey(Exception):
    """A row names a key id that AUDIT_HMAC_KEYS does not hold."""


def key_id(secret: str) -> str:
    """A short public name for a key, stored on each row: a hash of the key, so the key itself never is."""
    return hashlib.sha256(b"claystack-audit-key-id\0" + secret.encode()).hexdigest()[:12]


@lru_cache(maxsize=4)
def _keyring(secrets: tuple[str, ...], secret_key: str) -> tuple[tuple[str, bytes], ...]:
    if not secrets:
        # Development only (production.py requires AUDIT_HMAC_KEYS): a key derived from SECRET_KEY, which is
        # also held outside the database; changing SECRET_KEY then needs `audit_rekey` like any rotation.
        secrets = (hmac.new(secret_key.encode(), b"claystack-audit-chain-key", hashlib.sha256).hexdigest(),)
    ring = []
    for position, secret in enumerate(secrets, start=1):
        if len(secret) < MIN_KEY_LENGTH:
            raise ImproperlyConfigured(
                f"AUDIT_HMAC_KEYS entry {position} is shorter than {MIN_KEY_LENGTH} characters: use a random "
                "secret, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'."
            )
        ring.append((key_id(secret), secret.encode()))
    return tuple(ring)


def audit_keys() -> tuple[tuple[str, bytes], ...]:
    """(key id, key) pairs, newest first."""
    return _keyring(tuple(settings.AUDIT_HMAC_KEYS), str(settings.SECRET_KEY))


def _key(kid: str) -> bytes:
    for candidate, key in audit_keys():
        if candidate == kid:
            return key
    raise UnknownAuditKey(f"AUDIT_HMAC_KEYS holds no key with id {kid}.")


def mac(key: bytes, purpose: bytes, message: str) -> str:
    """HMAC-SHA-256 with a purpose prefix, so a row hash, a seal and a signed head can never stand in for
    one another."""
    return hmac.new(key, purpose + b"\0" + message.encode(), hashlib.sha256).hexdigest()


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


def legacy_hash(prev_hash: str, event: AuditEvent) -> str:
    """The unkeyed SHA-256 of rows written before keyed hashing (`key_id` empty)."""
    return hashlib.sha256((prev_hash + canonical_content(event)).encode()).hexdigest()


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    """The row's hash: HMAC under the key its `key_id` names (UnknownAuditKey when that key is not
    configured), or the legacy SHA-256 for a row without one."""
    if not event.key_id:
        return legacy_hash(prev_hash, event)
    return mac(_key(event.key_id), b"audit-row", prev_hash + canonical_content(event))


def seal_mac(key: bytes, event: AuditEvent) -> str:
    """What a seal signs: the row's link, its own hash and its content."""
    return mac(key, b"audit-seal", event.prev_hash + event.hash + canonical_content(event))


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
        key_id=audit_keys()[0][0],
    )
    event.hash = compute_hash(head.hash, event)
    event.save(force_insert=True)
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event


@dataclass(frozen=True)
class ChainProblem:
    kind: str  # "edited", "deleted", "reordered", "truncated", "unverifiable", "rewritten"
    seq: int | None
    event_id: int | None
    message: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head_seq: int
    head_hash: str
    problem: ChainProblem | None
    heads_checked: int = 0

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class PublishedHead:
    """A head kept outside the database: a hash, with its row number when the source gives one."""

    hash: str
    seq: int | None = None
    source: str = "the published head"


def _iter_chain(chunk_size: int = 2000) -> Iterator[tuple[AuditEvent, AuditSeal | None]]:
    last = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:chunk_size])
        if not rows:
            return
        seals = {s.event_id: s for s in AuditSeal.objects.filter(event_id__in=[r.pk for r in rows])}
        for row in rows:
            yield row, seals.get(row.pk)
        last = rows[-1].seq


def _row_problem(event: AuditEvent, seal: AuditSeal | None, keys: dict[str, bytes]) -> ChainProblem | None:
    """Whether a configured key vouches for the row: its own keyed hash, or else a seal."""
    name = f"Row #{event.seq} (id {event.pk}, {event.action})"
    edited = ChainProblem("edited", event.seq, event.pk, f"{name} was edited: its content no longer matches its hash.")
    own_key = keys.get(event.key_id) if event.key_id else None
    if own_key is not None:
        expected = mac(own_key, b"audit-row", event.prev_hash + canonical_content(event))
        return None if hmac.compare_digest(expected, event.hash) else edited
    if seal is not None and seal.key_id in keys:
        return None if hmac.compare_digest(seal_mac(keys[seal.key_id], event), seal.mac) else edited
    if not event.key_id:
        message = (
            f"{name} has no keyed hash and no seal under a configured key: it was written before keyed hashing "
            "and never sealed (run `manage.py audit_rekey`), or it was forged by someone without the key."
        )
    else:
        message = (
            f"{name} was hashed with key {event.key_id}, which AUDIT_HMAC_KEYS no longer holds, and no seal under "
            "a configured key covers it: put the key back, run `manage.py audit_rekey`, then drop it."
        )
    return ChainProblem("unverifiable", event.seq, event.pk, message)


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


def _head_problem(
    heads: Sequence[PublishedHead], found: dict[str, int], at_seq: dict[int, AuditEvent], last_seq: int
) -> ChainProblem | None:
    """Compare published heads with a chain whose rows all verify. A head whose hash is in the chain is
    kept; one that is missing means rows were removed from the end, or (with the key) rewritten."""
    last_good = 0
    for head in sorted(heads, key=lambda h: (h.seq is None, h.seq or 0)):
        if head.hash in found:
            last_good = max(last_good, found[head.hash])
            continue
        if head.seq is None:
            return ChainProblem(
                "truncated",
                None,
                None,
                f"{head.source} {head.hash} is not in the chain, which ends at #{last_seq}: rows were deleted "
                "from the end (and the head rolled back), or rewritten by someone holding the key.",
            )
        if head.seq > last_seq:
            return ChainProblem(
                "truncated",
                last_seq + 1,
                None,
                f"Rows #{last_seq + 1} to #{head.seq} were deleted from the end: {head.source} names row "
                f"#{head.seq} ({head.hash}) but the chain ends at #{last_seq}.",
            )
        row = at_seq[head.seq]
        return ChainProblem(
            "rewritten",
            last_good + 1,
            at_seq.get(last_good + 1, row).pk,
            f"Row #{head.seq} (id {row.pk}) has hash {row.hash} but {head.source} says {head.hash}: the rows "
            f"were rewritten by someone holding the key; the first rewritten row is between #{last_good + 1} "
            f"and #{head.seq}.",
        )
    return None


def audit_verify(*, expected_heads: Sequence[PublishedHead] = ()) -> ChainReport:
    """Walk the whole chain in order and report the first row that does not verify, if any; then check it
    against each head published outside the database."""
    keys = dict(audit_keys())
    wanted_hashes = {h.hash for h in expected_heads}
    wanted_seqs = {h.seq for h in expected_heads if h.seq is not None}
    found: dict[str, int] = {}
    at_seq: dict[int, AuditEvent] = {}
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event, seal in _iter_chain():
        checked += 1
        problem = _row_problem(event, seal, keys)
        if problem is not None:
            return ChainReport(checked, 0, "", problem)
        if event.prev_hash != expected_prev or event.seq != expected_seq:
            return ChainReport(checked, 0, "", _link_problem(event, expected_seq))
        if event.hash in wanted_hashes:
            found[event.hash] = event.seq
        if event.seq in wanted_seqs or event.seq - 1 in wanted_seqs:
            at_seq[event.seq] = event
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
    problem = _head_problem(expected_heads, found, at_seq, last_seq)
    return ChainReport(checked, head_seq, head_hash, problem, heads_checked=len(expected_heads))


class AuditRekeyError(Exception):
    """A row failed verification, so it was not sealed: sealing it would vouch for tampered history."""


@transaction.atomic
def audit_rekey(*, chunk_size: int = 2000) -> dict[str, int]:
    """Seal, with the newest AUDIT_HMAC_KEYS entry, every row that the newest key did not hash, after
    verifying it; afterwards an older key can be dropped from AUDIT_HMAC_KEYS.

    Rows written before keyed hashing are accepted on their SHA-256 link as long as they all precede the
    first keyed row (the trust they had until now); an unkeyed row after a keyed one is a forgery. Raises
    AuditRekeyError naming the first bad row, and then seals nothing (one transaction)."""
    newest_id, newest = audit_keys()[0]
    keys = dict(audit_keys())
    counts = {"rows": 0, "sealed": 0, "already_sealed": 0}
    expected_prev, expected_seq, seen_keyed = GENESIS_HASH, 1, False
    for event, seal in _iter_chain(chunk_size):
        counts["rows"] += 1
        if event.prev_hash != expected_prev or event.seq != expected_seq:
            raise AuditRekeyError(_link_problem(event, expected_seq).message)
        first_sealing = (
            not event.key_id and seal is None and not seen_keyed and legacy_hash(event.prev_hash, event) == event.hash
        )
        problem = None if first_sealing else _row_problem(event, seal, keys)
        if problem is not None:
            raise AuditRekeyError(problem.message)
        seen_keyed = seen_keyed or bool(event.key_id)
        if event.key_id != newest_id:
            if seal is not None and seal.key_id == newest_id:
                counts["already_sealed"] += 1
            else:
                AuditSeal.objects.update_or_create(
                    event=event, defaults={"key_id": newest_id, "mac": seal_mac(newest, event)}
                )
                counts["sealed"] += 1
        expected_prev, expected_seq = event.hash, expected_seq + 1
    return counts
