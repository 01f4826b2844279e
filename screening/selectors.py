"""Reads: active list versions and their freshness, the in-memory name index, wallet lookups, checks."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from screening.addresses import normalise_address
from screening.matching import CandidateIndex, Evidence, IndexedEntity
from screening.models import Check, CheckStatus, ListAddress, ListEntity, ListSource, ListVersion

_index_lock = threading.Lock()
_index_cache: dict[tuple[int, ...], CandidateIndex] = {}


def list_versions_active() -> QuerySet[ListVersion]:
    return ListVersion.objects.filter(is_active=True).order_by("source")


def list_version_history(*, limit: int = 50) -> QuerySet[ListVersion]:
    return ListVersion.objects.select_related("imported_by").order_by("-created_at")[:limit]


@dataclass(frozen=True)
class ListFreshness:
    source: str
    label: str
    version: ListVersion | None
    age: dt.timedelta | None
    stale: bool

    @property
    def message(self) -> str:
        if self.version is None:
            return f"{self.label}: never imported."
        hours = int(self.age.total_seconds() // 3600) if self.age else 0
        return f"{self.label}: version {self.version.number} imported {hours} h ago" + (
            " — older than the allowed age, update it." if self.stale else "."
        )


def list_freshness(*, now: dt.datetime | None = None) -> list[ListFreshness]:
    """Freshness of every sanctions source that has ever been imported, plus OFAC and UN which the default
    screening relies on. A list is stale when older than SCREENING_LIST_MAX_AGE_HOURS."""
    now = now or timezone.now()
    max_age = dt.timedelta(hours=settings.SCREENING_LIST_MAX_AGE_HOURS)
    active = {v.source: v for v in list_versions_active()}
    expected = {ListSource.OFAC.value, ListSource.UN.value, *active}
    result: list[ListFreshness] = []
    for source in sorted(expected):
        version = active.get(source)
        age = now - version.created_at if version else None
        result.append(
            ListFreshness(
                source=source,
                label=ListSource(source).label,
                version=version,
                age=age,
                stale=version is None or (age is not None and age > max_age),
            )
        )
    return result


def list_stale_alerts(*, now: dt.datetime | None = None) -> list[str]:
    """Messages for the staff dashboard: one per missing or stale list. Empty when all are fresh."""
    return [f.message for f in list_freshness(now=now) if f.stale]


def _active_name_version_ids() -> tuple[int, ...]:
    return tuple(
        list_versions_active().exclude(source=ListSource.ADDRESS_LIST).order_by("pk").values_list("pk", flat=True)
    )


def name_index(*, version_ids: tuple[int, ...] | None = None) -> CandidateIndex:
    """The candidate index over the given (default: active) list versions, built once per set of versions and
    kept in process memory: versions are immutable, so a new import simply changes the key."""
    key = version_ids if version_ids is not None else _active_name_version_ids()
    with _index_lock:
        cached = _index_cache.get(key)
        if cached is not None:
            return cached
    index = CandidateIndex()
    rows = ListEntity.objects.filter(version_id__in=key).select_related("version").order_by("pk")
    for entity in rows.iterator(chunk_size=5000):
        index.add(
            IndexedEntity(
                entity_id=entity.entity_id,
                schema=entity.schema,
                names=tuple(entity.all_names),
                evidence=Evidence(dobs=tuple(entity.birth_dates), nationalities=tuple(entity.nationalities)),
                source=entity.version.source,
                fingerprint=entity.fingerprint,
            )
        )
    with _index_lock:
        _index_cache.clear()  # only the current set of versions is worth its memory
        _index_cache[key] = index
    return index


@dataclass(frozen=True)
class AddressFinding:
    address: str
    source: str
    entity_id: str
    entity_name: str
    ticker: str
    as_published: str
    history: bool  # delisted: reported, not a hit


def wallet_lookup(address: str) -> list[AddressFinding]:
    """Every listing of this address: current or history. One indexed equality lookup on the normalised form.

    History: published as delisted, or only present in versions that are no longer active. When several active
    lists speak about the same (address, entity), the most recently imported statement wins, so an address
    file that reports a delisting overrides an older SDN file that still lists the address.
    """
    normalised = normalise_address(address)
    if not normalised:
        return []
    rows = ListAddress.objects.filter(address=normalised).select_related("version")
    latest: dict[str, tuple[tuple[bool, object], AddressFinding]] = {}
    for row in rows:
        current = row.version.is_active and not row.delisted
        finding = AddressFinding(
            address=normalised,
            source=row.version.source,
            entity_id=row.entity_id,
            entity_name=row.entity_name,
            ticker=row.ticker,
            as_published=row.as_published,
            history=not current,
        )
        # Active versions outrank inactive ones; among active ones, the later import decides.
        rank = (row.version.is_active, row.version.created_at)
        previous = latest.get(row.entity_id)
        if previous is None or rank > previous[0]:
            latest[row.entity_id] = (rank, finding)
    return [finding for _, finding in latest.values()]


def check_list_for_subject(*, subject_ref: str) -> QuerySet[Check]:
    return Check.objects.filter(subject_ref=subject_ref).prefetch_related("hits").order_by("-created_at")


def checks_stuck(*, now: dt.datetime | None = None) -> list[int]:
    """Checks whose Celery message was evidently lost (a broker restart, a worker killed before it acknowledged):
    pending for more than SCREENING_CHECK_STALE_MINUTES, or running with no attempt for an hour, longer than
    the whole retry backoff of a check. Oldest first, at most 500 per sweep.

    A running check the provider has accepted (it gave its id: an identity check whose applicant was created) is
    not stuck: it waits for the person to verify themselves, and the verdict arrives by webhook. Sending it again
    would only ask the provider for the same applicant."""
    now = now or timezone.now()
    pending_before = now - dt.timedelta(minutes=settings.SCREENING_CHECK_STALE_MINUTES)
    running_before = now - dt.timedelta(hours=1)
    return list(
        Check.objects.filter(
            Q(status=CheckStatus.PENDING, updated_at__lt=pending_before)
            | (Q(status=CheckStatus.RUNNING, updated_at__lt=running_before) & Q(external_id=""))
        )
        .order_by("updated_at")
        .values_list("pk", flat=True)[:500]
    )
