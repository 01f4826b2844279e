"""Compliance review: the extended transition table, decisions, four-eyes, the information loop and expiry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError
from kyc import review, services
from kyc.models import Application, CaseApproval, Decision
from kyc.states import TRANSITIONS
from kyc.tests.factories import complete_company
from kyc.tests.test_states import _race
from whitelist.models import Change

S = Application.Status
PAIRS = [(a, b) for a in S.values for b in S.values if a != b]


@pytest.fixture
def case(alice: Any, wallet_key: Any) -> Application:
    """Acme's institution application, submitted, screened and waiting in the queue."""
    app = complete_company(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None, reason="screening done")
    app.refresh_from_db()
    return app


@pytest.fixture
def second_approver(make_staff: Any) -> Any:
    return make_staff("approver", email="sana.second@claystack.example")


def _approve_by_reviewer(case: Application, officer: Any, level: str) -> Application:
    review.case_claim(application=case, by=officer)
    return review.case_approve(application=case, by=officer, reason="documents and owners verified", risk_level=level)


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_each_transition_is_allowed_exactly_when_the_table_lists_it(alice: Any, source: str, target: str) -> None:
    app = services.application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
    Application.objects.filter(pk=app.pk).update(status=source)
    if target in TRANSITIONS[source]:
        assert services.application_transition(application=app, to=target, by=None).status == target
        assert app.transitions.get().to_status == target
    else:
        with pytest.raises(ApplicationError) as exc:
            services.application_transition(application=app, to=target, by=None)
        assert exc.value.code == "illegal_transition"
        app.refresh_from_db()
        assert app.status == source


def test_terminal_decisions_lead_nowhere() -> None:
    assert TRANSITIONS[S.REJECTED] == TRANSITIONS[S.EXPIRED] == TRANSITIONS[S.REVOKED] == frozenset()
    assert TRANSITIONS[S.SUPERSEDED] == frozenset()
    # An approval ends by running out, by revocation, or when its approved renewal supersedes it.
    assert TRANSITIONS[S.APPROVED] == {S.EXPIRED, S.REVOKED, S.SUPERSEDED}


def test_a_low_risk_case_is_approved_by_its_reviewer_for_36_months_and_its_wallets_are_queued(
    case: Application, reviewer: Any
) -> None:
    app = _approve_by_reviewer(case, reviewer, "low")
    assert app.status == S.APPROVED
    assert app.valid_until is not None
    assert (app.valid_until - timezone.now()).days in range(1090, 1100)
    wallets = list(app.wallets.filter(verified_at__isnull=False).values_list("address", flat=True))
    assert wallets
    changes = Change.objects.filter(reference=f"kyc.application:{app.public_id}")
    assert sorted(changes.values_list("address", "list_key", "action")) == sorted(
        (a, "stakers", "add") for a in wallets
    )
    assert changes.first().valid_until == app.valid_until
    decision = app.decisions.get()
    assert (decision.outcome, decision.risk_level, decision.by) == ("approved", "low", reviewer)


def test_a_high_risk_case_needs_a_second_different_approver_and_lasts_12_months(
    case: Application, reviewer: Any, approver: Any
) -> None:
    app = _approve_by_reviewer(case, reviewer, "high")
    assert app.status == S.PENDING_SECOND_APPROVAL
    assert not Change.objects.exists()
    with pytest.raises(ApplicationError) as exc:
        review.case_approve(application=app, by=reviewer, reason="again")
    assert exc.value.code == "forbidden"  # a reviewer lacks the approver role
    app = review.case_approve(application=app, by=approver, reason="second look: owners and funds fine")
    assert app.status == S.APPROVED
    assert (app.valid_until - timezone.now()).days in range(360, 370)  # type: ignore[operator]
    assert list(app.approvals.values_list("reason", flat=True)) == [
        "documents and owners verified",
        "second look: owners and funds fine",
    ]


def test_the_reviewer_cannot_give_the_second_approval_even_with_the_approver_role(
    case: Application, make_staff: Any
) -> None:
    both = make_staff("reviewer", "approver", email="both@claystack.example")
    app = _approve_by_reviewer(case, both, "high")
    with pytest.raises(ApplicationError) as exc:
        review.case_approve(application=app, by=both, reason="me again")
    assert exc.value.code == "four_eyes"
    assert app.approvals.count() == 1


