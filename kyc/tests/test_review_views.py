"""The review queue and case pages: filters, bounded queries, access, and the decision panel end to end."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kyc import services
from kyc.models import Application
from kyc.tests.factories import complete_company, complete_individual
from whitelist.models import Change

S = Application.Status


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def case(alice: Any, wallet_key: Any) -> Application:
    app = complete_company(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None)
    return app


def _many(n: int, key: Any) -> None:
    from accounts.tests.factories import UserFactory

    for i in range(n):
        app = complete_individual(UserFactory(), key)
        services.application_submit(application=app, by=app.applicant)
        Application.objects.filter(pk=app.pk).update(risk_level=["low", "medium", "high"][i % 3])


def test_the_queue_costs_the_same_queries_for_3_or_12_cases(
    case: Application, reviewer: Any, wallet_key: Any, django_assert_max_num_queries: Any
) -> None:
    client = _client(reviewer)
    url = reverse("kyc:queue")
    _many(2, wallet_key)
    # The session's first staff request records the last-seen time (the idle timeout); that write happens at
    # most every 30 seconds and belongs to no page, so it is taken out of the measure.
    client.get(reverse("kyc:notifications"))
    with django_assert_max_num_queries(10):
        small = client.get(url)
    _many(9, wallet_key)
    with django_assert_max_num_queries(10):
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    assert large.content.count(b'<td><a href="/staff/cases/') == 12
    assert case.reference.encode() in large.content


def test_the_queue_filters_by_status_and_searches_by_reference_and_name(
    case: Application, reviewer: Any, wallet_key: Any
) -> None:
    _many(2, wallet_key)
    client = _client(reviewer)
    url = reverse("kyc:queue")
    body = client.get(url, {"status": "ready_for_review"}).content.decode()
    assert case.reference in body
    assert body.count('<td><a href="/staff/cases/') == 1
    assert case.reference in client.get(url, {"q": case.reference}).content.decode()
    assert case.reference in client.get(url, {"q": "acme"}).content.decode()
    assert "No case matches." in client.get(url, {"q": "nobody-by-this-name"}).content.decode()
    assert "Ready for review: 1</a>" in client.get(url).content.decode()


def test_outsiders_and_applicants_get_404_on_the_queue_and_the_case(
    case: Application, alice: Any, charlie: Any
) -> None:
    for user in (alice, charlie):
        client = _client(user)
        assert client.get(reverse("kyc:queue")).status_code == 404
        assert client.get(reverse("kyc:case", args=[case.public_id])).status_code == 404
        assert client.post(reverse("kyc:case_action", args=[case.public_id, "claim"])).status_code == 404
    case.refresh_from_db()
    assert case.assignee is None


def test_a_reviewer_claims_and_an_approver_gives_the_second_approval_from_the_case_page(
    case: Application, reviewer: Any, approver: Any
) -> None:
    url = reverse("kyc:case", args=[case.public_id])
    rita, arjun = _client(reviewer), _client(approver)
    assert "Claim this case" in rita.get(url).content.decode()
    rita.post(reverse("kyc:case_action", args=[case.public_id, "claim"]))
    rita.post(
        reverse("kyc:case_action", args=[case.public_id, "approve"]),
        {"risk_level": "high", "reason": "verified against the register"},
    )
    case.refresh_from_db()
    assert case.status == S.PENDING_SECOND_APPROVAL
    page = rita.post(reverse("kyc:case_action", args=[case.public_id, "approve"]), {"reason": "me again"}, follow=True)
    assert "role needed" in page.content.decode()
    arjun.post(reverse("kyc:case_action", args=[case.public_id, "approve"]), {"reason": "second look done"})
    case.refresh_from_db()
    assert case.status == S.APPROVED
    assert Change.objects.filter(action="add").count() == case.wallets.filter(verified_at__isnull=False).count()
    body = arjun.get(url).content.decode()
    assert "second look done" in body
    assert "Pending second approval → Approved" in body


def test_the_queue_api_lists_cases_with_counts_in_bounded_queries_and_refuses_outsiders(
    case: Application, reviewer: Any, charlie: Any, wallet_key: Any, django_assert_max_num_queries: Any
) -> None:
    _many(6, wallet_key)
    url = reverse("api:kyc-review-queue")
    client = _client(reviewer)
    client.get(url)  # the session's last-seen write, as in the page test above
    with django_assert_max_num_queries(10):
        response = client.get(url, {"limit": 5})
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 7
    assert len(body["results"]) == 5
    assert body["counts"]["ready_for_review"] == 1
    found = _client(reviewer).get(url, {"q": case.reference}).json()["results"]
    assert [r["reference"] for r in found] == [case.reference]
    assert found[0]["name"] == case.company.legal_name
    assert _client(charlie).get(url).status_code in (403, 404)


def test_the_service_level_clock_pauses_while_information_is_requested(case: Application, reviewer: Any) -> None:
    import datetime as dt

    from django.utils import timezone

    from kyc import queue, review

    review.case_claim(application=case, by=reviewer)
    review.case_request_information(application=case, by=reviewer, items=["company"], message="Website please.")
    case.refresh_from_db()
    start = case.sla_started_at
    assert start is not None
    # The applicant takes four days to answer.
    Application.objects.filter(pk=case.pk).update(status_changed_at=timezone.now() - dt.timedelta(days=4))
    review.case_resubmit(application=case, by=case.applicant)
    case.refresh_from_db()
    assert case.sla_started_at is not None
    assert (case.sla_started_at - start).days in (3, 4)
    due = queue.with_due(Application.objects.filter(pk=case.pk)).get().due_at
    assert due == case.sla_started_at + dt.timedelta(days=5)


def test_the_applicant_resubmits_from_the_portal_and_sees_the_decision(
    case: Application, reviewer: Any, alice: Any, charlie: Any
) -> None:
    from kyc import review

    review.case_claim(application=case, by=reviewer)
    review.case_request_information(application=case, by=reviewer, items=["company"], message="Website please.")
    status_url = reverse("kyc:status", args=[case.public_id])
    client = _client(alice)
    assert "Send the changes back" in client.get(status_url).content.decode()
    assert _client(charlie).post(reverse("kyc:resubmit", args=[case.public_id])).status_code == 404
    # Sending back is offered once something asked for changed.
    services.company_profile_update(application=case, by=alice, data={"website": "https://acme.example/about"})
    client.post(reverse("kyc:resubmit", args=[case.public_id]))
    case.refresh_from_db()
    assert case.status == S.RESUBMITTED
    review.case_claim(application=case, by=reviewer)
    review.case_reject(
        application=case, by=reviewer, reason_code="other", internal_note="internal only", applicant_message="Sorry."
    )
    page = client.get(status_url).content.decode()
    assert "Sorry." in page
    assert "internal only" not in page
