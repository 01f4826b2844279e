"""Transparent risk scoring: points per factor from a versioned rule set, summed, mapped to a level.

Every factor's contribution is kept with its explanation (shown on the case), and the rule-set version is
stored with the assessment and with the decision made on it.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.permissions import user_has_capability
from accounts.roles import Capability
from core.audit import audit_record
from core.exceptions import ApplicationError
from kyc.countries import COUNTRY_CODES
from kyc.models import COMPANY_SUBJECT_TYPES, RISK_ORDER, Application, CountryRisk, Person, RiskLevel, RiskRuleSet

FATF_CSV = Path(__file__).resolve().parent / "data" / "fatf_jurisdictions_2026.csv"

# Version 1, created when no rule set exists yet. Points are additive; thresholds are lower bounds.
DEFAULT_RULES: dict[str, Any] = {
    "country": {
        "call_for_action_countermeasures": 100,
        "call_for_action_enhanced_due_diligence": 40,
        "increased_monitoring": 20,
    },
    "pep": {"pep": 30, "relative": 15},
    "screening": {"open_hit": 25, "confirmed_hit": 100, "wallet_hit": 50},
    "entity_type": {"trust": 15, "fund": 10, "partnership": 5, "other": 10},
    "indirect_ownership": 10,
    "regulated": -10,
    "volume_eth": [[10000, 20], [1000, 10]],
    "levels": {"prohibited": 100, "high": 40, "medium": 15},
}


@dataclass(frozen=True)
class Factor:
    factor: str
    points: int
    explanation: str


@dataclass(frozen=True)
class Assessment:
    score: int
    level: str
    version: int
    factors: list[Factor]


def current_rules() -> RiskRuleSet:
    rules = RiskRuleSet.objects.order_by("-version").first()
    if rules is None:
        rules, _ = RiskRuleSet.objects.get_or_create(
            version=1, defaults={"rules": DEFAULT_RULES, "note": "Default rules shipped with the portal."}
        )
    return rules


def _invalid(path: str, message: str) -> ApplicationError:
    return ApplicationError(f"rules.{path}: {message}", code="invalid_rules")


def _whole(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(path, f"must be a whole number of points, not {value!r}.")
    return value


def _validate_rules(rules: Any) -> None:
    """Every problem names the key that is wrong, so a staff member editing the JSON can fix it."""
    if not isinstance(rules, dict):
        raise ApplicationError("rules: must be a JSON object like the current rule set.", code="invalid_rules")
    missing = [k for k in DEFAULT_RULES if k not in rules]
    if missing:
        raise ApplicationError(f"rules: missing {', '.join(missing)}.", code="invalid_rules")
    unknown = sorted(set(rules) - set(DEFAULT_RULES))
    if unknown:
        raise ApplicationError(f"rules: unknown key(s) {', '.join(unknown)}.", code="invalid_rules")
    for section in ("country", "pep", "screening", "entity_type", "levels"):
        if not isinstance(rules[section], dict):
            raise _invalid(section, "must be an object of name: points.")
        expected = set(DEFAULT_RULES[section]) if section in ("country", "screening", "levels") else None
        if expected is not None and set(rules[section]) != expected:
            raise _invalid(section, f"must have exactly the keys {', '.join(sorted(expected))}.")
        for key, value in rules[section].items():
            _whole(value, f"{section}.{key}")
    _whole(rules["indirect_ownership"], "indirect_ownership")
    _whole(rules["regulated"], "regulated")
    bands = rules["volume_eth"]
    if not isinstance(bands, list) or not all(isinstance(b, list) and len(b) == 2 for b in bands):
        raise _invalid("volume_eth", "must be a list of [threshold in ETH, points] pairs, largest threshold first.")
    thresholds = [_whole(t, f"volume_eth[{i}][0]") for i, (t, _p) in enumerate(bands)]
    for i, (_t, points) in enumerate(bands):
        _whole(points, f"volume_eth[{i}][1]")
    if thresholds != sorted(thresholds, reverse=True):
        raise _invalid("volume_eth", "list the largest threshold first (the first band reached applies).")
    levels = rules["levels"]
    if not (int(levels["prohibited"]) > int(levels["high"]) > int(levels["medium"])):
        raise ApplicationError(
            "rules.levels: thresholds must rise from medium to high to prohibited.", code="invalid_rules"
        )


def _require_risk_manager(by: User | None) -> None:
    """Rule sets and country listings change how every case is scored: senior officers only. `None` is the
    system (the shipped FATF loader)."""
    if by is not None and not user_has_capability(by, Capability.CASE_APPROVE):
        raise ApplicationError("You do not have the role needed to change risk rules or lists.", code="forbidden")


@transaction.atomic
def risk_rules_publish(*, rules: dict[str, Any], by: User, note: str) -> RiskRuleSet:
    """A new version of the rule set; earlier versions stay as they were (decisions refer to them)."""
    _require_risk_manager(by)
    _validate_rules(rules)
    note = note.strip()
    if not note:
        raise ApplicationError("note: say what changed and why.", code="invalid_note")
    latest = RiskRuleSet.objects.select_for_update().order_by("-version").first()
    created = RiskRuleSet.objects.create(
        version=(latest.version + 1) if latest else 1, rules=rules, note=note, created_by=by
    )
    audit_record(actor=by, action="risk_rules.published", target=created, data={"version": created.version})
    return created


def countries_in_force(countries: set[str], on: dt.date) -> dict[str, str]:
    rows = CountryRisk.objects.filter(country__in=countries, effective_from__lte=on).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gt=on)
    )
    return {row.country: row.fatf_status for row in rows}


def _countries(application: Application, people: list[Person]) -> set[str]:
    found: set[str] = set()
    if application.subject_type in COMPANY_SUBJECT_TYPES and hasattr(application, "company"):
        found.add(application.company.jurisdiction)
    for person in people:
        found.add(person.country_of_residence)
        found.update(person.nationalities or [])
    return {c for c in found if c}


def assess(
    application: Application,
    rules_set: RiskRuleSet,
    *,
    open_hits: int = 0,
    confirmed_hits: int = 0,
    wallet_hits: int = 0,
    pep_hits: Sequence[tuple[str, str]] = (),
    on: dt.date | None = None,
) -> Assessment:
    """Score the application; the screening counts come from the case's screening results. `pep_hits` are the
    PEP hits a reviewer confirmed, as (category, description): each adds the PEP points of the rule set
    (`pep.pep`, or `pep.relative` for a relative or close associate) and the case is at least high risk, the level
    that needs enhanced due diligence and an approver's second approval."""
    rules = rules_set.rules
    people = list(application.people.all())
    factors: list[Factor] = []
    listed = countries_in_force(_countries(application, people), on or timezone.localdate())
    for country, status in sorted(listed.items()):
        factors.append(Factor("country", int(rules["country"][status]), f"{country} is on the FATF list: {status}"))
    for person in people:
        points = int(rules["pep"].get(person.pep_status, 0))
        if points:
            factors.append(Factor("pep", points, f"{person.legal_name}: {person.get_pep_status_display()}"))
        if person.ownership_indirect:
            factors.append(
                Factor(
                    "ownership_depth",
                    int(rules["indirect_ownership"]),
                    f"{person.legal_name} owns indirectly ({person.ownership_chain or 'chain not stated'})",
                )
            )
    for category, description in pep_hits:
        key = "relative" if category == "rca" else "pep"
        factors.append(Factor("pep_screening", int(rules["pep"].get(key, 0)), f"confirmed by screening: {description}"))
    screening = rules["screening"]
    for key, count, label in (
        ("open_hit", open_hits, "open screening hit(s)"),
        ("confirmed_hit", confirmed_hits, "confirmed screening match(es)"),
        ("wallet_hit", wallet_hits, "wallet screening hit(s)"),
    ):
        if count:
            factors.append(Factor(key, int(screening[key]) * count, f"{count} {label}"))
    company = getattr(application, "company", None) if application.subject_type in COMPANY_SUBJECT_TYPES else None
    if company is not None:
        points = int(rules["entity_type"].get(company.entity_type, 0))
        if points:
            factors.append(Factor("entity_type", points, f"entity type: {company.get_entity_type_display()}"))
        if company.is_regulated:
            factors.append(Factor("regulated", int(rules["regulated"]), f"regulated by {company.regulator}"))
    volume = application.expected_volume_eth or Decimal(0)
    for threshold, points in rules["volume_eth"]:
        if volume >= Decimal(threshold):
            factors.append(Factor("volume", int(points), f"expected volume {volume} ETH >= {threshold} ETH"))
            break
    score = sum(f.points for f in factors)
    levels = rules["levels"]
    if score >= int(levels["prohibited"]):
        level = RiskLevel.PROHIBITED
    elif score >= int(levels["high"]):
        level = RiskLevel.HIGH
    elif score >= int(levels["medium"]):
        level = RiskLevel.MEDIUM
    else:
        level = RiskLevel.LOW
    if pep_hits and level in (RiskLevel.LOW, RiskLevel.MEDIUM):
        # A politically exposed customer is enhanced due diligence whatever the points say.
        level = RiskLevel.HIGH
    return Assessment(score=score, level=str(level), version=rules_set.version, factors=factors)


