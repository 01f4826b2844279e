"""In-portal notifications for officers: who gets them, when, and that each officer sees and clears only theirs."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.tests.factories import MembershipFactory
from kyc import services
from kyc.models import Application, Notification
from kyc.notifications import notify_officers
from kyc.tests.factories import complete_company

S = Application.Status


@pytest.fixture
def case(alice: Any, wallet_key: Any) -> Application:
    app = complete_company(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None, reason="screening done")
    app.refresh_from_db()
    return app


def test_notify_officers_reaches_active_officers_with_the_capability_and_mfa_only(
    case: Application, reviewer: Any, approver: Any, auditor: Any, make_staff: Any
) -> None:
    no_mfa = make_staff("reviewer", mfa=False, email="nomfa@claystack.example")
    gone = make_staff("reviewer", email="gone@claystack.example")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    count = notify_officers(application=case, title="Monitoring alert", body="A new sanctions match.")
    assert count == 2
    recipients = set(Notification.objects.values_list("recipient__email", flat=True))
    assert recipients == {reviewer.email, approver.email}
    note = Notification.objects.get(recipient=reviewer)
    assert (note.title, note.body, note.link) == (
        "Monitoring alert",
        "A new sanctions match.",
        f"/staff/cases/{case.public_id}/",
    )
    assert no_mfa.email not in recipients and auditor.email not in recipients


def test_notify_officers_can_target_approvers_and_never_a_colleague_of_the_applicant(
    case: Application, reviewer: Any, approver: Any, make_staff: Any
) -> None:
    insider = make_staff("approver", email="insider@acme.example")
    MembershipFactory(user=insider, organisation=case.organisation)
    assert notify_officers(application=case, title="Needs a senior officer", capability="case.approve") == 1
    assert list(Notification.objects.values_list("recipient", flat=True)) == [approver.pk]


def _client(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_a_case_waiting_for_a_second_approval_notifies_the_other_approvers_only(
    case: Application, approver: Any, make_staff: Any
) -> None:
    from kyc import review

    lead = make_staff("approver", email="lead.approver@claystack.example")
    review.case_claim(application=case, by=approver)
    review.case_approve(application=case, by=approver, reason="register checked", risk_level="high")
    waiting = Notification.objects.get()
    assert waiting.recipient == lead
    assert waiting.title == f"{case.reference} waits for approval 2 of 2"


def test_a_resubmission_notifies_the_assignee_and_an_unassigned_one_notifies_the_reviewers(
    case: Application, reviewer: Any, alice: Any, make_staff: Any
) -> None:
    from kyc import review

    colleague = make_staff("reviewer", email="colleague@claystack.example")
    review.case_claim(application=case, by=reviewer)
    review.case_request_information(application=case, by=reviewer, items=["company"], message="Website please.")
    review.case_resubmit(application=case, by=alice)
    assert list(Notification.objects.values_list("recipient", "title")) == [
        (reviewer.pk, f"{case.reference} was resubmitted")
    ]
    Application.objects.filter(pk=case.pk).update(assignee=None, status=S.INFORMATION_REQUESTED)
    case.refresh_from_db()
    review.case_resubmit(application=case, by=alice)
    assert set(Notification.objects.filter(read_at__isnull=True).values_list("recipient", flat=True)) == {
        reviewer.pk,
        colleague.pk,
    }


def test_the_bell_counts_unread_notifications_and_the_list_shows_only_ones_own(
    case: Application, reviewer: Any, approver: Any
) -> None:
    notify_officers(application=case, title="Monitoring alert on Acme")
    notify_officers(application=None, title="Lists are stale")
    rita = _client(reviewer)
    rita.get("/staff/")
    home = rita.get(reverse("kyc:notifications")).content.decode()
    assert 'aria-label="Notifications: 2 unread"' in home
    assert "Monitoring alert on Acme" in home and case.reference in home
    mine = Notification.objects.filter(recipient=reviewer).order_by("pk")
    theirs = Notification.objects.filter(recipient=approver).first()
    assert theirs is not None
    # Another officer's id changes nothing; one's own is marked read.
    rita.post(reverse("kyc:notifications_read"), {"id": [theirs.pk, mine[0].pk]})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert Notification.objects.filter(recipient=reviewer, read_at__isnull=True).count() == 1
    assert 'aria-label="Notifications: 1 unread"' in rita.get(reverse("kyc:queue")).content.decode()
    rita.post(reverse("kyc:notifications_read"), {"all": "1"})
    assert not Notification.objects.filter(recipient=reviewer, read_at__isnull=True).exists()
    assert "Show all" in rita.get(reverse("kyc:notifications"), {"unread": "1"}).content.decode()
    refused = rita.post(reverse("kyc:notifications_read"), {}, follow=True).content.decode()
    assert "Choose a notification" in refused


def test_opening_the_case_marks_its_notifications_read(case: Application, reviewer: Any) -> None:
    notify_officers(application=case, title="Monitoring alert")
    notify_officers(application=None, title="Something else")
    _client(reviewer).get(reverse("kyc:case", args=[case.public_id]))
    assert list(Notification.objects.filter(read_at__isnull=True).values_list("title", flat=True)) == ["Something else"]


def test_applicants_and_outsiders_have_no_notifications_page(alice: Any, charlie: Any, client: Any) -> None:
    assert client.get(reverse("kyc:notifications")).status_code == 302
    for user in (alice, charlie):
        assert _client(user).get(reverse("kyc:notifications")).status_code == 404
        assert _client(user).post(reverse("kyc:notifications_read"), {"all": "1"}).status_code == 404
        assert "Notifications:" not in _client(user).get(reverse("kyc:list")).content.decode()


def test_applicant_emails_carry_absolute_links_built_on_site_url(
    case: Application, reviewer: Any, settings: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from kyc import review

    settings.SITE_URL = "https://portal.claystack.example"
    review.case_claim(application=case, by=reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        review.case_request_information(application=case, by=reviewer, items=["company"], message="Website please.")
    assert f"https://portal.claystack.example/applications/{case.public_id}/" in mailoutbox[-1].body
