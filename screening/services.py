"""Writes of the screening app: list imports, checks and their runs, false-positive decisions, monitoring.

The caller (kyc) hands in plain data and an opaque `subject_ref`; screening stores checks and hits and hands
back ids. Monitoring asks the caller for the subjects to re-screen through the hook named by
SCREENING_MONITORING_SUBJECTS (see screening/README.md) and reports new hits through SCREENING_MONITORING_ALERT.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from core.audit import audit_record
from core.exceptions import ApplicationError
from screening import importers
from screening.base import (
    CheckResult,
    HitData,
    ProviderUnavailable,
    Subject,
    get_provider,
    provider_name_for,
)
from screening.models import (
    CHECK_TRANSITIONS,
    Check,
    CheckKind,
    CheckStatus,
    FalsePositive,
    Hit,
    ListAddress,
    ListEntity,
    ListSource,
    ListVersion,
    Outcome,
)
from screening.signals import check_settled_on_commit

logger = logging.getLogger(__name__)

# Options each source takes, in the order the checksum covers them.
SOURCE_OPTIONS: dict[str, tuple[str, ...]] = {
    ListSource.OFAC: ("sdn", "alt", "add", "comments"),
    ListSource.OFAC_CONS: ("sdn", "alt", "add", "comments"),
    ListSource.UN: ("file",),
    ListSource.UK: ("file",),
    ListSource.CSV: ("file",),
    ListSource.ADDRESS_LIST: ("file",),
    ListSource.OPENSANCTIONS_PEP: ("file",),
}


def _sha256_path(path: Path) -> str:
    digest = hashlib.sha256()
    if path.is_dir():
        for child in sorted(path.glob("*.csv")):
            digest.update(child.name.encode())
            digest.update(child.read_bytes())
    else:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def list_parse(*, source: str, files: dict[str, Path], require_eof_marker: bool = True) -> importers.ParsedList:
    """Parse the files of one source. Raises ListFormatError (nothing stored) on any format problem."""
    parsed = _list_parse(source=source, files=files, require_eof_marker=require_eof_marker)
    parsed.normalise_names()
    return parsed


def _list_parse(*, source: str, files: dict[str, Path], require_eof_marker: bool) -> importers.ParsedList:
    if source in (ListSource.OFAC, ListSource.OFAC_CONS):
        if "sdn" not in files:
            raise importers.ListFormatError(f"{source} needs --sdn (the primary records file).")
        return importers.parse_ofac(
            sdn=files["sdn"],
            alt=files.get("alt"),
            add=files.get("add"),
            comments=files.get("comments"),
            require_eof_marker=require_eof_marker,
        )
    parser: dict[str, Callable[[Path], importers.ParsedList]] = {
        ListSource.UN: importers.parse_un,
        ListSource.UK: importers.parse_uk,
        ListSource.CSV: importers.parse_generic_csv,
        ListSource.ADDRESS_LIST: importers.parse_address_list,
        ListSource.OPENSANCTIONS_PEP: importers.parse_opensanctions,
    }
    if source not in parser:
        raise importers.ListFormatError(f"Unknown source {source!r}; accepted: {', '.join(ListSource.values)}.")
    return parser[source](files["file"])


@dataclass
class ImportOutcome:
    version: ListVersion
    created: bool  # False when the files were identical to the active version
    new_entity_ids: list[str] = field(default_factory=list)


def _diff(previous: ListVersion | None, parsed: importers.ParsedList) -> dict[str, Any]:
    new_prints = {e.entity_id: e.fingerprint() for e in parsed.entities.values()}
    new_addresses = {a.address for a in parsed.addresses if not a.delisted}
    if previous is None:
        old_prints: dict[str, str] = {}
        old_addresses: set[str] = set()
    else:
        old_prints = dict(previous.entities.values_list("entity_id", "fingerprint"))
        old_addresses = set(previous.addresses.filter(delisted=False).values_list("address", flat=True))
    return {
        "previous_version": previous.number if previous else None,
        "added": sorted(set(new_prints) - set(old_prints)),
        "removed": sorted(set(old_prints) - set(new_prints)),
        "changed": sorted(k for k in set(new_prints) & set(old_prints) if new_prints[k] != old_prints[k]),
        "addresses_added": sorted(new_addresses - old_addresses),
        "addresses_removed": sorted(old_addresses - new_addresses),
    }


def list_import(
    *,
    source: str,
    files: dict[str, Path],
    by: Any = None,
    label: str = "",
    require_eof_marker: bool = True,
    monitor: bool = True,
) -> ImportOutcome:
    """Parse and store a new version of a list and make it the active one.

    Parsing happens before any write: a corrupt or truncated file raises ListFormatError and the active
    version is untouched. Identical files (same checksum as the active version) create nothing. The new
    version records its checksum, counts and the diff against the previous version; on commit, monitoring
    re-screens the caller's subjects against what changed.
    """
    paths = {k: Path(v) for k, v in files.items() if v}
    parsed = list_parse(source=source, files=paths, require_eof_marker=require_eof_marker)
    importers.check_limits(parsed, ", ".join(p.name for p in paths.values()))
    order = SOURCE_OPTIONS.get(source, ("file",))
    file_digests = [{"option": k, "name": paths[k].name, "sha256": _sha256_path(paths[k])} for k in order if k in paths]
    checksum = hashlib.sha256("".join(f["sha256"] for f in file_digests).encode()).hexdigest()
    with transaction.atomic():
        previous = ListVersion.objects.select_for_update().filter(source=source, is_active=True).first()
        if previous is not None and previous.checksum == checksum:
            return ImportOutcome(version=previous, created=False)
        last_number = (
            ListVersion.objects.filter(source=source).order_by("-number").values_list("number", flat=True).first()
        )
        diff = _diff(previous, parsed)
        counts = {
            "entities": len(parsed.entities),
            "names": sum(1 + len(e.aliases) for e in parsed.entities.values()),
            "addresses": sum(1 for a in parsed.addresses if not a.delisted),
            "delisted_addresses": sum(1 for a in parsed.addresses if a.delisted),
            "added": len(diff["added"]),
            "removed": len(diff["removed"]),
            "changed": len(diff["changed"]),
            **{f"warning_{k}": v for k, v in parsed.warnings.items()},
        }
        version = ListVersion.objects.create(
            source=source,
            number=(last_number or 0) + 1,
            label=label,
            checksum=checksum,
            files=file_digests,
            counts=counts,
            diff=diff,
            is_active=False,
            imported_by=by if getattr(by, "is_authenticated", False) else None,
        )
        ListEntity.objects.bulk_create(
            (
                ListEntity(
                    version=version,
                    entity_id=e.entity_id,
                    schema=e.schema,
                    name=e.name[:500],
                    aliases=e.aliases,
                    birth_dates=e.birth_dates,
                    nationalities=e.nationalities,
                    programs=e.programs,
                    data=e.data,
                    fingerprint=e.fingerprint(),
                )
                for e in parsed.entities.values()
            ),
            batch_size=2000,
        )
        seen: set[tuple[str, str]] = set()
        address_rows = []
        for a in parsed.addresses:
            if (a.address, a.entity_id) in seen:
                continue
            seen.add((a.address, a.entity_id))
            address_rows.append(
                ListAddress(
                    version=version,
                    address=a.address,
                    as_published=a.as_published[:128],
                    ticker=a.ticker[:12],
                    entity_id=a.entity_id,
                    entity_name=a.entity_name[:500],
                    delisted=a.delisted,
                )
            )
        ListAddress.objects.bulk_create(address_rows, batch_size=2000)
        if previous is not None:
            previous.is_active = False
            previous.save(update_fields=["is_active", "updated_at"])
        version.is_active = True
        version.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=by,
            action="screening.list_imported",
            target=version,
            data={"source": source, "number": version.number, "checksum": checksum, "counts": counts},
        )
        if settings.SCREENING_INDEX_CACHE:

            def _build_index() -> None:
                from screening.tasks import index_build_task

                index_build_task.delay()

            transaction.on_commit(_build_index)
        if monitor:
            version_id = version.pk

            def _enqueue() -> None:
                from screening.tasks import monitoring_for_version_task

                monitoring_for_version_task.delay(version_id)

            transaction.on_commit(_enqueue, robust=True)
    return ImportOutcome(version=version, created=True, new_entity_ids=diff["added"] + diff["changed"])


def list_download(*, source: str, dest: Path, timeout: float | None = None) -> dict[str, Path]:
    """Fetch the configured files of a source into `dest`. Raises ApplicationError naming the file on failure."""
    urls: dict[str, str] = settings.SCREENING_LIST_URLS.get(source, {})
    if not urls or not all(urls.values()):
        missing = [k for k, v in urls.items() if not v] or ["file"]
        raise ApplicationError(
            f"No download URL configured for {source} ({', '.join(missing)}): set the SCREENING_*_URL variables.",
            code="screening_no_url",
        )
    files: dict[str, Path] = {}
    for option, url in urls.items():
        try:
            response = requests.get(url, timeout=timeout or settings.SCREENING_DOWNLOAD_TIMEOUT)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise ApplicationError(
                f"Downloading {source} {option} from {url} failed: {exc}", code="screening_download"
            ) from exc
        # The suffix of the URL's path only: a mirror may add a query string (signed URLs).
        target = dest / f"{source}-{option}{Path(urlsplit(url).path).suffix or '.dat'}"
        target.write_bytes(response.content)
        files[option] = target
    return files


def list_download_and_import(*, source: str, by: Any = None) -> ImportOutcome:
    with tempfile.TemporaryDirectory(prefix="screening-") as tmp:
        files = list_download(source=source, dest=Path(tmp))
        return list_import(source=source, files=files, by=by, label="downloaded")


def list_sources_downloadable() -> list[str]:
    """Sources whose every file has a download URL configured (public ones by default, OpenSanctions when set)."""
    return sorted(source for source, urls in settings.SCREENING_LIST_URLS.items() if urls and all(urls.values()))


class ListRefreshFailed(Exception):
    """A scheduled refresh of one source failed; `transient` says whether trying again soon may help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def list_refresh(*, source: str) -> str:
    """The scheduled refresh of one source: download its files and import them as a new version when they
    changed. Returns "skipped" (no URL), "unchanged" or "imported vN". A failure is logged and audited as
    `screening.list_refresh_failed` naming the source and the reason, leaves the active version as it was, and
    raises ListRefreshFailed; the staleness alert tells staff if it goes on."""
    if source not in list_sources_downloadable():
        return "skipped"
    try:
        outcome = list_download_and_import(source=source)
    except ApplicationError as exc:  # the download: network, HTTP status
        _refresh_failed(source, str(exc))
        raise ListRefreshFailed(str(exc), transient=True) from exc
    except importers.ListFormatError as exc:  # the file: truncated, corrupt, not the expected format
        _refresh_failed(source, str(exc))
        raise ListRefreshFailed(str(exc), transient=False) from exc
    return f"imported v{outcome.version.number}" if outcome.created else "unchanged"