@transaction.atomic
def application_risk_assess(
    *,
    application: Application,
    by: User | None,
    open_hits: int = 0,
    confirmed_hits: int = 0,
    wallet_hits: int = 0,
    pep_hits: Sequence[tuple[str, str]] = (),
) -> Assessment:
    """Score the case under the current rules and store score, level, version and factors on it."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    result = assess(
        application,
        current_rules(),
        open_hits=open_hits,
        confirmed_hits=confirmed_hits,
        wallet_hits=wallet_hits,
        pep_hits=pep_hits,
    )
    before = {"risk_score": application.risk_score, "risk_level": application.risk_level}
    application.risk_score = result.score
    application.risk_level_computed = result.level
    # A level an officer already raised the case to (waiting for its second approval) stays; anything lower,
    # an override included, gives way to the new computed level.
    kept = application.risk_level if application.status == Application.Status.PENDING_SECOND_APPROVAL else ""
    application.risk_level = (
        kept if kept and RISK_ORDER[RiskLevel(kept)] > RISK_ORDER[RiskLevel(result.level)] else result.level
    )
    application.risk_rules_version = result.version
    application.risk_factors = [asdict(f) for f in result.factors]
    application.save(
        update_fields=[
            "risk_score",
            "risk_level",
            "risk_level_computed",
            "risk_rules_version",
            "risk_factors",
            "updated_at",
        ]
    )
    audit_record(
        actor=by,
        action="application.risk_assessed",
        target=application,
        before=before,
        after={
            "risk_score": result.score,
            "risk_level": application.risk_level,
            "computed": result.level,
            "version": result.version,
        },
    )
    return result


@transaction.atomic
def country_risk_set(
    *, country: str, fatf_status: str | None, effective_from: dt.date, source: str, by: User | None
) -> CountryRisk | None:
    """Change a country's listing from a date: the listing in force is closed the day before; a None status
    means the country leaves the lists."""
    _require_risk_manager(by)
    country = country.upper().strip()
    if len(country) != 2 or not country.isalpha():
        raise ApplicationError("country: give an ISO 3166-1 alpha-2 code such as IR.", code="invalid_country")
    if country not in COUNTRY_CODES:
        raise ApplicationError(f"country: {country} is not an ISO 3166-1 alpha-2 code.", code="invalid_country")
    if not source.strip():
        raise ApplicationError("source: name the FATF publication or plenary.", code="invalid_source")
    if fatf_status is not None and fatf_status not in CountryRisk.FatfStatus.values:
        raise ApplicationError(
            f"fatf_status: choose one of {', '.join(CountryRisk.FatfStatus.values)}.", code="invalid_status"
        )
    current = (
        CountryRisk.objects.select_for_update()
        .filter(country=country, effective_from__lt=effective_from)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=effective_from))
        .first()
    )
    if current is not None:
        current.effective_to = effective_from
        current.save(update_fields=["effective_to"])
    # A change dated before a later listing already recorded lasts until that listing takes over.
    later = (
        CountryRisk.objects.filter(country=country, effective_from__gt=effective_from)
        .order_by("effective_from")
        .first()
    )
    created = None
    if fatf_status is not None:
        created, _ = CountryRisk.objects.update_or_create(
            country=country,
            effective_from=effective_from,
            defaults={
                "fatf_status": fatf_status,
                "source": source.strip(),
                "effective_to": later.effective_from if later else None,
            },
        )
    else:
        CountryRisk.objects.filter(country=country, effective_from=effective_from).delete()
    audit_record(
        actor=by,
        action="country_risk.set",
        data={"country": country, "fatf_status": fatf_status, "effective_from": effective_from.isoformat()},
    )
    return created


def fatf_lists_load(*, path: Path = FATF_CSV, by: User | None = None) -> int:
    """Load the shipped FATF lists (each plenary in date order); idempotent."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    count = 0
    for as_of in sorted({r["as_of"] for r in rows}):
        plenary = [r for r in rows if r["as_of"] == as_of]
        day = dt.date.fromisoformat(as_of)
        # A "removed_from_..." row records a delisting at this plenary: the country is no longer listed.
        listed = {r["iso3166_alpha2"]: r for r in plenary if r["fatf_status"] in CountryRisk.FatfStatus.values}
        in_force = countries_in_force(set(CountryRisk.objects.values_list("country", flat=True)), day)
        for country in sorted(set(in_force) - set(listed)):
            country_risk_set(country=country, fatf_status=None, effective_from=day, source=plenary[0]["plenary"], by=by)
        for country, row in sorted(listed.items()):
            if in_force.get(country) != row["fatf_status"]:
                country_risk_set(
                    country=country, fatf_status=row["fatf_status"], effective_from=day, source=row["plenary"], by=by
                )
                count += 1
    return count