def test_an_approver_may_not_approve_twice_when_three_approvals_are_required(
    case: Application, reviewer: Any, approver: Any, second_approver: Any, settings: Any
) -> None:
    settings.KYC_APPROVALS_REQUIRED = {**settings.KYC_APPROVALS_REQUIRED, "high": 3}
    app = _approve_by_reviewer(case, reviewer, "high")
    app = review.case_approve(application=app, by=approver, reason="fine")
    assert app.status == S.PENDING_SECOND_APPROVAL  # two of three: too few
    with pytest.raises(ApplicationError, match="already approved"):
        review.case_approve(application=app, by=approver, reason="fine again")
    app = review.case_approve(application=app, by=second_approver, reason="fine too")
    assert app.status == S.APPROVED


def test_an_officer_from_the_applicants_organisation_cannot_act_on_its_case(
    case: Application, make_staff: Any, bob: Any
) -> None:
    from accounts.tests.factories import MembershipFactory

    colleague = make_staff("reviewer", "approver", email="insider@claystack.example")
    MembershipFactory(user=colleague, organisation=case.organisation, role="member")
    with pytest.raises(ApplicationError) as exc:
        review.case_claim(application=case, by=colleague)
    assert exc.value.code == "conflict_of_interest"


def test_outsiders_and_wrong_roles_cannot_claim_or_decide(
    case: Application, charlie: Any, auditor: Any, reviewer: Any
) -> None:
    for user in (charlie, auditor):
        with pytest.raises(ApplicationError) as exc:
            review.case_claim(application=case, by=user)
        assert exc.value.code == "forbidden"
    review.case_claim(application=case, by=reviewer)
    with pytest.raises(ApplicationError) as exc:
        review.case_revoke(application=case, by=reviewer, reason_code="other", reason="x")
    assert exc.value.code == "forbidden"


def test_only_the_assignee_works_a_case_in_review(case: Application, reviewer: Any, make_staff: Any) -> None:
    other = make_staff("reviewer", email="other.reviewer@claystack.example")
    review.case_claim(application=case, by=reviewer)
    with pytest.raises(ApplicationError) as exc:
        review.case_approve(application=case, by=other, reason="x", risk_level="low")
    assert exc.value.code == "not_assignee"


def test_a_prohibited_case_can_only_be_rejected_with_a_reason_code_and_message(
    case: Application, reviewer: Any
) -> None:
    review.case_claim(application=case, by=reviewer)
    with pytest.raises(ApplicationError, match="prohibited"):
        review.case_approve(application=case, by=reviewer, reason="x", risk_level="prohibited")
    with pytest.raises(ApplicationError, match="reason_code: unknown code 'bad'"):
        review.case_reject(application=case, by=reviewer, reason_code="bad", internal_note="", applicant_message="no")
    with pytest.raises(ApplicationError, match="applicant_message"):
        review.case_reject(application=case, by=reviewer, reason_code="other", internal_note="", applicant_message=" ")
    app = review.case_reject(
        application=case,
        by=reviewer,
        reason_code="prohibited_jurisdiction",
        internal_note="owner resident in a prohibited country",
        applicant_message="We cannot onboard your organisation.",
    )
    assert app.status == S.REJECTED
    decision = app.decisions.get()
    assert (decision.reason_code, decision.applicant_message) == (
        "prohibited_jurisdiction",
        "We cannot onboard your organisation.",
    )
    assert not Change.objects.exists()


