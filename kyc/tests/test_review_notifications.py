"""In-portal notifications for officers: who gets them, when, and that each officer sees and clears only theirs."""

from __future__ import annotations

from typing import Any

import pytest

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