def _refresh_failed(source: str, reason: str) -> None:
    logger.error("screening list refresh failed: %s: %s", source, reason)
    with transaction.atomic():
        audit_record(
            actor=None, action="screening.list_refresh_failed", data={"source": source, "reason": reason[:500]}
        )


def lists_stale_alert() -> int:
    """Hand the stale-list messages (one per list older than SCREENING_LIST_MAX_AGE_HOURS or never imported) to
    the hook named by SCREENING_STALE_ALERT (kyc notifies the staff who manage screening). Returns how many
    lists are stale."""
    from screening.selectors import list_stale_alerts

    messages = list_stale_alerts()
    if messages and settings.SCREENING_STALE_ALERT:
        alert: Callable[[list[str]], None] = import_string(settings.SCREENING_STALE_ALERT)
        with transaction.atomic():
            alert(messages)
    return len(messages)


# ---------------------------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------------------------


def check_create(
    *,
    kind: str,
    subject_ref: str,
    subject: dict[str, Any],
    by: Any = None,
    trigger: str = Check.Trigger.ONBOARDING,
    provider: str | None = None,
    run_async: bool = True,
) -> Check:
    """Create a pending check for plain subject data and (on commit) enqueue its run.

    `subject` holds the fields of `screening.base.Subject` (name, schema, birth_date, nationality, address,
    lei, email, external_user_id). Raises ApplicationError for an unknown kind or missing data.
    """
    if kind not in CheckKind.values:
        raise ApplicationError(f"Unknown check kind {kind!r}; accepted: {', '.join(CheckKind.values)}.")
    needed = {"name": "name", "wallet": "address", "company": "lei"}.get(kind)
    if needed and not str(subject.get(needed, "")).strip():
        raise ApplicationError(f"A {kind} check needs the subject's {needed}.", code="screening_subject")
    provider_name = provider or provider_name_for(kind)
    with transaction.atomic():
        check = Check.objects.create(
            kind=kind, provider=provider_name, subject_ref=subject_ref, subject=subject, trigger=trigger
        )
        audit_record(actor=by, action="screening.check_created", target=check, data={"kind": kind, "ref": subject_ref})
        if run_async:
            check_id = check.pk

            def _enqueue() -> None:
                from screening.tasks import check_run_task

                check_run_task.delay(check_id)

            transaction.on_commit(_enqueue, robust=True)
    return check