def test_revocation_queues_every_wallet_for_removal(case: Application, reviewer: Any, approver: Any) -> None:
    app = _approve_by_reviewer(case, reviewer, "low")
    app = review.case_revoke(application=app, by=approver, reason_code="sanctions_match", reason="listed today")
    assert app.status == S.REVOKED
    actions = list(Change.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["add", "remove"]


def test_the_beat_job_expires_an_approval_whose_date_has_passed(case: Application, reviewer: Any) -> None:
    from kyc.tasks import approvals_expire_task

    app = _approve_by_reviewer(case, reviewer, "low")
    assert approvals_expire_task() == 0
    Application.objects.filter(pk=app.pk).update(valid_until=timezone.now() - dt.timedelta(minutes=1))
    assert approvals_expire_task() == 1
    app.refresh_from_db()
    assert app.status == S.EXPIRED
    assert Change.objects.filter(action="remove").count() == 1
    assert app.decisions.filter(outcome="expired").exists()


def test_the_information_loop_lets_the_applicant_change_only_what_was_asked_and_resubmit(
    case: Application, reviewer: Any, alice: Any, bob: Any
) -> None:
    from kyc.tests.factories import person_data

    review.case_claim(application=case, by=reviewer)
    with pytest.raises(ApplicationError, match="items: unknown"):
        review.case_request_information(application=case, by=reviewer, items=["passport"], message="x")
    app = review.case_request_information(
        application=case, by=reviewer, items=["company"], message="Please correct the website."
    )
    assert app.status == S.INFORMATION_REQUESTED
    services.company_profile_update(application=app, by=alice, data={"website": "https://acme.example/new"})
    with pytest.raises(ApplicationError, match="cannot be changed"):
        services.person_add(application=app, by=alice, role="director", data=person_data())
    app = review.case_resubmit(application=app, by=bob)
    assert (app.status, app.requested_items) == (S.RESUBMITTED, [])
    app = review.case_claim(application=app, by=reviewer)
    app = review.case_approve(application=app, by=reviewer, reason="corrected", risk_level="low")
    assert app.status == S.APPROVED
    assert app.company.website == "https://acme.example/new"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_deciding_one_case_at_once_produce_exactly_one_decision(
    alice: Any, wallet_key: Any, reviewer: Any, approver: Any, second_approver: Any
) -> None:
    app = complete_company(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None)
    _approve_by_reviewer(app, reviewer, "high")
    results = _race(
        lambda: review.case_approve(application=app, by=approver, reason="ok"),
        lambda: review.case_reject(
            application=app, by=second_approver, reason_code="other", internal_note="", applicant_message="No."
        ),
    )
    errors = [r for r in results if r is not None]
    assert len(errors) == 1
    assert isinstance(errors[0], ApplicationError)
    assert Decision.objects.filter(application=app).count() == 1
    app.refresh_from_db()
    assert app.status in {S.APPROVED, S.REJECTED}
    assert CaseApproval.objects.filter(application=app).count() in {1, 2}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_claiming_one_case_at_once_leave_one_assignee(
    alice: Any, wallet_key: Any, reviewer: Any, make_staff: Any
) -> None:
    other = make_staff("reviewer", email="other.reviewer@claystack.example")
    app = complete_company(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None)
    results = _race(
        lambda: review.case_claim(application=app, by=reviewer),
        lambda: review.case_claim(application=app, by=other),
    )
    assert sorted(type(r).__name__ for r in results) == ["ApplicationError", "NoneType"]
    app.refresh_from_db()
    assert app.status == S.IN_REVIEW
    assert app.transitions.filter(to_status=S.IN_REVIEW).count() == 1


def test_the_applicant_and_colleagues_are_emailed_the_decision_after_commit(
    case: Application, reviewer: Any, bob: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    review.case_claim(application=case, by=reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        review.case_request_information(
            application=case, by=reviewer, items=["documents:articles"], message="The scan is unreadable."
        )
    mail = mailoutbox[-1]
    assert case.reference in mail.subject
    assert "information requested" in mail.subject
    assert "- Documents" in mail.body
    assert "The scan is unreadable." in mail.body
    assert sorted(mail.to) == sorted([case.applicant.email, bob.email])
    review.case_resubmit(application=case, by=case.applicant)
    review.case_claim(application=case, by=reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        review.case_reject(
            application=case,
            by=reviewer,
            reason_code="unverifiable_ownership",
            internal_note="register shows another owner",
            applicant_message="We could not verify who owns your company.",
        )
    body = mailoutbox[-1].body
    assert "We could not verify who owns your company." in body
    assert "register shows another owner" not in body


def test_the_beat_job_warns_once_before_expiry_and_invites_re_verification(
    case: Application, reviewer: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from kyc.tasks import approvals_expire_task

    app = _approve_by_reviewer(case, reviewer, "low")
    Application.objects.filter(pk=app.pk).update(valid_until=timezone.now() + dt.timedelta(days=10))
    with django_capture_on_commit_callbacks(execute=True):
        approvals_expire_task()
        approvals_expire_task()
    warnings = [m for m in mailoutbox if "ends on" in m.subject]
    assert len(warnings) == 1
    assert "verify again" in warnings[0].body
    # The link opens the approved case, where one button starts the renewal pre-filled from it.
    assert f"/applications/{app.public_id}/#renew" in warnings[0].body
    app.refresh_from_db()
    assert app.status == S.APPROVED


def test_an_approver_reassigns_a_case_in_review_and_the_new_assignee_works_it(
    case: Application, reviewer: Any, approver: Any, make_staff: Any, auditor: Any
) -> None:
    other = make_staff("reviewer", email="new.assignee@claystack.example")
    review.case_claim(application=case, by=reviewer)
    with pytest.raises(ApplicationError) as exc:
        review.case_reassign(application=case, by=reviewer, to=other)
    assert exc.value.code == "forbidden"
    with pytest.raises(ApplicationError, match="assignee: this person"):
        review.case_reassign(application=case, by=approver, to=auditor)
    review.case_reassign(application=case, by=approver, to=other)
    with pytest.raises(ApplicationError) as exc:
        review.case_approve(application=case, by=reviewer, reason="x", risk_level="low")
    assert exc.value.code == "not_assignee"
    assert review.case_approve(application=case, by=other, reason="ok", risk_level="low").status == S.APPROVED
