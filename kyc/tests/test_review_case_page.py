"""The staff case page: everything submitted, documents previewed inline through the authorised view, screening
checks and rulings, the risk breakdown, internal notes, the timeline from the audit trail and the decision panel."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.exceptions import ApplicationError
from core.models import AuditEvent
from kyc import review, risk, services
from kyc.models import Application, CaseNote
from kyc.tests.factories import REAL_LEI, complete_company, complete_individual
from screening.models import Check

S = Application.Status


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def case(alice: Any, wallet_key: Any) -> Application:
    app = complete_company(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None, reason="screening done")
    app.refresh_from_db()
    return app


def _page(user: Any, case: Application) -> str:
    response = _client(user).get(reverse("kyc:case", args=[case.public_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_case_page_shows_everything_the_applicant_submitted(case: Application, reviewer: Any) -> None:
    page = _page(reviewer, case)
    wallet = case.wallets.get()
    for expected in (
        "Acme Capital Ltd",
        REAL_LEI,
        "04366849",
        "Client assets under management",
        "3200.00 ETH",
        "Uma Owner",
        "60.00 %",
        "Sig Natory",
        "Passport 123456789",
        "1 High Street",
        wallet.address,
        "proven",
        "Certificate of incorporation",
        "certificate_of_incorporation.pdf",
    ):
        assert expected in page, expected


def test_documents_are_previewed_inline_through_the_authorised_view(
    reviewer: Any, charlie: Any, wallet_key: Any, client: Client
) -> None:
    from accounts.tests.factories import UserFactory

    applicant = UserFactory()
    app = complete_individual(applicant, wallet_key)
    services.application_submit(application=app, by=applicant)
    page = _page(reviewer, app)
    photo = app.documents.get(kind="id_front")
    bill = app.documents.get(kind="proof_of_address")
    photo_url = reverse("kyc:document", args=[photo.public_id]) + "?inline=1"
    bill_url = reverse("kyc:document", args=[bill.public_id]) + "?inline=1"
    assert f'<img class="doc-preview-image" src="{photo_url}"' in page
    assert f'<iframe class="doc-preview-pdf" src="{bill_url}"' in page
    for url, content_type in ((photo_url, "image/png"), (bill_url, "application/pdf")):
        response = _client(reviewer).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"].startswith("inline")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert _client(charlie).get(url).status_code == 404
        assert client.get(url).status_code == 302  # anonymous: to the login page


def test_screening_checks_hits_and_the_risk_breakdown_are_on_the_page(case: Application, reviewer: Any) -> None:
    person = case.people.get(legal_name="Uma Owner")
    Check.objects.create(
        kind="name", provider="embedded", subject_ref=f"kyc.person:{person.public_id}", status="done", outcome="clear"
    )
    risk.application_risk_assess(application=case, by=None, open_hits=1)
    page = _page(reviewer, case)
    assert "Screening checks" in page
    assert "Uma Owner" in page.split("Screening checks", 1)[1]
    assert "Risk breakdown" in page
    assert "1 open screening hit(s)" in page
    assert "rules version 1" in page


def test_officers_add_internal_notes_that_are_audited_and_never_shown_to_the_applicant(
    case: Application, reviewer: Any, auditor: Any, alice: Any
) -> None:
    from rest_framework.test import APIClient

    url = reverse("kyc:case_action", args=[case.public_id, "note"])
    _client(reviewer).post(url, {"body": "Called the registry: the director list is current."})
    note = CaseNote.objects.get()
    assert (note.author, note.application) == (reviewer, case)
    event = AuditEvent.objects.get(action="case.note_added")
    assert event.data["body"] == "Called the registry: the director list is current."
    page = _page(reviewer, case)
    assert "Called the registry" in page and "Internal note added" in page
    # An empty note is refused with a reason; an auditor reads but cannot write.
    empty = _client(reviewer).post(url, {"body": "   "}, follow=True).content.decode()
    assert "note: write the note" in empty
    assert 'name="body"' not in _page(auditor, case)
    assert _client(auditor).post(url, {"body": "auditor note"}).status_code == 404
    assert CaseNote.objects.count() == 1
    # The applicant's status page and API timeline show neither the note nor that one exists.
    status = _client(alice).get(reverse("kyc:status", args=[case.public_id])).content.decode()
    assert "Called the registry" not in status and "note" not in status.lower()
    api = APIClient()
    api.force_authenticate(alice)
    timeline = api.get(f"/api/v1/applications/{case.public_id}/timeline/").json()
    assert all(not entry["action"].startswith("case.") for entry in timeline)
    assert "Called the registry" not in str(timeline)


def test_the_timeline_lists_every_audited_step_with_actor_time_and_details(
    case: Application, reviewer: Any, alice: Any
) -> None:
    review.case_claim(application=case, by=reviewer)
    review.case_note_add(application=case, by=reviewer, body="first look")
    page = _page(reviewer, case)
    timeline = page.split("Timeline (audit trail)", 1)[1]
    order = [
        "Application started",
        "Company details changed",
        "Person added",
        "Document uploaded",
        "Wallet ownership proven",
        "Draft → Submitted",
        "Submitted → Ready for review",
        "Case claimed",
        "Ready for review → In review",
        "Internal note added",
    ]
    positions = [timeline.index(label) for label in order]
    assert positions == sorted(positions)
    assert f"by {alice.email}" in timeline and f"by {reviewer.email}" in timeline
    assert "person: Uma Owner (ultimate beneficial owner)" in timeline
    assert "<time datetime=" in timeline


def test_unfinished_screening_blocks_approval_with_the_reason_shown(case: Application, reviewer: Any) -> None:
    review.case_claim(application=case, by=reviewer)
    person = case.people.get(legal_name="Otto Owner")
    Check.objects.create(
        kind="name", provider="embedded", subject_ref=f"kyc.person:{person.public_id}", status="running"
    )
    with pytest.raises(ApplicationError) as exc:
        review.case_approve(application=case, by=reviewer, reason="ok", risk_level="low")
    assert exc.value.code == "screening_incomplete"
    assert "still running" in exc.value.message
    page = _page(reviewer, case)
    assert "Approval is blocked" in page and "still running" in page


def test_the_decision_panel_offers_only_what_the_viewer_may_do(
    case: Application, reviewer: Any, approver: Any, auditor: Any
) -> None:
    assert "Claim this case" in _page(reviewer, case)
    assert "Claim this case" not in _page(auditor, case)
    review.case_claim(application=case, by=reviewer)
    mine = _page(reviewer, case)
    assert "Approve</button>" in mine and "Request information" in mine and "Release to the queue" in mine
    theirs = _page(approver, case)
    assert "Approve</button>" not in theirs and f"worked by {reviewer.email}" not in theirs
    assert "Hand this case to" in theirs
    review.case_approve(application=case, by=reviewer, reason="fine", risk_level="high")
    assert "Give second approval" in _page(approver, case)
    assert "Give second approval" not in _page(auditor, case)


def test_outsiders_applicants_and_anonymous_visitors_cannot_reach_case_actions(
    case: Application, alice: Any, charlie: Any, client: Client
) -> None:
    for action in ("note", "reassign", "adjudicate", "approve"):
        url = reverse("kyc:case_action", args=[case.public_id, action])
        assert client.post(url).status_code == 302
        for user in (alice, charlie):
            assert _client(user).post(url, {"body": "x"}).status_code == 404
    assert not CaseNote.objects.exists()


def test_an_information_request_names_the_documents_to_upload_again_and_refuses_unknown_kinds(
    case: Application, reviewer: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    review.case_claim(application=case, by=reviewer)
    url = reverse("kyc:case_action", args=[case.public_id, "request_information"])
    client = _client(reviewer)
    page = _page(reviewer, case)
    assert 'value="documents:proof_of_address"' in page and 'value="company"' in page
    refused = client.post(url, {"items": ["documents:selfie"], "message": "x"}, follow=True).content.decode()
    assert "items: unknown documents:selfie" in refused
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url,
            {
                "items": ["company", "documents:articles", "documents:other"],
                "message": "The articles scan is cut off. Please also add the trust deed of your parent company.",
            },
        )
    case.refresh_from_db()
    assert case.status == S.INFORMATION_REQUESTED
    assert case.requested_items == ["company", "documents:articles", "documents:other"]
    body = mailoutbox[-1].body
    assert "- Documents: Articles of association" in body
    assert "- Documents: Other supporting document" in body
    assert "trust deed of your parent company" in body
    assert "Company details; Documents: Articles of association" in _page(reviewer, case)