def _transition(check: Check, to: str) -> None:
    if to not in CHECK_TRANSITIONS[check.status]:
        raise ApplicationError(f"A check that is {check.status} cannot become {to}.", code="screening_state")
    check.status = to


def _remembered(subject_ref: str) -> dict[str, str]:
    return dict(FalsePositive.objects.filter(subject_ref=subject_ref).values_list("entity_id", "entity_fingerprint"))


def _store_result(check: Check, result: CheckResult) -> Check:
    remembered = _remembered(check.subject_ref)
    hits: list[Hit] = []
    live = 0
    for h in result.hits:
        suppressed = bool(h.entity_fingerprint) and remembered.get(h.entity_id) == h.entity_fingerprint
        if not suppressed and not h.is_history:
            live += 1
        hits.append(
            Hit(
                check_run=check,
                list_name=h.list_name[:60],
                entity_id=h.entity_id[:200],
                matched_name=h.matched_name[:500],
                score=max(0.0, min(1.0, h.score)),
                explanation=h.explanation,
                entity_fingerprint=h.entity_fingerprint,
                suppressed=suppressed,
                is_history=h.is_history,
                category=h.category,
                query_name=h.query_name[:500],
            )
        )
    check.hits.all().delete()
    Hit.objects.bulk_create(hits)
    outcome = result.outcome
    if live == 0 and outcome in (Outcome.MATCH, Outcome.POSSIBLE_MATCH) and result.hits:
        outcome = Outcome.CLEAR  # every hit is a remembered false positive or history
    check.outcome = outcome
    check.raw_payload = result.raw_payload
    check.external_id = result.external_id or check.external_id
    check.error = ""
    if result.final:
        _transition(check, CheckStatus.DONE)
        check.completed_at = timezone.now()
    check.save()
    return check


