"""Reads: active list versions and their freshness, the in-memory name index, wallet lookups, checks."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import pickle
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from screening.addresses import normalise_address
from screening.matching import CandidateIndex, Evidence, IndexedEntity
from screening.models import Check, CheckStatus, ListAddress, ListEntity, ListSource, ListVersion

logger = logging.getLogger(__name__)
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


def entity_note(data: dict[str, object]) -> str:
    """The line a reviewer reads beside a PEP hit: the public function, or whom a relative or associate is
    linked to. Empty for sanctions entries (their programmes are on the entity)."""
    category = data.get("category")
    if category == "pep":
        positions = [str(p) for p in data.get("positions") or []]  # type: ignore[attr-defined]
        return "PEP" + (f": {', '.join(positions[:3])}" if positions else "")
    if category == "rca":
        relation = {"family": "family member", "associate": "close associate"}.get(str(data.get("relation")), "")
        linked = [str(p) for p in data.get("linked_to") or []]  # type: ignore[attr-defined]
        label = relation or "relative or close associate"
        return f"{label} of a PEP" + (f" ({', '.join(linked[:3])})" if linked else "")
    return ""


# The shared index file -----------------------------------------------------------------------------------------
# Named by the lists' content (source and checksum of each version) and by the matcher's own code, so a file is
# never read for other lists or by a matcher that would normalise differently; written atomically (rename). The
# folder is the portal's own (PORTAL_VAR_DIR), written by nothing else: pickle is safe there and loads the index
# in a fraction of the time a build takes.


def _matcher_digest() -> str:
    import screening.matching as matching

    return hashlib.sha256(Path(matching.__file__).read_bytes()).hexdigest()[:16]


def _index_file(key: tuple[int, ...]) -> Path | None:
    if not settings.SCREENING_INDEX_CACHE or not key:
        return None
    folder = Path(settings.SCREENING_INDEX_DIR or Path(settings.VAR_DIR) / "screening-index")
    content = sorted(ListVersion.objects.filter(pk__in=key).values_list("source", "checksum"))
    if len(content) != len(key):
        return None
    digest = hashlib.sha256(json.dumps([content, _matcher_digest()]).encode()).hexdigest()[:32]
    return folder / f"names-{digest}.pickle"


def _index_load(path: Path) -> CandidateIndex | None:
    try:
        with path.open("rb") as handle:
            loaded = pickle.load(handle)  # noqa: S301 - our own file in our own folder, see above
    except FileNotFoundError:
        return None
    except Exception:  # a file cut short or from another Python: rebuild (and overwrite) rather than fail a check
        logger.warning("screening index file %s unreadable; rebuilding", path, exc_info=True)
        return None
    return loaded if isinstance(loaded, CandidateIndex) else None


def _index_save(index: CandidateIndex, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".names-", delete=False) as handle:
            pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
    except OSError:
        logger.warning("screening index file %s not written; each process builds its own", path, exc_info=True)


def index_build() -> int:
    """Build the index over the active lists and write its file (after an import, so no check waits for it; a
    no-op when the file is there), and remove the files of lists no longer active. Returns the entities indexed."""
    key = _active_name_version_ids()
    path = _index_file(key)
    index = name_index(version_ids=key)
    if path is not None:
        for old in path.parent.glob("names-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    return len(index)


def name_index(*, version_ids: tuple[int, ...] | None = None) -> CandidateIndex:
    """The candidate index over the given (default: active) list versions, built once per set of versions and
    kept in process memory: versions are immutable, so a new import simply changes the key. A process that has
    not built it yet loads the file `index_build` wrote after the import (SCREENING_INDEX_CACHE) and builds it
    from the database only when there is none."""
    key = version_ids if version_ids is not None else _active_name_version_ids()
    with _index_lock:
        cached = _index_cache.get(key)
        if cached is not None:
            return cached
    path = _index_file(key)
    index = _index_load(path) if path is not None else None
    if index is None:
        index = _index_from_database(key)
        if path is not None:
            _index_save(index, path)
    with _index_lock:
        _index_cache.clear()  # only the current set of versions is worth its memory
        _index_cache[key] = index
    return index


def _index_from_database(key: tuple[int, ...]) -> CandidateIndex:
    index = CandidateIndex()
    sources = dict(ListVersion.objects.filter(pk__in=key).values_list("pk", "source"))
    # Plain tuples of the columns the index needs (no model instances, no join per row, and of the `data` column
    # only the keys PEP entries use): most of a cold start was the ORM building entities and decoding remarks.
    rows = (
        ListEntity.objects.filter(version_id__in=key)
        .order_by("pk")
        .values_list(
            "version_id",
            "entity_id",
            "schema",
            "name",
            "aliases",
            "birth_dates",
            "nationalities",
            "fingerprint",
            "data__category",
            "data__positions",
            "data__relation",
            "data__linked_to",
        )
    )
    for row in rows.iterator(chunk_size=5000):
        version_id, entity_id, schema, name, aliases, dobs, nationalities, fingerprint = row[:8]
        category, positions, relation, linked_to = row[8:]
        data = {"category": category, "positions": positions, "relation": relation, "linked_to": linked_to}
        index.add(
            IndexedEntity(
                entity_id=entity_id,
                schema=schema,
                names=(name, *[a for a in aliases if a != name]),
                evidence=Evidence(dobs=tuple(dobs), nationalities=tuple(nationalities)),
                source=sources[version_id],
                fingerprint=fingerprint,
                category=str(category or "sanction"),
                note=entity_note(data),
            )
        )
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
