"""Staff pages for the risk settings: the FATF listings with effective dates and the versioned rule set."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.exceptions import ApplicationError
from core.models import AuditEvent
from kyc import risk
from kyc.models import CountryRisk, RiskRuleSet

RULES = "kyc:risk_rules"
COUNTRIES = "kyc:country_risk"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_approver_publishes_a_new_rule_version_and_earlier_versions_stay(approver: Any) -> None:
    client = _client(approver)
    page = client.get(reverse(RULES)).content.decode()
    assert "Publish version 2" in page
    rules = copy.deepcopy(risk.DEFAULT_RULES)
    rules["pep"]["pep"] = 45
    response = client.post(reverse(RULES), {"rules": json.dumps(rules), "note": "PEPs weigh more"}, follow=True)
    assert "Risk rules version 2 published" in response.content.decode()
    assert RiskRuleSet.objects.get(version=1).rules == risk.DEFAULT_RULES
    latest = RiskRuleSet.objects.get(version=2)
    assert (latest.rules["pep"]["pep"], latest.note, latest.created_by) == (45, "PEPs weigh more", approver)
    assert AuditEvent.objects.filter(action="risk_rules.published").count() == 1
    listing = client.get(reverse(RULES)).content.decode()
    assert "Version 2" in listing and "Version 1" in listing and "PEPs weigh more" in listing


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"country": ', "not valid JSON at line 1, column 13"),
        ("[1, 2]", "rules: must be a JSON object"),
        ('{"pep": {}}', "rules: missing country"),
        ("PEP_TEXT", "rules.pep.pep: must be a whole number"),
        ("VOLUME_TEXT", "rules.volume_eth: list the largest threshold first"),
        ("EXTRA_TEXT", "rules: unknown key(s) bonus"),
    ],
)
def test_a_broken_rule_set_is_refused_with_what_is_wrong_and_the_text_kept(
    approver: Any, text: str, message: str
) -> None:
    rules = copy.deepcopy(risk.DEFAULT_RULES)
    if text == "PEP_TEXT":
        rules["pep"]["pep"] = "thirty"
        text = json.dumps(rules)
    elif text == "VOLUME_TEXT":
        rules["volume_eth"] = [[1000, 10], [10000, 20]]
        text = json.dumps(rules)
    elif text == "EXTRA_TEXT":
        rules["bonus"] = 5
        text = json.dumps(rules)
    response = _client(approver).post(reverse(RULES), {"rules": text, "note": "try"})
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert "try" in body  # the note is kept for the next attempt
    assert RiskRuleSet.objects.filter(version__gt=1).count() == 0


def test_a_rule_set_without_a_note_is_refused(approver: Any) -> None:
    with pytest.raises(ApplicationError, match="note: say what changed"):
        risk.risk_rules_publish(rules=copy.deepcopy(risk.DEFAULT_RULES), by=approver, note=" ")


def test_reviewers_and_auditors_read_the_rules_but_cannot_change_them(reviewer: Any, auditor: Any) -> None:
    for user in (reviewer, auditor):
        client = _client(user)
        page = client.get(reverse(RULES)).content.decode()
        assert "Version 1" in page and "Publish version" not in page
        assert client.post(reverse(RULES), {"rules": "{}", "note": "x"}).status_code == 404
        assert "FATF country lists" in client.get(reverse(COUNTRIES)).content.decode()
        assert client.post(reverse(COUNTRIES), {"country": "FR"}).status_code == 404
    with pytest.raises(ApplicationError) as exc:
        risk.risk_rules_publish(rules=copy.deepcopy(risk.DEFAULT_RULES), by=reviewer, note="x")
    assert exc.value.code == "forbidden"
    with pytest.raises(ApplicationError) as exc:
        risk.country_risk_set(
            country="FR",
            fatf_status="increased_monitoring",
            effective_from=dt.date(2026, 1, 1),
            source="x",
            by=reviewer,
        )
    assert exc.value.code == "forbidden"


def test_applicants_outsiders_and_anonymous_visitors_cannot_reach_the_risk_pages(
    alice: Any, charlie: Any, client: Client
) -> None:
    for name in (RULES, COUNTRIES):
        assert client.get(reverse(name)).status_code == 302
        for user in (alice, charlie):
            assert _client(user).get(reverse(name)).status_code == 404
            assert _client(user).post(reverse(name), {}).status_code == 404


def test_an_approver_records_a_listing_from_a_date_and_the_previous_one_closes(approver: Any) -> None:
    risk.country_risk_set(
        country="VN",
        fatf_status="increased_monitoring",
        effective_from=dt.date(2025, 6, 13),
        source="June 2025",
        by=None,
    )
    client = _client(approver)
    response = client.post(
        reverse(COUNTRIES),
        {
            "country": "VN",
            "fatf_status": "call_for_action_enhanced_due_diligence",
            "effective_from": "2026-02-20",
            "source": "FATF plenary, February 2026",
        },
        follow=True,
    )
    assert "VN: listing recorded from 2026-02-20" in response.content.decode()
    old, new = CountryRisk.objects.filter(country="VN").order_by("effective_from")
    assert old.effective_to == dt.date(2026, 2, 20)
    assert (new.fatf_status, new.effective_to, new.source) == (
        "call_for_action_enhanced_due_diligence",
        None,
        "FATF plenary, February 2026",
    )
    assert risk.countries_in_force({"VN"}, dt.date(2026, 1, 1)) == {"VN": "increased_monitoring"}
    assert risk.countries_in_force({"VN"}, dt.date(2026, 3, 1)) == {"VN": "call_for_action_enhanced_due_diligence"}
    client.post(
        reverse(COUNTRIES),
        {"country": "VN", "fatf_status": "delisted", "effective_from": "2026-10-24", "source": "October 2026"},
    )
    assert risk.countries_in_force({"VN"}, dt.date(2026, 11, 1)) == {}
    page = client.get(reverse(COUNTRIES)).content.decode()
    assert "Viet" in page or "VN" in page
    assert "2026-10-24" in page


def test_a_change_dated_before_a_later_listing_ends_where_that_listing_starts(approver: Any) -> None:
    risk.country_risk_set(
        country="KE", fatf_status="increased_monitoring", effective_from=dt.date(2026, 6, 1), source="June", by=None
    )
    risk.country_risk_set(
        country="KE",
        fatf_status="call_for_action_enhanced_due_diligence",
        effective_from=dt.date(2026, 2, 1),
        source="February",
        by=approver,
    )
    earlier = CountryRisk.objects.get(country="KE", effective_from=dt.date(2026, 2, 1))
    assert earlier.effective_to == dt.date(2026, 6, 1)
    assert risk.countries_in_force({"KE"}, dt.date(2026, 7, 1)) == {"KE": "increased_monitoring"}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"country": "ZZ", "fatf_status": "increased_monitoring", "effective_from": "2026-01-01", "source": "x"},
            "ZZ is not an ISO 3166-1 alpha-2 code",
        ),
        (
            {"country": "FR", "fatf_status": "blacklist", "effective_from": "2026-01-01", "source": "x"},
            "fatf_status: choose a list",
        ),
        (
            {"country": "FR", "fatf_status": "increased_monitoring", "effective_from": "01/02/2026", "source": "x"},
            "effective_from: give the date the change takes effect as YYYY-MM-DD (01/02/2026 given)",
        ),
        (
            {"country": "FR", "fatf_status": "increased_monitoring", "effective_from": "2026-01-01", "source": " "},
            "source: name the FATF publication",
        ),
    ],
)
def test_a_bad_listing_is_refused_with_the_field_named_and_the_form_kept(
    approver: Any, form: dict[str, str], message: str
) -> None:
    response = _client(approver).post(reverse(COUNTRIES), form)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert f'value="{form["effective_from"]}"' in body
    assert not CountryRisk.objects.exists()