def check_run(*, check_id: int) -> Check:
    """Run a pending (or previously failed) check with its provider and store the outcome and hits.

    Claims the row with select_for_update so two workers never run one check. Raises ProviderUnavailable
    (after recording the attempt) so the task can retry; `check_fail` records the final error.
    """
    with transaction.atomic():
        check = Check.objects.select_for_update().get(pk=check_id)
        if check.status == CheckStatus.DONE:
            return check
        _transition(check, CheckStatus.RUNNING)
        check.attempts += 1
        check.save(update_fields=["status", "attempts", "updated_at"])
    provider = get_provider(check.provider)
    try:
        result = provider.run(kind=check.kind, subject=Subject.from_dict(check.subject), subject_ref=check.subject_ref)
    except ProviderUnavailable as exc:
        Check.objects.filter(pk=check_id).update(error=str(exc)[:2000])
        raise
    with transaction.atomic():
        check = Check.objects.select_for_update().get(pk=check_id)
        _store_result(check, result)
        audit_record(
            actor=None,
            action="screening.check_completed" if result.final else "screening.check_started",
            target=check,
            data={"outcome": check.outcome, "hits": check.hits.count(), "provider": check.provider},
        )
        if result.final:
            check_settled_on_commit(
                check_id=check.pk, subject_ref=check.subject_ref, status=check.status, outcome=check.outcome
            )
    return check


