"""The embedded, offline provider: names against the imported lists with our matcher, wallets against the
imported addresses. No network; the raw payload records the list versions and every candidate considered."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings

from screening.base import CheckResult, HitData, ProviderUnavailable, Subject, outcome_for_score
from screening.matching import Evidence, IndexHit
from screening.models import CheckKind, Outcome
from screening.selectors import list_versions_active, name_index, wallet_lookup


class EmbeddedProvider:
    name: ClassVar[str] = "embedded"
    kinds: ClassVar[frozenset[str]] = frozenset({CheckKind.NAME, CheckKind.WALLET})

    @classmethod
    def from_settings(cls) -> EmbeddedProvider:
        return cls()

    def run(self, *, kind: str, subject: Subject, subject_ref: str) -> CheckResult:
        if kind == CheckKind.WALLET:
            return self.screen_wallet(subject.address)
        return self.screen_name(subject)

    def screen_name(
        self,
        subject: Subject,
        *,
        entity_filter: frozenset[str] | None = None,
        version_ids: tuple[int, ...] | None = None,
    ) -> CheckResult:
        versions = {v.source: v.number for v in list_versions_active()}
        if not versions:
            # Screening against nothing would look like a clear result: refuse instead.
            raise ProviderUnavailable("No sanctions list has been imported: run manage.py sanctions_import.")
        index = name_index(version_ids=version_ids)
        review_at = settings.SCREENING_REVIEW_THRESHOLD
        evidence = Evidence(
            dobs=(subject.birth_date,) if subject.birth_date else (),
            # Several nationalities arrive separated by ";" (Subject carries plain strings).
            nationalities=tuple(n.strip() for n in subject.nationality.split(";") if n.strip()),
        )
        # Every name the subject goes by is put to the lists; an entity found under several keeps its best score,
        # and the hit says which of the subject's names matched it.
        best: dict[str, tuple[str, IndexHit]] = {}
        for query_name in subject.all_names:
            for h in index.search(
                query_name,
                schema=subject.schema,
                evidence=evidence,
                threshold=review_at,
                limit=10,
                entity_filter=entity_filter,
            ):
                if h.entity_id not in best or h.score > best[h.entity_id][1].score:
                    best[h.entity_id] = (query_name, h)
        ranked = sorted(best.values(), key=lambda item: item[1].score, reverse=True)[:20]
        several = len(subject.all_names) > 1
        hits = [
            HitData(
                list_name=h.source,
                entity_id=h.entity_id,
                matched_name=h.matched_name,
                score=h.score,
                explanation=(f"screened name {query_name!r}: " if several else "") + h.explanation,
                entity_fingerprint=h.fingerprint,
                category=h.category,
                query_name=query_name,
            )
            for query_name, h in ranked
        ]
        top = max((h.score for h in hits), default=0.0)
        outcome = outcome_for_score(top, match_at=settings.SCREENING_MATCH_THRESHOLD, review_at=review_at)
        raw = {
            "provider": self.name,
            "list_versions": versions,
            "query": {
                "name": subject.name,
                "aliases": list(subject.aliases),
                "schema": subject.schema,
                "birth_date": subject.birth_date,
            },
            "hits": [h.__dict__ for h in hits],
        }
        return CheckResult(outcome=outcome, hits=hits, raw_payload=raw)

    def screen_wallet(self, address: str) -> CheckResult:
        if not list_versions_active().exists():
            raise ProviderUnavailable("No address list has been imported: run manage.py sanctions_import.")
        findings = wallet_lookup(address)
        hits = [
            HitData(
                list_name=f.source,
                entity_id=f.entity_id,
                matched_name=f.entity_name or f.as_published,
                score=1.0,
                explanation=(
                    f"address {f.as_published or f.address} ({f.ticker or 'address'}) "
                    + ("was listed and has been delisted" if f.history else "is listed")
                ),
                is_history=f.history,
            )
            for f in findings
        ]
        outcome = Outcome.MATCH if any(not h.is_history for h in hits) else Outcome.CLEAR
        raw = {"provider": self.name, "address": address, "findings": [f.__dict__ for f in findings]}
        return CheckResult(outcome=outcome, hits=hits, raw_payload=raw)
