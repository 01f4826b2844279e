"""The provider adapter interface: one `Provider` per vendor module in `screening/providers/`, chosen per check
kind by environment (`SCREENING_PROVIDER_<KIND>`), each turning a vendor's answer into one `CheckResult`.

A provider never decides silently: a vendor that cannot be reached, answers garbage or rate-limits beyond the
retry budget raises `ProviderUnavailable`, which the service records as an `error` outcome on the check.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from screening.models import CheckKind, Outcome


class ProviderUnavailable(Exception):
    """The vendor could not give an answer (timeouts, 429/5xx beyond retries, malformed response)."""


class ProviderNotConfigured(ImproperlyConfigured):
    pass


@dataclass(frozen=True)
class Subject:
    """Plain data of whom or what to screen. Screening knows nothing else about the subject."""

    name: str = ""
    schema: str = "Person"  # Person, Company, Organization...
    birth_date: str = ""
    nationality: str = ""
    country: str = ""
    address: str = ""  # wallet address for wallet checks
    lei: str = ""  # for company registry lookups
    email: str = ""
    external_user_id: str = ""  # the caller's stable id for identity providers (subject_ref by default)
    # Every other name the subject goes by (other, former, trading names): each is screened like `name`.
    aliases: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Subject:
        known: dict[str, Any] = {
            k: str(v or "") for k, v in data.items() if k in cls.__dataclass_fields__ and k != "aliases"
        }
        aliases = data.get("aliases") or ()
        known["aliases"] = tuple(str(a) for a in aliases if str(a).strip()) if isinstance(aliases, list | tuple) else ()
        return cls(**known)

    @property
    def all_names(self) -> tuple[str, ...]:
        """The name, then each alias once."""
        seen: list[str] = []
        for name in (self.name, *self.aliases):
            if name.strip() and name not in seen:
                seen.append(name)
        return tuple(seen)


@dataclass(frozen=True)
class HitData:
    list_name: str
    entity_id: str
    matched_name: str
    score: float
    explanation: str
    entity_fingerprint: str = ""
    is_history: bool = False
    category: str = "sanction"  # sanction, pep or rca: how the hit is adjudicated
    query_name: str = ""  # which of the subject's names matched (legal, other, former, trading)


@dataclass
class CheckResult:
    outcome: str
    hits: list[HitData] = field(default_factory=list)
    raw_payload: dict[str, Any] = field(default_factory=dict)
    external_id: str = ""
    final: bool = True  # False when the vendor answers later (webhook), e.g. identity verification


class Provider(Protocol):
    name: ClassVar[str]
    kinds: ClassVar[frozenset[str]]

    def run(self, *, kind: str, subject: Subject, subject_ref: str) -> CheckResult: ...


def outcome_for_score(score: float, *, match_at: float, review_at: float) -> str:
    """Maps a best hit score to an outcome: at or above `match_at` a match, above `review_at` a possible match."""
    if score >= match_at:
        return Outcome.MATCH
    if score >= review_at:
        return Outcome.POSSIBLE_MATCH
    return Outcome.CLEAR


_PROVIDER_MODULES: dict[str, str] = {
    "embedded": "screening.providers.embedded.EmbeddedProvider",
    "sumsub": "screening.providers.sumsub.SumsubProvider",
    "chainalysis": "screening.providers.chainalysis.ChainalysisProvider",
    "yente": "screening.providers.yente.YenteProvider",
    "gleif": "screening.providers.gleif.GleifProvider",
}


def provider_name_for(kind: str) -> str:
    configured: dict[str, str] = settings.SCREENING_PROVIDERS
    name = configured.get(kind, "")
    if not name:
        raise ProviderNotConfigured(
            f"No provider for {kind} checks: set SCREENING_PROVIDER_{kind.upper()} "
            f"(one of {', '.join(sorted(_PROVIDER_MODULES))})."
        )
    return name


def get_provider(name: str) -> Provider:
    dotted = _PROVIDER_MODULES.get(name)
    if dotted is None:
        raise ProviderNotConfigured(
            f"Unknown screening provider {name!r}; known: {', '.join(sorted(_PROVIDER_MODULES))}."
        )
    module_name, class_name = dotted.rsplit(".", 1)
    provider_class = getattr(importlib.import_module(module_name), class_name)
    provider: Provider = provider_class.from_settings()
    return provider


def provider_for(kind: str) -> Provider:
    if kind not in CheckKind.values:
        raise ValueError(f"Unknown check kind {kind!r}; accepted: {', '.join(CheckKind.values)}.")
    provider = get_provider(provider_name_for(kind))
    if kind not in provider.kinds:
        raise ProviderNotConfigured(f"Provider {provider.name} does not do {kind} checks.")
    return provider
