"""Names are normalised once, at input, and every name a customer gives is screened.

Each name field refuses invisible characters (the issue's "\u202eegedaB cirE\u202c": Eric Badege, UN CDi.001,
written reversed behind a RIGHT-TO-LEFT OVERRIDE) with a message naming the character, in the browser and over
the API, and stores the NFKC form; a listed director's other name and a listed company trading name produce hits
(real entries of the shipped OFAC excerpt); a name added on resubmission is screened before review; a confirmed
PEP hit makes the case high risk (enhanced due diligence, an approver's second approval), not prohibited."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import organisation_create
from core.exceptions import ApplicationError
from core.names import InvalidName, name_clean, name_from_source
from kyc import review, screening_flow, services
from kyc.models import Application, Person
from kyc.tests import test_screening_flow as flow_tests
from kyc.tests.factories import complete_company, person_data
from kyc.tests.test_views import PERSON_POST, _step
from screening import selectors
from screening.models import Check, Hit
from screening.services import list_import
from screening.tests.conftest import FIXTURES

S = Application.Status
# The screening flow's fixtures (lists imported, Celery eager) and its submit helper, reused.
eager, lists, submit = flow_tests.eager, flow_tests.lists, flow_tests.submit
REVERSED = "\u202eegedaB cirE\u202c"
API = "/api/v1/applications/"


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    selectors._index_cache.clear()
    yield
    selectors._index_cache.clear()


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# The normaliser ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        (REVERSED, "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Eric\u200bBadege", "U+200B ZERO WIDTH SPACE"),
        ("Eric\u2066 Badege", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("Eric Badege\U000e0041", "U+E0041 TAG LATIN CAPITAL LETTER A"),
        ("Eric\u00adBadege", "U+00AD SOFT HYPHEN"),
        ("Eric\x07 Badege", "U+0007 CONTROL CHARACTER"),
        ("Eric\u3164Badege", "U+3164 HANGUL FILLER"),
        ("Eric Badege\ufe0f", "U+FE0F VARIATION SELECTOR-16"),
    ],
)
def test_a_typed_name_with_an_invisible_character_is_refused_naming_it(typed: str, named: str) -> None:
    with pytest.raises(InvalidName, match=re.escape(named)):
        name_clean(typed)


def test_a_name_is_stored_in_its_nfkc_form_and_a_source_name_is_stripped_not_refused() -> None:
    assert name_clean("\uff25\uff52\uff49\uff43  Bade\u0301ge ") == "Eric Badége"
    assert name_from_source(REVERSED) == "egedaB cirE"
    assert name_from_source("Eric\u200b Badege\u00a0Jr") == "Eric Badege Jr"


# Every name field, in the browser ---------------------------------------------------------------------------------


def _browser(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("field", ["legal_name", "other_names", "former_names"])
def test_the_profile_form_refuses_an_invisible_character_in_each_name_field(db: Any, field: str) -> None:
    from accounts.tests.factories import UserFactory

    user = UserFactory(full_name="Eve Applicant")
    app = services.application_create(by=user, subject_type="individual", operator_category="")
    response = _browser(user).post(_step(app, "profile"), {**PERSON_POST, field: REVERSED})
    assert response.status_code == 200
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in str(response.context["form"].errors[field])
    assert not app.people.filter(legal_name__contains="egedaB").exists()


def test_the_profile_form_stores_the_normalised_names(db: Any) -> None:
    from accounts.tests.factories import UserFactory

    user = UserFactory(full_name="Eve Applicant")
    app = services.application_create(by=user, subject_type="individual", operator_category="")
    data = {**PERSON_POST, "legal_name": "\uff25ric  Badege", "former_names": "Eric\u00a0Old, Eric Old"}
    assert _browser(user).post(_step(app, "profile"), data).status_code == 302
    person = app.people.get()
    assert (person.legal_name, person.former_names) == ("Eric Badege", ["Eric Old"])


@pytest.mark.parametrize("field", ["legal_name", "trading_names", "former_names"])
def test_the_company_form_refuses_an_invisible_character_in_each_name_field(alice: Any, field: str) -> None:
    app = services.application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
    response = _browser(alice).post(_step(app, "company"), {"legal_name": "Acme", field: "Acme\u200bTrading"})
    assert "U+200B ZERO WIDTH SPACE" in str(response.context["form"].errors[field])


def test_the_person_form_of_a_director_refuses_a_reversed_name(alice: Any) -> None:
    app = services.application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
    add = reverse("kyc:person_add", kwargs={"public_id": app.public_id})
    data = {**PERSON_POST, "other_names": f"Jane, {REVERSED}", "position": "CEO", "role": "director"}
    response = _browser(alice).post(add + "?role=director", data)
    assert "Name 2 of the list contains the invisible character U+202E" in str(response.context["form"].errors)
    assert not app.people.exists()


# Every name field, over the API -----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["legal_name", "other_names", "former_names"])
def test_the_api_refuses_an_invisible_character_in_each_person_name_field(alice: Any, field: str) -> None:
    client = _api(alice)
    app_id = client.post(API, {"subject_type": "individual"}, format="json").data["id"]
    body = {"legal_name": "Eric Badege", field: [REVERSED] if field != "legal_name" else REVERSED}
    response = client.put(f"{API}{app_id}/profile/", body, format="json")
    assert response.status_code == 400
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in json.dumps(response.data)
    people = client.post(f"{API}{app_id}/people/", {**body, "role": "director"}, format="json")
    assert people.status_code in (400, 404) and not Person.objects.filter(application__public_id=app_id).exists()


@pytest.mark.parametrize("field", ["legal_name", "trading_names", "former_names"])
def test_the_api_refuses_an_invisible_character_in_each_company_name_field(alice: Any, field: str) -> None:
    client = _api(alice)
    org = alice.organisations.get()
    created = client.post(API, {"subject_type": "institution", "organisation": str(org.public_id)}, format="json")
    app_id = created.data["id"]
    value: Any = "Acme\u2067Capital" if field == "legal_name" else ["Acme\u2067Capital"]
    response = client.patch(f"{API}{app_id}/company/", {field: value}, format="json")
    assert response.status_code == 400 and "U+2067 RIGHT-TO-LEFT ISOLATE" in json.dumps(response.data)
    ok = client.patch(f"{API}{app_id}/company/", {"former_names": ["\uff21cme Old", "Acme Old"]}, format="json")
    assert ok.status_code == 200 and ok.data["former_names"] == ["Acme Old"]


def test_operator_names_are_refused_with_an_invisible_character_in_the_form_and_the_api(alice: Any) -> None:
    from operators.tests.test_onboarding import PROFILE as FORM_PROFILE
    from operators.tests.test_onboarding_api import PROFILE as API_PROFILE

    org = alice.organisations.get()
    page = _browser(alice).post(
        reverse("operators_create"), FORM_PROFILE | {"owner": str(org.public_id), "name": "Acme\u200dNodes"}
    )
    assert "U+200D ZERO WIDTH JOINER" in str(page.context["form"].errors["name"])
    response = _api(alice).post(
        "/api/v1/operators/", API_PROFILE | {"organisation": str(org.public_id), "name": REVERSED}, format="json"
    )
    assert response.status_code == 400 and "U+202E RIGHT-TO-LEFT OVERRIDE" in json.dumps(response.data)


def test_an_organisation_name_with_an_invisible_character_is_refused(db: Any) -> None:
    from accounts.tests.factories import UserFactory

    with pytest.raises(ApplicationError, match=re.escape("U+202E RIGHT-TO-LEFT OVERRIDE")):
        organisation_create(name=REVERSED, kind="institution", owner=UserFactory())
    assert (
        organisation_create(name="\uff21cme  Capital", kind="institution", owner=UserFactory()).name == "Acme Capital"
    )


def test_a_list_import_strips_invisible_characters_so_the_reversed_name_is_not_hidden(db: Any, tmp_path: Any) -> None:
    listed = tmp_path / "list.csv"
    listed.write_text(f"entity_id,name,aliases\nX:1,Eric\u200b Badege,{REVERSED}\n")
    version = list_import(source="csv", files={"file": listed}, monitor=False).version
    entity = version.entities.get()
    assert (entity.name, entity.aliases) == ("Eric Badege", ["egedaB cirE"])


# Every name is screened -------------------------------------------------------------------------------------------


def _hits(app: Application, ref: str) -> list[Hit]:
    return list(Hit.objects.filter(check_run__subject_ref=ref, suppressed=False).order_by("-score"))


def test_a_listed_directors_other_name_and_a_listed_trading_name_produce_hits(
    alice: Any,
    wallet_key: Any,
    lists: None,
    eager: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    app = complete_company(alice, wallet_key)
    services.company_profile_update(application=app, by=alice, data={"trading_names": ["Acme", "Sberbank Rossii"]})
    director = app.people.get(role=Person.Role.DIRECTOR)
    # The listed man himself (born 22 March 1982) hiding behind an innocuous legal name.
    services.person_update(
        person=director,
        by=alice,
        data={
            "other_names": ["Kirill Shamalov"],
            "former_names": ["Jane Old"],
            "date_of_birth": dt.date(1982, 3, 22),
            "nationalities": ["RU"],
        },
    )
    app = submit(app, alice, django_capture_on_commit_callbacks)
    assert app.status == S.READY_FOR_REVIEW
    # OFAC:24184 is "SHAMALOV, Kirill Nikolaevich"; OFAC:17018 is listed with the alias "SBERBANK ROSSII".
    director_hits = _hits(app, f"kyc.person:{director.public_id}")
    assert [(h.entity_id, h.query_name, h.category) for h in director_hits][:1] == [
        ("OFAC:24184", "Kirill Shamalov", "sanction")
    ]
    company_hits = _hits(app, f"kyc.application:{app.public_id}")
    assert ("OFAC:17018", "Sberbank Rossii") in [(h.entity_id, h.query_name) for h in company_hits]
    check = Check.objects.get(subject_ref=f"kyc.person:{director.public_id}", kind="name")
    assert check.subject["aliases"] == ["Kirill Shamalov", "Jane Old"]


def test_a_name_added_on_resubmission_is_screened_before_review(
    alice: Any,
    wallet_key: Any,
    reviewer: Any,
    lists: None,
    eager: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    app = submit(complete_company(alice, wallet_key), alice, django_capture_on_commit_callbacks)
    review.case_claim(application=app, by=reviewer)
    review.case_request_information(application=app, by=reviewer, items=["people"], message="Former names?")
    uma = app.people.get(legal_name="Uma Owner")
    services.person_update(
        person=uma, by=alice, data={"former_names": ["Yurii Shamalov"], "date_of_birth": dt.date(1970, 6, 10)}
    )
    with django_capture_on_commit_callbacks(execute=True):
        review.case_resubmit(application=app, by=alice)
    app.refresh_from_db()
    assert app.status == S.READY_FOR_REVIEW
    assert list(app.transitions.values_list("to_status", flat=True))[-3:] == [
        S.RESUBMITTED,
        S.SCREENING,
        S.READY_FOR_REVIEW,
    ]
    assert "OFAC:36936" in [h.entity_id for h in _hits(app, f"kyc.person:{uma.public_id}")]
    assert any("open screening hit" in f["explanation"] for f in app.risk_factors)


def test_colleagues_and_node_operators_are_screened_under_their_names(
    alice: Any,
    wallet_key: Any,
    lists: None,
    eager: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from operators.tests.factories import OperatorFactory

    alice.full_name = "Kirill Shamalov"
    alice.save(update_fields=["full_name"])
    app = complete_company(alice, wallet_key)
    operator = OperatorFactory(organisation=alice.organisations.get(), name="Lazarus Group", kyc_application=app)
    app = submit(app, alice, django_capture_on_commit_callbacks)
    colleague = _hits(app, f"kyc.colleague:{app.public_id}:{alice.public_id}")
    assert colleague and colleague[0].entity_id == "OFAC:24184"
    assert [h.entity_id for h in _hits(app, f"kyc.operator:{operator.public_id}")][:1] == ["OFAC:27307"]
    labels = {c.subject_label for c in screening_flow.case_checks(app)}
    assert {"Kirill Shamalov (colleague acting for the customer)", "Lazarus Group (node operator)"} <= labels
    # The queue's "open hits" filter finds the case by those hits alone.
    from kyc.queue import open_hits_q

    Hit.objects.exclude(check_run__subject_ref__startswith="kyc.colleague:").update(suppressed=True)
    assert list(Application.objects.filter(open_hits_q()).values_list("pk", flat=True)) == [app.pk]
    Hit.objects.update(suppressed=True)
    Hit.objects.filter(check_run__subject_ref__startswith="kyc.operator:").update(suppressed=False)
    assert list(Application.objects.filter(open_hits_q()).values_list("pk", flat=True)) == [app.pk]
    Hit.objects.update(suppressed=True)
    assert not Application.objects.filter(open_hits_q()).exists()


# PEP hits ---------------------------------------------------------------------------------------------------------


def test_a_confirmed_pep_hit_makes_the_case_high_risk_for_the_approver_not_a_sanctions_match(
    alice: Any,
    wallet_key: Any,
    reviewer: Any,
    lists: None,
    eager: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    list_import(source="os-pep", files={"file": FIXTURES / "pep_synthetic_ftm.jsonl"}, monitor=False)
    app = complete_company(alice, wallet_key)
    director = app.people.get(role=Person.Role.DIRECTOR)
    services.person_update(person=director, by=alice, data=person_data(legal_name="Aurelio Vandermeer", position="CEO"))
    app = submit(app, alice, django_capture_on_commit_callbacks)
    hit = _hits(app, f"kyc.person:{director.public_id}")[0]
    assert (hit.entity_id, hit.category) == ("OS:syn-pep-minister", "pep")
    review.case_claim(application=app, by=reviewer)
    review.case_hit_adjudicate(
        application=app, by=reviewer, hit_id=hit.pk, ruling="true_match", rationale="Same person: the minister."
    )
    app.refresh_from_db()
    assert app.risk_level == "high" and review.approvals_required(app.risk_level) == 2
    factors = {f["factor"] for f in app.risk_factors}
    assert "pep_screening" in factors and "confirmed_hit" not in factors


def test_a_node_operator_registered_under_an_approved_case_is_screened_and_its_hit_alerts_officers(
    alice: Any, wallet_key: Any, reviewer: Any, lists: None, eager: None, django_capture_on_commit_callbacks: Any
) -> None:
    from kyc.models import Notification
    from operators.tests.factories import OperatorFactory

    app = submit(complete_company(alice, wallet_key), alice, django_capture_on_commit_callbacks)
    review.case_claim(application=app, by=reviewer)
    app = review.case_approve(application=app, by=reviewer, reason="screened clear", risk_level="low")
    assert app.status == S.APPROVED
    with django_capture_on_commit_callbacks(execute=True):
        operator = OperatorFactory(organisation=alice.organisations.get(), name="Lazarus Group", kyc_application=app)
    assert [h.entity_id for h in _hits(app, f"kyc.operator:{operator.public_id}")][:1] == ["OFAC:27307"]
    assert Notification.objects.filter(
        recipient=reviewer, application=app, title__contains="new screening hit"
    ).exists()
    # Saved again unchanged: nothing is screened twice.
    before = Check.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        operator.save()
    assert Check.objects.count() == before
