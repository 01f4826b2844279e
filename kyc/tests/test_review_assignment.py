"""Assignment: optional round-robin assignment with a cap, reassignment by a lead, and the rule that a case in
review is worked by its assignee only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from eth_account import Account

from accounts.tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from core.exceptions import ApplicationError
from core.models import AuditEvent
from kyc import review, services
from kyc.models import Application, Notification
from kyc.tests.factories import complete_company
from screening.models import Check, Hit

S = Application.Status


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _submitted() -> Application:
    user = UserFactory()
    MembershipFactory(user=user, organisation=OrganisationFactory(), role="owner")
    app = complete_company(user, Account.create())
    services.application_submit(application=app, by=user)
    return app


def _make_ready(app: Application) -> Application:
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None, reason="screening done")
    app.refresh_from_db()
    return app


@pytest.fixture
def reviewers(make_staff: Any) -> list[Any]:
    return [make_staff("reviewer", email=f"r{i}@claystack.example") for i in range(3)]


def test_without_the_setting_a_ready_case_waits_unassigned(reviewers: list[Any]) -> None:
    app = _make_ready(_submitted())
    assert app.assignee is None
    assert not Notification.objects.exists()


def test_automatic_assignment_goes_round_robin_and_tells_each_reviewer(reviewers: list[Any], settings: Any) -> None:
    settings.KYC_AUTO_ASSIGN = True
    assignees = [_make_ready(_submitted()).assignee for _ in range(4)]
    assert assignees == [*reviewers, reviewers[0]]
    first = Notification.objects.filter(recipient=reviewers[0]).order_by("created_at")
    assert first.count() == 2
    assert "was assigned to you" in first[0].title
    event = AuditEvent.objects.filter(action="case.auto_assigned").order_by("seq").first()
    assert event is not None and event.actor is None and event.after == {"assignee": reviewers[0].pk}


def test_automatic_assignment_skips_reviewers_at_the_cap_without_mfa_or_from_the_applicant(
    reviewers: list[Any], make_staff: Any, settings: Any
) -> None:
    settings.KYC_AUTO_ASSIGN = True
    settings.KYC_AUTO_ASSIGN_MAX_OPEN = 1
    make_staff("reviewer", mfa=False, email="no.mfa@claystack.example")
    auditors = make_staff("auditor", email="audit@claystack.example")
    app = _submitted()
    # Reviewer 0 belongs to the applicant's organisation.
    MembershipFactory(user=reviewers[0], organisation=app.organisation)
    assert _make_ready(app).assignee == reviewers[1]
    assert _make_ready(_submitted()).assignee == reviewers[2]
    # Reviewer 0 is free; 1 and 2 are at the cap of one open case each.
    assert _make_ready(_submitted()).assignee == reviewers[0]
    nobody = _make_ready(_submitted())
    assert nobody.assignee is None
    skipped = AuditEvent.objects.get(action="case.auto_assign_skipped")
    assert skipped.data["cap"] == 1
    assert not Notification.objects.filter(recipient=auditors).exists()


def test_a_decided_case_frees_its_reviewer_for_the_next_one(reviewers: list[Any], settings: Any) -> None:
    settings.KYC_AUTO_ASSIGN = True
    settings.KYC_AUTO_ASSIGN_MAX_OPEN = 1
    for reviewer in reviewers[1:]:
        reviewer.is_active = False
        reviewer.save(update_fields=["is_active"])
    first = _make_ready(_submitted())
    assert first.assignee == reviewers[0]
    assert _make_ready(_submitted()).assignee is None
    review.case_claim(application=first, by=reviewers[0])
    review.case_approve(application=first, by=reviewers[0], reason="verified", risk_level="low")
    assert _make_ready(_submitted()).assignee == reviewers[0]


def test_the_assigned_reviewer_claims_while_others_cannot_and_can_give_it_back(
    reviewers: list[Any], settings: Any
) -> None:
    settings.KYC_AUTO_ASSIGN = True
    app = _make_ready(_submitted())
    owner, other = reviewers[0], reviewers[1]
    assert app.assignee == owner
    with pytest.raises(ApplicationError) as exc:
        review.case_claim(application=app, by=other)
    assert exc.value.code == "assigned"
    review.case_release(application=app, by=owner)
    app.refresh_from_db()
    assert (app.status, app.assignee) == (S.READY_FOR_REVIEW, None)
    assert review.case_claim(application=app, by=other).assignee == other


def test_releasing_a_case_in_review_does_not_auto_assign_it_again(reviewers: list[Any], settings: Any) -> None:
    app = _make_ready(_submitted())
    review.case_claim(application=app, by=reviewers[0])
    settings.KYC_AUTO_ASSIGN = True
    released = review.case_release(application=app, by=reviewers[0])
    assert (released.status, released.assignee) == (S.READY_FOR_REVIEW, None)


def test_only_the_assignee_rules_on_hits_and_adds_the_decision(reviewers: list[Any]) -> None:
    app = _make_ready(_submitted())
    check = Check.objects.create(
        kind="name", provider="embedded", subject_ref=f"kyc.application:{app.public_id}", status="done"
    )
    hit = Hit.objects.create(
        check_run=check, list_name="UN", entity_id="UN-1", matched_name="Acme", score=0.8, explanation="name"
    )
    with pytest.raises(ApplicationError) as exc:
        review.case_hit_adjudicate(application=app, by=reviewers[0], hit_id=hit.pk, ruling="escalate", rationale="x")
    assert exc.value.code == "illegal_transition"
    review.case_claim(application=app, by=reviewers[0])
    for action in (
        lambda: review.case_hit_adjudicate(
            application=app, by=reviewers[1], hit_id=hit.pk, ruling="false_positive", rationale="x"
        ),
        lambda: review.case_request_information(application=app, by=reviewers[1], items=["company"], message="x"),
        lambda: review.case_reject(
            application=app, by=reviewers[1], reason_code="other", internal_note="", applicant_message="x"
        ),
        lambda: review.case_release(application=app, by=reviewers[1]),
    ):
        with pytest.raises(ApplicationError) as exc:
            action()
        assert exc.value.code == "not_assignee"
    assert not app.adjudications.exists()


def test_an_approver_reassigns_from_the_case_page_and_the_new_assignee_is_notified(
    reviewers: list[Any], approver: Any, alice: Any
) -> None:
    app = _make_ready(_submitted())
    review.case_claim(application=app, by=reviewers[0])
    url = reverse("kyc:case", args=[app.public_id])
    page = _client(approver).get(url).content.decode()
    assert "Hand this case to" in page
    assert f'<option value="{reviewers[0].pk}">' not in page  # not to the current assignee
    response = _client(approver).post(
        reverse("kyc:case_action", args=[app.public_id, "reassign"]), {"assignee": reviewers[1].pk}, follow=True
    )
    assert f"handed to {reviewers[1].email}" in response.content.decode()
    app.refresh_from_db()
    assert (app.assignee, app.status) == (reviewers[1], S.IN_REVIEW)
    note = Notification.objects.get(recipient=reviewers[1])
    assert note.link == url and app.reference in note.title
    # A reviewer sees no reassignment form and the service refuses them; a missing or unknown choice is named.
    assert "Hand this case to" not in _client(reviewers[2]).get(url).content.decode()
    refused = _client(reviewers[2]).post(
        reverse("kyc:case_action", args=[app.public_id, "reassign"]), {"assignee": reviewers[2].pk}, follow=True
    )
    assert "role needed to reassign" in refused.content.decode()
    unknown = _client(approver).post(
        reverse("kyc:case_action", args=[app.public_id, "reassign"]), {"assignee": "999999"}, follow=True
    )
    assert "assignee: choose the reviewer" in unknown.content.decode()
    same = _client(approver).post(
        reverse("kyc:case_action", args=[app.public_id, "reassign"]), {"assignee": reviewers[1].pk}, follow=True
    )
    assert "already assigned" in same.content.decode()


def test_a_case_cannot_be_handed_to_or_by_someone_from_the_applicants_organisation(
    reviewers: list[Any], make_staff: Any
) -> None:
    app = _make_ready(_submitted())
    insider = make_staff("approver", email="insider@claystack.example")
    MembershipFactory(user=insider, organisation=app.organisation)
    MembershipFactory(user=reviewers[2], organisation=app.organisation)
    lead = make_staff("approver", email="lead@claystack.example")
    with pytest.raises(ApplicationError) as exc:
        review.case_reassign(application=app, by=insider, to=reviewers[0])
    assert exc.value.code == "conflict_of_interest"
    with pytest.raises(ApplicationError) as exc:
        review.case_reassign(application=app, by=lead, to=reviewers[2])
    assert exc.value.code == "conflict_of_interest"
    page = _client(lead).get(reverse("kyc:case", args=[app.public_id])).content.decode()
    assert reviewers[2].email not in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_cases_becoming_ready_at_once_go_to_two_different_reviewers(make_staff: Any, settings: Any) -> None:
    from kyc.tests.test_states import _race

    settings.KYC_AUTO_ASSIGN = True
    settings.KYC_AUTO_ASSIGN_MAX_OPEN = 1
    first, second = (
        make_staff("reviewer", email="a@claystack.example"),
        make_staff("reviewer", email="b@claystack.example"),
    )
    cases = [_submitted(), _submitted()]
    results = _race(*[lambda app=app: _make_ready(app) for app in cases])
    assert results == [None, None]
    assignees = {Application.objects.get(pk=app.pk).assignee_id for app in cases}
    # The rotation row is locked while a case is assigned: no reviewer gets both, none goes over the cap.
    assert assignees == {first.pk, second.pk}