@transaction.atomic
def check_fail(*, check_id: int, error: str) -> Check:
    """Mark a check as failed with a visible `error` outcome: never a silent pass."""
    check = Check.objects.select_for_update().get(pk=check_id)
    if check.status == CheckStatus.DONE:
        return check
    _transition(check, CheckStatus.FAILED)
    check.outcome = Outcome.ERROR
    check.error = f"Provider unavailable: {error}"[:2000]
    check.save(update_fields=["status", "outcome", "error", "updated_at"])
    audit_record(actor=None, action="screening.check_failed", target=check, data={"error": check.error[:500]})
    check_settled_on_commit(
        check_id=check.pk, subject_ref=check.subject_ref, status=check.status, outcome=check.outcome
    )
    return check


def check_run_now(*, kind: str, subject_ref: str, subject: dict[str, Any], by: Any = None) -> Check:
    """Synchronous create-and-run for callers that need the answer in the request (and for tests). A provider
    failure is recorded on the check as an error outcome and the check is returned."""
    check = check_create(kind=kind, subject_ref=subject_ref, subject=subject, by=by, run_async=False)
    try:
        return check_run(check_id=check.pk)
    except ProviderUnavailable as exc:
        return check_fail(check_id=check.pk, error=str(exc))


@transaction.atomic
def false_positive_record(*, hit: Hit, by: Any, reason: str) -> FalsePositive:
    """Remember that `hit`'s entity is not the check's subject. Re-screens suppress the pair until the entity's
    record changes (its fingerprint differs). Requires a reason."""
    if not reason.strip():
        raise ApplicationError("A false-positive decision needs a reason.", code="screening_reason")
    check = hit.check_run
    fp, _ = FalsePositive.objects.update_or_create(
        subject_ref=check.subject_ref,
        entity_id=hit.entity_id,
        defaults={"entity_fingerprint": hit.entity_fingerprint, "reason": reason, "decided_by": by},
    )
    hit.suppressed = True
    hit.save(update_fields=["suppressed"])
    audit_record(
        actor=by,
        action="screening.false_positive_recorded",
        target=fp,
        data={"subject_ref": check.subject_ref, "entity_id": hit.entity_id, "reason": reason},
    )
    return fp


@transaction.atomic
def false_positives_carry(*, pairs: list[tuple[str, str]], by: Any, reason: str) -> int:
    """Copy the false-positive decisions of each `from_ref` subject to its `to_ref` (the same subject under a new
    reference, for example a renewed customer). Each copy keeps the entity's fingerprint, so it lapses like the
    original when the list entry changes. Returns how many were copied; audited per subject."""
    copied = 0
    for from_ref, to_ref in pairs:
        for fp in FalsePositive.objects.filter(subject_ref=from_ref):
            _, created = FalsePositive.objects.get_or_create(
                subject_ref=to_ref,
                entity_id=fp.entity_id,
                defaults={"entity_fingerprint": fp.entity_fingerprint, "reason": f"{fp.reason} ({reason})",
                          "decided_by": fp.decided_by},
            )  # fmt: skip
            if created:
                copied += 1
                audit_record(
                    actor=by,
                    action="screening.false_positive_carried",
                    target=fp,
                    data={"from": from_ref, "to": to_ref, "entity_id": fp.entity_id},
                )
    return copied


