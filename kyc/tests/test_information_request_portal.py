"""The reviewer's request for information in the portal: the officer's message and exactly the items to change
on the status page, the wizard and the API; "send back" only once something changed; both in the timeline."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kyc import review, services
from kyc.models import Application
from kyc.tests.factories import complete_company, pdf

S = Application.Status
MESSAGE = "Please upload a recent proof of address and correct the website of the company."


@pytest.fixture
def asked(alice: Any, wallet_key: Any, reviewer: Any) -> Application:
    app = complete_company(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None, reason="screening done")
    review.case_claim(application=app, by=reviewer)
    review.case_request_information(
        application=app, by=reviewer, items=["company", "documents:proof_of_address"], message=MESSAGE
    )
    app.refresh_from_db()
    return app


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_status_page_shows_the_officers_message_and_exactly_the_items_to_change(asked, alice):
    html = _client(alice).get(reverse("kyc:status", args=[asked.public_id])).content.decode()
    assert MESSAGE in html
    assert "Company details" in html and "Documents: Proof of address" in html
    assert "Directors, owners and signatories</a>" not in html.split("kyc-rfi-items", 1)[1].split("</ul>", 1)[0]
    # Nothing changed yet: the button is shown disabled with the reason, and no form posts it.
    rfi = html.split('class="card kyc-rfi"', 1)[1].split("</section>", 1)[0]
    assert "disabled" in rfi and "Available once you have changed" in rfi
    assert reverse("kyc:resubmit", args=[asked.public_id]) not in rfi


def test_the_wizard_shows_the_request_on_every_step(asked, alice):
    html = _client(alice).get(reverse("kyc:step", args=[asked.public_id, "company"])).content.decode()
    assert MESSAGE in html and "to change" in html


def test_sending_back_before_changing_anything_is_refused_with_the_items_named(asked, alice):
    response = _client(alice).post(reverse("kyc:resubmit", args=[asked.public_id]), follow=True)
    asked.refresh_from_db()
    assert asked.status == S.INFORMATION_REQUESTED
    assert "Nothing was changed yet" in response.content.decode()


def test_after_a_change_the_item_is_marked_and_the_send_back_works_and_the_timeline_shows_both(asked, alice):
    services.document_upload(application=asked, by=alice, kind="proof_of_address", upload=pdf("new-bill.pdf"))
    client = _client(alice)
    html = client.get(reverse("kyc:status", args=[asked.public_id])).content.decode()
    rfi = html.split('class="card kyc-rfi"', 1)[1].split("</section>", 1)[0]
    assert "changed" in rfi and reverse("kyc:resubmit", args=[asked.public_id]) in rfi
    response = client.post(reverse("kyc:resubmit", args=[asked.public_id]))
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.status == S.RESUBMITTED
    html = client.get(reverse("kyc:status", args=[asked.public_id])).content.decode()
    timeline = html.split("kyc-timeline", 1)[1]
    assert f"Information requested: “{MESSAGE}”" in timeline
    assert "Resubmitted (the requested changes were sent back)" in timeline
    assert timeline.index("Information requested") < timeline.index("Resubmitted")


def test_the_api_gives_the_request_and_what_changed(asked, alice):
    body = _client(alice).get(f"/api/v1/applications/{asked.public_id}/").json()
    request = body["information_request"]
    assert request["message"] == MESSAGE and request["has_changes"] is False
    assert [(i["key"], i["changed"]) for i in request["items"]] == [
        ("company", False),
        ("documents:proof_of_address", False),
    ]
