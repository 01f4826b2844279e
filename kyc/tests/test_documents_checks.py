"""Documents that prove something: an expired identity document is refused, one expiring before the approval
would end and a file uploaded twice are flagged to the applicant and the reviewer, removal asks first."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kyc import services
from kyc.models import Application, Document, Person
from kyc.tests.factories import complete_individual, pdf, person_data

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: (", ".join(v) if isinstance(v, list) else v) for k, v in data.items()}
    return {k: ("" if v is None else v) for k, v in out.items()}


def test_an_identity_document_that_expired_in_2001_is_refused_in_the_form_and_the_api(alice):
    client = _client(alice)
    app = services.application_create(by=alice, subject_type="individual")
    url = reverse("kyc:step", args=[app.public_id, "profile"])
    response = client.post(url, _form(person_data(id_document_expiry="2001-05-31")))
    assert response.status_code == 200
    assert "expired on 31 May 2001" in response.context["form"].errors["id_document_expiry"][0]
    assert not app.people.exists()
    api = client.put(
        f"/api/v1/applications/{app.public_id}/profile/",
        {**person_data(id_document_expiry="2001-05-31"), "date_of_birth": "1984-03-14"},
        content_type="application/json",
    )
    assert api.status_code == 400 and api.json()["field"] == "id_document_expiry"
    assert not app.people.exists()


def test_a_director_with_an_expired_identity_document_is_refused(alice, wallet_key):
    app = services.application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
    with pytest.raises(Exception, match="expired on 1 January 2020"):
        services.person_add(
            application=app, by=alice, role="director", data=person_data(id_document_expiry=dt.date(2020, 1, 1))
        )
    assert not Person.objects.exists()


def test_an_identity_document_expiring_before_the_approval_would_end_is_flagged_to_the_reviewer(
    alice, wallet_key, reviewer
):
    app = complete_individual(alice, wallet_key)
    soon = timezone.localdate() + dt.timedelta(days=60)
    Person.objects.filter(application=app).update(id_document_expiry=soon)
    services.application_submit(application=app, by=alice)
    page = _client(reviewer).get(reverse("kyc:case", args=[app.public_id])).content.decode()
    assert 'data-flag="id_expiring"' in page and f"expires on {soon:%-d %B %Y}" in page


def test_the_same_file_uploaded_twice_is_flagged_to_the_applicant_and_the_reviewer(alice, wallet_key, reviewer):
    app = complete_individual(alice, wallet_key)
    client = _client(alice)
    url = reverse("kyc:step", args=[app.public_id, "documents"])
    response = client.post(url, {"kind": "other", "file": pdf("copy-of-bill.pdf")}, follow=True)
    html = response.content.decode()
    assert "This file is identical to the proof of address already uploaded (bill.pdf)" in html
    assert 'data-flag="duplicate_file"' in html and "was uploaded 2 times" in html
    services.application_submit(application=Application.objects.get(pk=app.pk), by=alice)
    page = _client(reviewer).get(reverse("kyc:case", args=[app.public_id])).content.decode()
    assert 'data-flag="duplicate_file"' in page


def test_the_documents_step_lists_the_required_documents_as_a_checklist(alice):
    app = services.application_create(by=alice, subject_type="individual")
    html = _client(alice).get(reverse("kyc:step", args=[app.public_id, "documents"])).content.decode()
    checklist = html.split('class="kyc-checklist"', 1)[1].split("</ul>", 1)[0]
    assert checklist.count("missing") == 2 and "Proof of address" in checklist


def test_removing_a_document_asks_for_confirmation_first(alice, wallet_key):
    app = complete_individual(alice, wallet_key)
    document = Document.objects.filter(application=app).first()
    client = _client(alice)
    steps = client.get(reverse("kyc:step", args=[app.public_id, "documents"])).content.decode()
    delete_url = reverse("kyc:document_delete", args=[app.public_id, document.public_id])
    assert f'href="{delete_url}"' in steps and "<script" not in steps.split("<main", 1)[1]
    confirm = client.get(delete_url)
    assert confirm.status_code == 200 and f"Remove {document.original_name}?" in confirm.content.decode()
    assert Document.objects.filter(pk=document.pk).exists()
    client.post(delete_url)
    assert not Document.objects.filter(pk=document.pk).exists()


def test_a_disabled_button_looks_disabled():
    from pathlib import Path

    from django.conf import settings

    css = (Path(settings.BASE_DIR) / "static/css/portal.css").read_text()
    assert "button:disabled" in css and "cursor: not-allowed" in css


def test_the_stepper_counts_what_is_missing_per_step_and_the_status_page_says_what_happens_next(alice, wallet_key):
    app = services.application_create(by=alice, subject_type="individual")
    html = _client(alice).get(reverse("kyc:step", args=[app.public_id, "details"])).content.decode()
    stepper = html.split('class="kyc-steps', 1)[1].split("</nav>", 1)[0]
    assert "2 to do" in stepper  # documents: identity document and proof of address
    done = complete_individual(alice, wallet_key)
    services.application_submit(application=done, by=alice)
    status = _client(alice).get(reverse("kyc:status", args=[done.public_id])).content.decode()
    assert "What happens next" in status
