"""Registering an organisation (institution or node-operator company) in the browser, the API and as the first
step of a company's first application."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership, Organisation
from accounts.tests.factories import UserFactory
from core.models import AuditEvent
from kyc.models import Application
from kyc.tests.factories import REAL_LEI

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(db):
    """A new customer who just signed up: no organisation yet."""
    return UserFactory(email="dana@newfund.example", full_name="Dana Newcomer")


def test_a_new_customer_registers_an_institution_through_the_api_and_becomes_its_owner(client, dana):
    client.force_login(dana)
    response = client.post(
        "/api/v1/organisations/",
        {"name": "  New Fund SA ", "kind": "institution", "country": "pt", "lei": REAL_LEI.lower()},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "New Fund SA" and body["country"] == "PT" and body["lei"] == REAL_LEI
    assert body["my_role"] == "owner"
    organisation = Organisation.objects.get(public_id=body["id"])
    assert Membership.objects.get(organisation=organisation).user == dana
    assert AuditEvent.objects.filter(action="organisation.created", target_id=str(organisation.pk)).exists()
    assert [o["id"] for o in client.get("/api/v1/organisations/").json()] == [body["id"]]


def test_a_second_organisation_with_the_same_lei_is_refused_naming_the_field(client, dana):
    client.force_login(dana)
    first = {"name": "New Fund SA", "kind": "institution", "country": "PT", "lei": REAL_LEI}
    assert client.post("/api/v1/organisations/", first, content_type="application/json").status_code == 201
    other = UserFactory(email="eve@elsewhere.example")
    client.force_login(other)
    second = {**first, "name": "New Fund (again)"}
    response = client.post("/api/v1/organisations/", second, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "lei" and "already registered" in response.json()["detail"]
    assert Organisation.objects.count() == 1 and not other.memberships.exists()


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"country": "PO"}, "country", "not an ISO 3166-1"),
        ({"lei": "5493001KJTIIGC8Y1R13"}, "lei", "check digits"),
        ({"lei": "123"}, "lei", "20 characters"),
    ],
)
def test_an_organisation_with_a_bad_country_or_lei_is_refused_and_nothing_is_saved(client, dana, payload, field, words):
    client.force_login(dana)
    body = {"name": "New Fund SA", "kind": "institution", "country": "PT", **payload}
    response = client.post("/api/v1/organisations/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == field and words in response.json()["detail"]
    assert not Organisation.objects.exists()


def test_the_browser_form_registers_an_operator_company_and_returns_to_the_application(client, dana):
    client.force_login(dana)
    next_url = reverse("kyc:new") + "?type=operator_company"
    page = client.get(reverse("organisation_new") + "?kind=operator_company&next=" + next_url)
    assert page.status_code == 200 and "Register your organisation" in page.content.decode()
    assert '<option value="PT">Portugal</option>' in page.content.decode()
    response = client.post(
        reverse("organisation_new"),
        {"name": "Node Works Lda", "kind": "operator_company", "country": "PT", "lei": "", "next": next_url},
    )
    organisation = Organisation.objects.get()
    assert response.status_code == 302 and response["Location"].startswith(next_url)
    assert str(organisation.public_id) in response["Location"]
    assert organisation.kind == "operator_company" and organisation.country == "PT"


def test_the_browser_form_names_the_lei_field_when_the_lei_is_taken(client, dana, alice):
    acme = alice.organisations.get()
    acme.lei = REAL_LEI
    acme.save(update_fields=["lei"])
    client.force_login(dana)
    response = client.post(
        reverse("organisation_new"), {"name": "Acme again", "kind": "institution", "country": "GB", "lei": REAL_LEI}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "lei" in errors and "already registered" in errors["lei"][0]


def test_the_first_application_of_an_institution_registers_the_organisation_in_the_same_step(client, dana):
    client.force_login(dana)
    response = client.post(
        reverse("kyc:new"),
        {
            "subject_type": "institution",
            "organisation": "",
            "organisation_name": "New Fund SA",
            "organisation_country": "PT",
            "organisation_lei": REAL_LEI,
        },
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    application = Application.objects.get()
    assert application.organisation.name == "New Fund SA" and application.organisation.lei == REAL_LEI
    assert application.company.jurisdiction == "PT" and application.company.lei == REAL_LEI
    assert dana.memberships.get().role == "owner"


def test_a_company_application_without_an_organisation_says_what_to_fill_in(client, dana):
    client.force_login(dana)
    response = client.post(reverse("kyc:new"), {"subject_type": "institution", "organisation": ""})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "organisation_name" in errors and "organisation_country" in errors
    assert not Application.objects.exists() and not Organisation.objects.exists()


def test_a_refused_new_organisation_leaves_neither_organisation_nor_application(client, dana, alice):
    acme = alice.organisations.get()
    acme.lei = REAL_LEI
    acme.save(update_fields=["lei"])
    client.force_login(dana)
    response = client.post(
        reverse("kyc:new"),
        {
            "subject_type": "institution",
            "organisation_name": "Copycat",
            "organisation_country": "GB",
            "organisation_lei": REAL_LEI,
        },
    )
    assert response.status_code == 200
    assert "already registered" in response.context["form"].errors["organisation_lei"][0]
    assert not dana.memberships.exists() and not Application.objects.filter(applicant=dana).exists()


def test_a_member_of_two_organisations_picks_the_one_the_application_is_for(client, alice):
    second = Organisation.objects.create(name="Acme Ventures", kind="institution", country="IE")
    Membership.objects.create(user=alice, organisation=second, role="member")
    client.force_login(alice)
    page = client.get(reverse("kyc:new"))
    html = page.content.decode()
    assert "Acme Capital Ltd" in html and "Acme Ventures" in html
    response = client.post(reverse("kyc:new"), {"subject_type": "institution", "organisation": str(second.public_id)})
    assert response.status_code == 302
    assert Application.objects.get().organisation == second