# ---------------------------------------------------------------------------------------------------------------
# Monitoring
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonitoredSubject:
    """What the caller hands to monitoring: an opaque ref, the kind (name or wallet) and the plain data."""

    subject_ref: str
    kind: str
    subject: dict[str, Any]


def _monitored_subjects() -> Iterable[MonitoredSubject]:
    dotted = settings.SCREENING_MONITORING_SUBJECTS
    if not dotted:
        return []
    hook: Callable[[], Iterable[MonitoredSubject]] = import_string(dotted)
    return hook()


def monitoring_run(*, version_id: int | None = None) -> list[Check]:
    """Re-screen every subject the caller supplies. After an import (`version_id`), names are compared only
    with the entities that version added or changed and wallets with its addresses; without one (the beat
    schedule), against everything active. Stores a monitoring check only when it has a new live hit (one not
    remembered as a false positive and not already raised for this subject with the same entity record);
    the alert hook gets their ids on commit."""
    from screening.providers.embedded import EmbeddedProvider

    provider = EmbeddedProvider()
    entity_filter: frozenset[str] | None = None
    address_filter: set[str] | None = None
    if version_id is not None:
        version = ListVersion.objects.get(pk=version_id)
        if not version.is_active:
            return []  # a newer import superseded it; that one's monitoring covers the change
        entity_filter = frozenset(version.diff.get("added", []) + version.diff.get("changed", []))
        address_filter = set(version.addresses.filter(delisted=False).values_list("address", flat=True))
        if not entity_filter and not address_filter:
            return []
    created: list[Check] = []
    for item in _monitored_subjects():
        subject = Subject.from_dict(item.subject)
        try:
            if item.kind == CheckKind.WALLET:
                from screening.addresses import normalise_address

                if address_filter is not None and normalise_address(subject.address) not in address_filter:
                    continue
                result = provider.screen_wallet(subject.address)
            elif item.kind == CheckKind.NAME:
                if entity_filter is not None and not entity_filter:
                    continue
                result = provider.screen_name(subject, entity_filter=entity_filter)
            else:
                continue
        except ProviderUnavailable:
            logger.warning("monitoring skipped: no active lists")
            return created
        new_hits = _new_hits(item.subject_ref, result.hits)
        if not new_hits:
            continue
        with transaction.atomic():
            check = Check.objects.create(
                kind=item.kind,
                provider=provider.name,
                subject_ref=item.subject_ref,
                subject=item.subject,
                trigger=Check.Trigger.MONITORING,
                list_version_id=version_id,
                status=CheckStatus.RUNNING,
            )
            _store_result(check, CheckResult(outcome=result.outcome, hits=new_hits, raw_payload=result.raw_payload))
            audit_record(
                actor=None,
                action="screening.monitoring_hit",
                target=check,
                data={"subject_ref": item.subject_ref, "entities": [h.entity_id for h in new_hits]},
            )
        created.append(check)
    if created and settings.SCREENING_MONITORING_ALERT:
        alert: Callable[[list[int]], None] = import_string(settings.SCREENING_MONITORING_ALERT)
        ids = [c.pk for c in created]
        transaction.on_commit(lambda: alert(ids), robust=True)
    return created


def _new_hits(subject_ref: str, hits: list[HitData]) -> list[HitData]:
    remembered = _remembered(subject_ref)
    raised = set(
        Hit.objects.filter(check_run__subject_ref=subject_ref, suppressed=False, is_history=False).values_list(
            "entity_id", "entity_fingerprint"
        )
    )
    fresh = []
    for h in hits:
        if h.is_history:
            continue
        if h.entity_fingerprint and remembered.get(h.entity_id) == h.entity_fingerprint:
            continue
        if (h.entity_id, h.entity_fingerprint) in raised:
            continue
        fresh.append(h)
    return fresh
