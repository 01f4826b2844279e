"""UBO completeness (issue 14, item 8): a company application lists its beneficial owners, or declares that no
natural person owns or controls 25 % or more and records its senior managing official, who is screened."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.exceptions import ApplicationError
from kyc import services
from kyc.models import Application, Person
from kyc.screening_flow import case_screening_plan
from kyc.selectors import application_submission_problems
from kyc.tests.factories import complete_company, person_data

pytestmark = pytest.mark.django_db


def _without_ubos(alice: Any, wallet_key: Any) -> Application:
    app = complete_company(alice, wallet_key)
    app.people.filter(role=Person.Role.UBO).delete()
    return Application.objects.get(pk=app.pk)


def _fields(app: Application) -> set[str]:
    return {p.field for p in application_submission_problems(app)}


def test_a_company_with_no_beneficial_owner_and_no_declaration_cannot_be_submitted(alice, wallet_key):
    app = _without_ubos(alice, wallet_key)
    assert "ubos" in _fields(app)
    with pytest.raises(ApplicationError, match="beneficial owner"):
        services.application_submit(application=app, by=alice)


def test_the_declaration_needs_the_senior_managing_official_who_is_then_screened(alice, wallet_key, settings):
    app = _without_ubos(alice, wallet_key)
    client = Client()
    client.force_login(alice)
    client.post(reverse("kyc:step", args=[app.public_id, "people"]), {"ubo_declaration": "1", "no_ubo_declared": "on"})
    app.refresh_from_db()
    assert app.company.no_ubo_declared is True
    assert _fields(app) & {"ubos", "senior_manager"} == {"senior_manager"}
    add = reverse("kyc:person_add", args=[app.public_id]) + "?role=senior_manager"
    form = {
        k: (", ".join(v) if isinstance(v, list) else v)
        for k, v in person_data(legal_name="Sam Senior", position="Chief executive").items()
    }
    assert client.post(add, {**form, "role": "senior_manager"}).status_code == 302
    assert not _fields(app) & {"ubos", "senior_manager"}
    settings.SCREENING_PROVIDERS = {**settings.SCREENING_PROVIDERS, "name": "builtin"}
    planned = [c.label for c in case_screening_plan(app) if c.kind == "name"]
    assert "Sam Senior (Senior managing official)" in planned
    summary = client.get(reverse("kyc:step", args=[app.public_id, "review"])).content.decode()
    assert "Senior managing official" in summary and "No natural person owns or controls 25 % or more" in summary


def test_declaring_none_while_owners_are_listed_is_refused_naming_the_field(client, alice, wallet_key):
    app = complete_company(alice, wallet_key)
    client.force_login(alice)
    response = client.patch(
        f"/api/v1/applications/{app.public_id}/company/", {"no_ubo_declared": True}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["field"] == "no_ubo_declared"
    app.refresh_from_db()
    assert app.company.no_ubo_declared is False


def test_the_api_declares_none_and_adds_the_senior_managing_official(client, alice, wallet_key):
    app = _without_ubos(alice, wallet_key)
    client.force_login(alice)
    response = client.patch(
        f"/api/v1/applications/{app.public_id}/company/", {"no_ubo_declared": True}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["no_ubo_declared"] is True
    body = {**person_data(legal_name="Sam Senior", position="CEO"), "role": "senior_manager"}
    body["date_of_birth"] = "1980-01-01"
    body["id_document_expiry"] = "2031-01-01"
    response = client.post(f"/api/v1/applications/{app.public_id}/people/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    app.refresh_from_db()
    assert not _fields(app) & {"ubos", "senior_manager"}
    with pytest.raises(ApplicationError, match="withdraw the declaration"):
        services.person_add(application=app, by=alice, role="ubo", data=person_data(ownership_percent=30))
