"""Risk scoring: each factor's contribution, the FATF lists with effective dates, versioned rules."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from core.exceptions import ApplicationError
from kyc import review, risk, services
from kyc.models import Application, CompanyProfile, CountryRisk, Person
from kyc.tests.factories import complete_company

S = Application.Status


@pytest.fixture
def app(alice: Any, wallet_key: Any) -> Application:
    application = complete_company(alice, wallet_key)
    # A plain, low-risk baseline: no listed country, no PEP, direct owners, small volume.
    Person.objects.filter(application=application).update(
        country_of_residence="GB", nationalities=["GB"], pep_status="not_pep", ownership_indirect=False
    )
    CompanyProfile.objects.filter(application=application).update(
        jurisdiction="GB", entity_type="limited_company", is_regulated=False
    )
    Application.objects.filter(pk=application.pk).update(expected_volume_eth=Decimal(10))
    application.refresh_from_db()
    return application


def _factors(result: risk.Assessment) -> dict[str, int]:
    return {f.factor: f.points for f in result.factors}


def test_a_plain_case_scores_zero_and_is_low(app: Application) -> None:
    result = risk.assess(app, risk.current_rules())
    assert (result.score, result.level, result.version, result.factors) == (0, "low", 1, [])


def test_a_grey_listed_owner_country_adds_its_points(app: Application) -> None:
    CountryRisk.objects.create(
        country="AO", fatf_status="increased_monitoring", effective_from=dt.date(2026, 2, 13), source="FATF"
    )
    Person.objects.filter(application=app, role="ubo").update(country_of_residence="AO")
    result = risk.assess(app, risk.current_rules(), on=dt.date(2026, 3, 1))
    assert _factors(result) == {"country": 20}
    assert "AO is on the FATF list" in result.factors[0].explanation
    assert result.level == "medium"
    # Before the listing took effect the country adds nothing.
    assert risk.assess(app, risk.current_rules(), on=dt.date(2026, 1, 1)).score == 0


def test_a_black_listed_country_makes_the_case_prohibited(app: Application) -> None:
    CountryRisk.objects.create(
        country="KP", fatf_status="call_for_action_countermeasures", effective_from=dt.date(2026, 2, 13), source="F"
    )
    CompanyProfile.objects.filter(application=app).update(jurisdiction="KP")
    app.refresh_from_db()
    assert risk.assess(app, risk.current_rules(), on=dt.date(2026, 3, 1)).level == "prohibited"


@pytest.mark.parametrize(
    ("change", "factor", "points"),
    [
        ({"pep_status": "pep"}, "pep", 30),
        ({"pep_status": "relative"}, "pep", 15),
        ({"ownership_indirect": True, "ownership_chain": "via Acme Holdings BV"}, "ownership_depth", 10),
    ],
)
def test_person_factors_add_their_points(app: Application, change: dict[str, Any], factor: str, points: int) -> None:
    person = app.people.filter(role="ubo").first()
    assert person is not None
    Person.objects.filter(pk=person.pk).update(**change)
    assert _factors(risk.assess(app, risk.current_rules())) == {factor: points}


@pytest.mark.parametrize(
    ("change", "factor", "points"),
    [({"entity_type": "trust"}, "entity_type", 15), ({"is_regulated": True, "regulator": "FCA"}, "regulated", -10)],
)
def test_company_factors_add_their_points(app: Application, change: dict[str, Any], factor: str, points: int) -> None:
    CompanyProfile.objects.filter(application=app).update(**change)
    app.refresh_from_db()
    assert _factors(risk.assess(app, risk.current_rules())) == {factor: points}


def test_volume_and_screening_hits_add_their_points(app: Application) -> None:
    Application.objects.filter(pk=app.pk).update(expected_volume_eth=Decimal(20000))
    app.refresh_from_db()
    result = risk.assess(app, risk.current_rules(), open_hits=2, confirmed_hits=0, wallet_hits=1)
    assert _factors(result) == {"volume": 20, "open_hit": 50, "wallet_hit": 50}
    assert result.level == "prohibited"


def test_a_new_rule_version_scores_new_assessments_and_the_decision_keeps_its_version(
    app: Application, alice: Any, reviewer: Any, approver: Any
) -> None:
    services.application_submit(application=app, by=alice)
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None)
    risk.application_risk_assess(application=app, by=reviewer, open_hits=1)
    app.refresh_from_db()
    assert (app.risk_score, app.risk_level, app.risk_rules_version) == (25, "medium", 1)
    assert app.risk_factors == [{"factor": "open_hit", "points": 25, "explanation": "1 open screening hit(s)"}]
    rules = copy.deepcopy(risk.DEFAULT_RULES)
    rules["screening"]["open_hit"] = 5
    assert risk.risk_rules_publish(rules=rules, by=approver, note="lighter").version == 2
    review.case_claim(application=app, by=reviewer)
    app.refresh_from_db()
    approved = review.case_approve(application=app, by=reviewer, reason="ok")
    assert approved.decisions.get().risk_rules_version == 1
    risk.application_risk_assess(application=app, by=reviewer, open_hits=1)
    app.refresh_from_db()
    assert (app.risk_score, app.risk_level, app.risk_rules_version) == (5, "low", 2)


def test_rules_with_thresholds_out_of_order_are_refused(approver: Any) -> None:
    rules = copy.deepcopy(risk.DEFAULT_RULES)
    rules["levels"] = {"prohibited": 10, "high": 40, "medium": 15}
    with pytest.raises(ApplicationError, match=r"rules\.levels"):
        risk.risk_rules_publish(rules=rules, by=approver, note="bad")


def test_the_shipped_fatf_lists_load_with_their_dates_and_a_delisting_closes_the_period(db: Any) -> None:
    assert risk.fatf_lists_load() > 0
    assert risk.countries_in_force({"KP", "IR"}, dt.date(2026, 3, 1)) == {
        "KP": "call_for_action_countermeasures",
        "IR": "call_for_action_countermeasures",
    }
    # Algeria left the grey list at the June 2026 plenary.
    assert risk.countries_in_force({"DZ"}, dt.date(2026, 3, 1)) == {"DZ": "increased_monitoring"}
    assert risk.countries_in_force({"DZ"}, dt.date(2026, 7, 1)) == {}
    again = risk.fatf_lists_load()
    assert again == 0  # idempotent
    risk.country_risk_set(country="ao", fatf_status=None, effective_from=dt.date(2026, 10, 1), source="staff", by=None)
    assert "AO" not in risk.countries_in_force({"AO"}, dt.date(2026, 10, 2))
    with pytest.raises(ApplicationError, match="country: give an ISO"):
        risk.country_risk_set(
            country="Angola", fatf_status=None, effective_from=dt.date(2026, 1, 1), source="x", by=None
        )
