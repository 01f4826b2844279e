"""Reads of the whitelist app for pages and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from whitelist.models import Batch, Change, ListKey, Reconciliation

OPEN_BATCH_STATES = [s for s in Batch.Status.values if s not in ("confirmed", "failed", "cancelled")]
# Served by the wl_change_address index (address, list_key, -id).
_ADDRESS_STATUS_SQL = (
    f"SELECT c.list_key, c.action, c.valid_until, c.status, b.status FROM {Change._meta.db_table} c "  # noqa: S608 - table names from model metadata
    f"LEFT JOIN {Batch._meta.db_table} b ON b.id = c.batch_id "
    "WHERE c.address = %s AND c.status NOT IN (%s, %s) ORDER BY c.id"
)


def _db_datetime(value: dt.datetime | str | None) -> dt.datetime | None:
    """A datetime column read through a raw cursor, made what the ORM would have given: aware.

    PostgreSQL's driver returns aware values; SQLite (the default set-up) returns naive ones, or text for a
    column it does not recognise, in the connection's time zone (UTC unless DATABASES sets TIME_ZONE). The ORM
    converts them (DatabaseOperations.convert_datetimefield_value); a raw cursor does not."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
        if value is None:
            raise ValueError("The database returned a datetime this backend cannot parse.")
    if settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value, connection.timezone)
    return value


def address_status(*, address: str) -> dict[str, dict[str, Any]]:
    """Per list: "confirmed" (listed and confirmed on chain, not expired), "pending" (a change is on its way)
    or "not_listed". From the database's record of confirmed batches: no personal data, no chain call."""
    # The public lookup's one query, written out: building it through the ORM cost more CPU than running it
    # (bench/load). Same rows as Change.objects.filter(address=...).exclude(status__in=...).order_by("id").
    with connection.cursor() as cursor:
        cursor.execute(_ADDRESS_STATUS_SQL, [address, Change.Status.SUPERSEDED, Change.Status.FAILED])
        rows = [
            {"list_key": k, "action": a, "valid_until": _db_datetime(v), "status": st, "batch__status": bs}
            for k, a, v, st, bs in cursor.fetchall()
        ]
    now = timezone.now()
    out: dict[str, dict[str, Any]] = {}
    for key in ListKey.values:
        state: dict[str, Any] = {"status": "not_listed", "valid_until": None, "pending_action": None}
        for row in (r for r in rows if r["list_key"] == key):
            pending = row["status"] == Change.Status.PENDING or (
                row["status"] == Change.Status.BATCHED and row["batch__status"] in OPEN_BATCH_STATES
            )
            if pending:
                state["pending_action"] = row["action"]
                continue
            if row["status"] in (Change.Status.CONFIRMED, Change.Status.SKIPPED):
                listed = row["action"] == Change.Action.ADD and row["valid_until"] and row["valid_until"] > now
                state["status"] = "confirmed" if listed else "not_listed"
                state["valid_until"] = row["valid_until"] if listed else None
        if state["pending_action"]:
            state["status"] = "pending" if state["status"] == "not_listed" else state["status"]
        out[key] = state
    return out


def change_pending_list() -> QuerySet[Change]:
    return Change.objects.filter(status=Change.Status.PENDING).select_related("requested_by").order_by("id")


def batch_list() -> QuerySet[Batch]:
    return Batch.objects.select_related("deployment").annotate(approval_count=Count("approvals")).order_by("-id")


def address_history(*, address: str) -> QuerySet[Change]:
    return (
        Change.objects.filter(address=address)
        .select_related("batch", "requested_by", "batch__deployment")
        .order_by("-id")
    )


def sync_progress() -> dict[str, Any]:
    """Counts for the live progress panel."""
    changes = dict(Change.objects.values_list("status").annotate(n=Count("id")).order_by())
    batches = dict(Batch.objects.values_list("status").annotate(n=Count("id")).order_by())
    confirmed_recent = Batch.objects.filter(
        status=Batch.Status.CONFIRMED, confirmed_at__gte=timezone.now() - dt.timedelta(hours=24)
    ).count()
    return {
        "changes": {s: changes.get(s, 0) for s in Change.Status.values},
        "batches": {s: batches.get(s, 0) for s in Batch.Status.values},
        "confirmed_last_24h": confirmed_recent,
        "at": timezone.now().isoformat(),
    }


def reconciliation_latest(*, list_key: str) -> Reconciliation | None:
    return Reconciliation.objects.filter(list_key=list_key).order_by("-id").first()


def address_chain_states(*, addresses: list[str], list_key: str) -> dict[str, dict[str, Any]]:
    """Per address, what its owner needs to know about it on `list_key`, from the database's record of the chain
    (no chain call): "pending" (a change is on its way; `pending_action`), "on_chain" (added and confirmed:
    `block_number`, `tx_hash`, `valid_until` as sent to the contract), "expired" (added, but the on-chain expiry
    has passed), "removed" (`removed_at`, `block_number`, `tx_hash`) or "not_listed". One query for all."""
    changes = (
        Change.objects.filter(address__in=addresses, list_key=list_key)
        .exclude(status__in=[Change.Status.SUPERSEDED, Change.Status.FAILED])
        .select_related("batch")
        .order_by("id")
    )
    now = timezone.now()
    out: dict[str, dict[str, Any]] = {
        a: {
            "status": "not_listed",
            "pending_action": None,
            "block_number": None,
            "tx_hash": "",
            "valid_until": None,
            "removed_at": None,
            "confirmed_at": None,
        }
        for a in addresses
    }
    for change in changes:
        state = out[change.address]
        batch = change.batch
        pending = change.status == Change.Status.PENDING or (
            change.status == Change.Status.BATCHED and batch is not None and batch.status in OPEN_BATCH_STATES
        )
        if pending:
            state["pending_action"] = change.action
            continue
        if change.status not in (Change.Status.CONFIRMED, Change.Status.SKIPPED):
            continue
        state.update(
            block_number=batch.block_number if batch else None,
            tx_hash=batch.tx_hash if batch else "",
            confirmed_at=batch.confirmed_at if batch else None,
        )
        if change.action == Change.Action.ADD:
            expired = change.valid_until is None or change.valid_until <= now
            state.update(status="expired" if expired else "on_chain", valid_until=change.valid_until, removed_at=None)
        else:
            state.update(status="removed", valid_until=None, removed_at=(batch.confirmed_at if batch else None))
    for state in out.values():
        if state["pending_action"] and state["status"] in ("not_listed", "removed", "expired"):
            state["status"] = "pending"
    return out
