"""The transition table, the read-only rule after submission and the hook the review issue uses."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from core.exceptions import ApplicationError
from kyc import services
from kyc.editing import editable_sections
from kyc.models import Application, Person
from kyc.states import TRANSITIONS, can_transition
from kyc.tests.factories import complete_company, complete_individual, pdf, person_data, sign

S = Application.Status


def test_the_table_lists_every_state_of_the_review_workflow() -> None:
    assert set(TRANSITIONS) == set(S.values)


@pytest.mark.parametrize("target", [s for s in S.values if s != S.SUBMITTED])
def test_a_draft_can_only_be_submitted(target: str) -> None:
    assert can_transition(S.DRAFT, S.SUBMITTED)
    assert not can_transition(S.DRAFT, target)


def test_an_illegal_transition_is_refused_and_changes_nothing(alice: Any) -> None:
    app = services.application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
    with pytest.raises(ApplicationError, match="cannot go from draft to approved"):
        services.application_transition(application=app, to=S.APPROVED, by=alice)
    app.refresh_from_db()
    assert app.status == S.DRAFT
    assert not app.transitions.exists()


def test_submission_records_the_transition_and_sends_the_signal_after_commit(
    alice: Any, wallet_key: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from kyc.signals import application_submitted

    received: list[int] = []

    def handler(sender: Any, application_id: int, **kwargs: Any) -> None:
        received.append(application_id)

    application_submitted.connect(handler)
    try:
        app = complete_company(alice, wallet_key)
        with django_capture_on_commit_callbacks(execute=True):
            services.application_submit(application=app, by=alice)
    finally:
        application_submitted.disconnect(handler)
    assert received == [app.pk]
    transition = app.transitions.get()
    assert (transition.from_status, transition.to_status, transition.by) == (S.DRAFT, S.SUBMITTED, alice)


def test_a_submitted_application_is_read_only_everywhere(alice: Any, wallet_key: Any, other_key: Any) -> None:
    app = complete_company(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    person = app.people.first()
    assert person is not None
    attempts = [
        lambda: services.company_profile_update(application=app, by=alice, data={"legal_name": "X"}),
        lambda: services.person_add(application=app, by=alice, role="director", data=person_data()),
        lambda: services.person_update(person=person, by=alice, data={"legal_name": "Y"}),
        lambda: services.person_remove(person=person, by=alice),
        lambda: services.document_upload(application=app, by=alice, kind="other", upload=pdf()),
        lambda: services.wallet_add(
            application=app, by=alice, address=other_key.address, label="x", purpose="withdrawals"
        ),
        lambda: services.application_submit(application=app, by=alice),
    ]
    for attempt in attempts:
        with pytest.raises(ApplicationError) as exc:
            attempt()
        assert exc.value.code in {"read_only", "illegal_transition"}


def test_when_information_is_requested_only_the_requested_items_are_editable(alice: Any, wallet_key: Any) -> None:
    app = complete_company(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    # What the review issue will do through its own transitions: open the loop on two items.
    Application.objects.filter(pk=app.pk).update(
        status=S.INFORMATION_REQUESTED, requested_items=["documents:articles", "company"]
    )
    app.refresh_from_db()
    assert editable_sections(app) == {"documents", "company"}
    services.company_profile_update(application=app, by=alice, data={"website": "https://acme.example/new"})
    services.document_upload(application=app, by=alice, kind="articles", upload=pdf("articles-v2.pdf"))
    with pytest.raises(ApplicationError, match="the reviewer asked only for Company details, Documents"):
        services.person_add(application=app, by=alice, role="director", data=person_data())
    services.application_transition(application=app, to=S.RESUBMITTED, by=alice)


def test_every_application_type_reaches_submitted(alice: Any, wallet_key: Any, db: Any) -> None:
    from accounts.tests.factories import MembershipFactory, OrganisationFactory, UserFactory

    individual = complete_individual(UserFactory(), wallet_key)
    operator = complete_individual(UserFactory(), wallet_key, "operator_individual", "obol_cluster")
    owner = UserFactory()
    MembershipFactory(user=owner, organisation=OrganisationFactory(kind="operator_company"), role="owner")
    company = complete_company(owner, wallet_key, "operator_company", "professional")
    institution = complete_company(alice, wallet_key)
    for app in (individual, operator, company, institution):
        assert services.application_submit(application=app, by=app.applicant).status == S.SUBMITTED


def test_an_operator_application_needs_its_category(alice: Any, db: Any) -> None:
    from accounts.tests.factories import UserFactory

    with pytest.raises(ApplicationError, match="needs a category") as exc:
        services.application_create(by=UserFactory(), subject_type="operator_individual")
    assert exc.value.extra["field"] == "operator_category"


def test_an_institution_application_needs_an_organisation_of_that_kind(alice: Any, charlie: Any) -> None:
    with pytest.raises(ApplicationError, match="not a member"):
        services.application_create(by=alice, subject_type="institution", organisation=charlie.organisations.get())
    with pytest.raises(ApplicationError, match="node-operator company application type"):
        services.application_create(
            by=alice,
            subject_type="operator_company",
            organisation=alice.organisations.get(),
            operator_category="professional",
        )


def _race(*calls: Any) -> list[BaseException | None]:
    results: list[BaseException | None] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index: int) -> None:
        try:
            barrier.wait()
            calls[index]()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_colleagues_adding_owners_at_once_cannot_exceed_100_percent(alice: Any, bob: Any) -> None:
    app = services.application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
    results = _race(
        lambda: services.person_add(
            application=app, by=alice, role="ubo", data=person_data(ownership_percent=Decimal(60))
        ),
        lambda: services.person_add(
            application=app, by=bob, role="ubo", data=person_data(ownership_percent=Decimal(60))
        ),
    )
    assert sorted(type(r).__name__ for r in results) == ["ApplicationError", "NoneType"]
    assert Person.objects.filter(application=app, role="ubo").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_signature_replayed_concurrently_is_accepted_once(alice: Any, bob: Any, wallet_key: Any) -> None:
    app = services.application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
    wallet = services.wallet_add(
        application=app, by=alice, address=wallet_key.address, label="x", purpose="withdrawals"
    )
    challenge = services.wallet_challenge_issue(wallet=wallet, by=alice, domain="d.example", uri="https://d.example/")
    signature = sign(wallet_key, challenge.message)
    results = _race(
        lambda: services.wallet_proof_verify(wallet=wallet, by=alice, message=challenge.message, signature=signature),
        lambda: services.wallet_proof_verify(wallet=wallet, by=bob, message=challenge.message, signature=signature),
    )
    errors = [r for r in results if r is not None]
    assert len(errors) == 1
    assert isinstance(errors[0], ApplicationError)
    assert errors[0].code == "replayed"
