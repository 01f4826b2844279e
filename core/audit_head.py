"""The audit chain's head, published outside the database so that removing rows from the end (and rolling the
head back) or rewriting them cannot go unnoticed.

A signed head is canonical JSON `{"v", "seq", "event_id", "hash", "at", "key_id", "mac"}`, the MAC being
HMAC-SHA-256 under the newest AUDIT_HMAC_KEYS key. Every hour it goes to the log and to AUDIT_HEAD_SINK; once
a day, when the whitelist's chain is configured and AUDIT_ANCHOR_ADDRESS is set, it goes on chain as the input
of a transaction (the anchor backend, `whitelist.anchor`, holds the chain client). `audit_verify
--expect-head`, `--heads-file`, `--anchor-tx` and `--check-anchors` compare the chain with them.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from core.audit import GENESIS_HASH, PublishedHead, audit_keys, mac
from core.models import AuditAnchor, AuditChainHead, AuditEvent

logger = logging.getLogger("core.audit.head")

HEAD_PURPOSE = b"audit-head"
HEAD_VERSION = 1
_HASH = re.compile(r"^[0-9a-f]{64}$")
_SEQ_HASH = re.compile(r"^(\d+):([0-9a-f]{64})$")
SINK_TIMEOUT_SECONDS = 10


class HeadError(ValueError):
    """A published head that cannot be used: malformed, or its signature does not verify."""


class AnchorUnavailable(Exception):
    """The chain did not answer: a transient fault, retried later."""


def _canonical(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def head_sign() -> dict[str, Any]:
    """The current head of the chain, signed. Reads the head row without locking it: a head a moment old is
    as good to publish as the newest one."""
    head = AuditChainHead.objects.filter(id=1).first()
    seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    event_id = AuditEvent.objects.filter(seq=seq).values_list("id", flat=True).first() if seq else None
    kid, key = audit_keys()[0]
    body: dict[str, Any] = {
        "v": HEAD_VERSION,
        "seq": seq,
        "event_id": event_id,
        "hash": head_hash,
        "at": timezone.now().isoformat(timespec="seconds"),
        "key_id": kid,
    }
    return {**body, "mac": mac(key, HEAD_PURPOSE, _canonical(body))}


def head_serialise(signed: dict[str, Any]) -> str:
    return _canonical(signed)


def head_from_signed(text: str, *, source: str) -> PublishedHead:
    """A signed head as published (sink line, transaction input), its MAC verified under a configured key."""
    try:
        signed = json.loads(text)
    except ValueError as exc:
        raise HeadError(f"{source} is not JSON: {exc}") from None
    if not isinstance(signed, dict) or not {"seq", "hash", "key_id", "mac"} <= signed.keys():
        raise HeadError(f"{source} is not a signed audit head (it needs seq, hash, key_id and mac).")
    keys = dict(audit_keys())
    key = keys.get(str(signed["key_id"]))
    if key is None:
        raise HeadError(f"{source} is signed with key {signed['key_id']}, which AUDIT_HMAC_KEYS does not hold.")
    body = {k: v for k, v in signed.items() if k != "mac"}
    if not hmac.compare_digest(mac(key, HEAD_PURPOSE, _canonical(body)), str(signed["mac"])):
        raise HeadError(f"{source} has a signature that does not verify: it was not signed by this portal.")
    if not isinstance(signed["seq"], int) or not _HASH.match(str(signed["hash"])):
        raise HeadError(f"{source} has a malformed seq or hash.")
    return PublishedHead(hash=str(signed["hash"]), seq=int(signed["seq"]), source=f"{source} (#{signed['seq']})")


def head_from_argument(value: str) -> PublishedHead:
    """`--expect-head`: a 64-hex hash, `SEQ:HASH`, or a signed head line as published."""
    text = value.strip()
    if _HASH.match(text.lower()):
        return PublishedHead(hash=text.lower(), source="The published head")
    match = _SEQ_HASH.match(text.lower())
    if match:
        return PublishedHead(hash=match[2], seq=int(match[1]), source=f"The published head #{match[1]}")
    if text.startswith("{"):
        return head_from_signed(text, source="The published head")
    raise HeadError(
        f"--expect-head {value!r} is not a head: give the 64-hex-digit hash, SEQ:HASH, or a signed head line."
    )


def heads_from_file(path: str) -> list[PublishedHead]:
    """Every signed head of a sink file (one JSON line each)."""
    heads = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if line.strip():
            heads.append(head_from_signed(line, source=f"{path} line {number}"))
    return heads


# Publishing -----------------------------------------------------------------------------------------------


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname:
        try:
            if ipaddress.ip_address(parts.hostname).is_loopback:
                return
        except ValueError:
            if parts.hostname == "localhost":
                return
    raise ImproperlyConfigured(
        f"AUDIT_HEAD_SINK {url!r} must be a file path or an https:// URL (http:// only to a loopback address)."
    )


def _to_sink(sink: str, line: str) -> None:
    if "://" in sink:
        _check_url(sink)
        response = requests.post(
            sink, data=line.encode(), headers={"Content-Type": "application/json"}, timeout=SINK_TIMEOUT_SECONDS
        )
        response.raise_for_status()
        return
    # Appended and synced: the file is a log of heads that an auditor reads back with --heads-file.
    with open(sink, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def audit_head_publish() -> dict[str, Any]:
    """Write the signed head to the log and to AUDIT_HEAD_SINK. Raises when the sink refuses it (the beat
    job fails loudly and the next run publishes again)."""
    signed = head_sign()
    line = head_serialise(signed)
    logger.info("Audit chain head %s", line, extra={"audit_head": signed})
    if settings.AUDIT_HEAD_SINK:
        _to_sink(settings.AUDIT_HEAD_SINK, line)
    return signed


# Anchoring ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorOnChain:
    """A transaction as the chain has it: where it went, what it carried, whether it is mined."""

    to: str | None
    input: bytes
    block_number: int | None


class AnchorBackend(Protocol):
    def configured(self) -> bool: ...

    def send(self, *, payload: str, head_seq: int, head_hash: str) -> AuditAnchor: ...

    def settle(self) -> int: ...

    def fetch(self, tx_hash: str) -> AnchorOnChain | None: ...


def anchor_backend() -> AnchorBackend:
    backend: AnchorBackend = import_string(settings.AUDIT_ANCHOR_BACKEND)()
    return backend


def audit_head_anchor(*, backend: AnchorBackend | None = None) -> AuditAnchor | None:
    """Send today's signed head on chain, unless anchoring is off or this head is already anchored. Anchors
    sent earlier are settled first (receipt recorded, or sent again while unmined)."""
    backend = backend or anchor_backend()
    if not backend.configured():
        logger.info("Audit head anchoring is off (AUDIT_ANCHOR_ADDRESS or the whitelist's chain is not set).")
        return None
    backend.settle()
    signed = head_sign()
    if AuditAnchor.objects.filter(head_hash=signed["hash"]).exclude(status=AuditAnchor.Status.FAILED).exists():
        logger.info("Audit head #%s is already anchored.", signed["seq"])
        return None
    anchor = backend.send(payload=head_serialise(signed), head_seq=signed["seq"], head_hash=signed["hash"])
    logger.info("Audit head #%s anchored in transaction %s.", anchor.head_seq, anchor.tx_hash)
    return anchor


def head_from_anchor(tx_hash: str, *, backend: AnchorBackend | None = None) -> PublishedHead:
    """The head a transaction carries, read from the chain: it must have gone to AUDIT_ANCHOR_ADDRESS and
    be signed by this portal."""
    backend = backend or anchor_backend()
    source = f"Anchor transaction {tx_hash}"
    tx = backend.fetch(tx_hash)
    if tx is None:
        raise HeadError(f"{source} is not on the chain.")
    expected_to = settings.AUDIT_ANCHOR_ADDRESS.lower()
    if not tx.to or tx.to.lower() != expected_to:
        raise HeadError(f"{source} was sent to {tx.to}, not to AUDIT_ANCHOR_ADDRESS {settings.AUDIT_ANCHOR_ADDRESS}.")
    try:
        text = tx.input.decode()
    except UnicodeDecodeError:
        raise HeadError(f"{source} does not carry a signed audit head.") from None
    return head_from_signed(text, source=source)


def recorded_anchor_heads(*, backend: AnchorBackend | None = None) -> list[PublishedHead]:
    """The heads of every anchor the database recorded, each read back from the chain (not from the row)."""
    backend = backend or anchor_backend()
    hashes = AuditAnchor.objects.exclude(status=AuditAnchor.Status.FAILED).order_by("id")
    return [head_from_anchor(tx, backend=backend) for tx in hashes.values_list("tx_hash", flat=True)]
