"""The review queue: every filter, sort and search a reviewer uses, the same on the page and the API, in a
bounded number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from eth_account import Account

from accounts.tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from kyc import review, services
from kyc.models import Application, CompanyProfile, Person
from kyc.tests.factories import complete_company, complete_individual
from screening.models import Check, Hit

S = Application.Status
API = "api:kyc-review-queue"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ready(app: Application) -> Application:
    services.application_submit(application=app, by=app.applicant)
    services.application_transition(application=app, to=S.READY_FOR_REVIEW, by=None)
    app.refresh_from_db()
    return app


def _company(name: str, *, jurisdiction: str = "GB") -> Application:
    user = UserFactory()
    MembershipFactory(user=user, organisation=OrganisationFactory(name=name), role="owner")
    app = complete_company(user, Account.create())
    CompanyProfile.objects.filter(application=app).update(legal_name=name, jurisdiction=jurisdiction)
    return _ready(app)


@pytest.fixture
def acme(alice: Any, wallet_key: Any) -> Application:
    return _ready(complete_company(alice, wallet_key))


@pytest.fixture
def solo(db: Any) -> Application:
    user = UserFactory(full_name="Sol Staker")
    app = complete_individual(user, Account.create())
    app.people.update(legal_name="Soledad Staker", country_of_residence="MT", nationalities=["MT", "ES"])
    return _ready(app)


def _set(app: Application, **fields: Any) -> None:
    """Change the clock or the risk level the way the services do (through `save`, which keeps `due_at`)."""
    app.refresh_from_db()
    for name, value in fields.items():
        setattr(app, name, value)
    app.save(update_fields=[*fields])


def _refs(client: Client, **params: Any) -> list[str]:
    body = client.get(reverse(API), params).json()
    return [row["reference"] for row in body["results"]]


def _hit(ref: str) -> Hit:
    check = Check.objects.create(kind="name", provider="embedded", subject_ref=ref, status="done")
    return Hit.objects.create(
        check_run=check, list_name="OFAC SDN", entity_id="OFAC-9", matched_name="X", score=0.9, explanation="name"
    )


def test_the_queue_filters_by_risk_level_type_and_country_of_company_or_person(
    acme: Application, solo: Application, reviewer: Any
) -> None:
    Application.objects.filter(pk=acme.pk).update(risk_level="high", risk_score=55)
    Application.objects.filter(pk=solo.pk).update(risk_level="low", risk_score=3)
    client = _client(reviewer)
    assert _refs(client, risk_level="high") == [acme.reference]
    assert _refs(client, risk_level="low") == [solo.reference]
    assert _refs(client, type="individual") == [solo.reference]
    assert _refs(client, type="institution") == [acme.reference]
    assert _refs(client, country="gb") == [acme.reference]
    assert _refs(client, country="MT") == [solo.reference]
    # A second nationality counts too.
    assert _refs(client, country="ES") == [solo.reference]
    assert _refs(client, country="FR") == []


def test_the_queue_filters_by_assignee_me_unassigned_or_a_named_reviewer(
    acme: Application, solo: Application, reviewer: Any, make_staff: Any
) -> None:
    other = make_staff("reviewer", email="otto.other@claystack.example")
    review.case_claim(application=acme, by=reviewer)
    client = _client(reviewer)
    assert _refs(client, assignee="me") == [acme.reference]
    assert _refs(client, assignee="none") == [solo.reference]
    assert _refs(client, assignee=str(reviewer.pk)) == [acme.reference]
    assert _refs(client, assignee=str(other.pk)) == []
    page = client.get(reverse("kyc:queue"), {"assignee": str(reviewer.pk)}).content.decode()
    assert f'<option value="{reviewer.pk}" selected>' in page
    assert other.email in page  # every reviewer can be picked


def test_the_open_hits_filter_finds_hits_on_the_company_a_person_or_a_wallet_until_ruled(
    acme: Application, solo: Application, reviewer: Any
) -> None:
    client = _client(reviewer)
    assert _refs(client, open_hits="1") == []
    person = solo.people.get()
    hit = _hit(f"kyc.person:{person.public_id}")
    assert _refs(client, open_hits="1") == [solo.reference]
    wallet = acme.wallets.get()
    _hit(f"kyc.wallet:{wallet.public_id}")
    assert sorted(_refs(client, open_hits="1")) == sorted([solo.reference, acme.reference])
    # Ruled a false positive: no longer open. Escalated: still open.
    review.case_claim(application=solo, by=reviewer)
    review.case_hit_adjudicate(application=solo, by=reviewer, hit_id=hit.pk, ruling="escalate", rationale="unsure")
    assert solo.reference in _refs(client, open_hits="1")
    review.case_hit_adjudicate(
        application=solo, by=reviewer, hit_id=hit.pk, ruling="false_positive", rationale="different birth date"
    )
    assert _refs(client, open_hits="1") == [acme.reference]
    # A hit on the application ref itself, a suppressed one and a delisted history entry.
    other = _company("Zeta Holdings Ltd")
    _hit(f"kyc.application:{other.public_id}")
    suppressed = _hit(f"kyc.application:{acme.public_id}")
    Hit.objects.filter(pk=suppressed.pk).update(suppressed=True)
    assert sorted(_refs(client, open_hits="1")) == sorted([acme.reference, other.reference])
    page = client.get(reverse("kyc:queue"), {"open_hits": "1"}).content.decode()
    assert page.count("open hits</span>") == 2


def test_the_overdue_filter_marks_and_finds_cases_past_their_service_level(
    acme: Application, solo: Application, reviewer: Any, settings: Any
) -> None:
    settings.KYC_SLA_DAYS = {"low": 10, "medium": 5, "high": 3, "prohibited": 2}
    _set(acme, risk_level="high", sla_started_at=timezone.now() - dt.timedelta(days=4))
    client = _client(reviewer)
    assert _refs(client, overdue="1") == [acme.reference]
    page = client.get(reverse("kyc:queue")).content.decode()
    assert page.count('badge-bad">overdue') == 1
    # A decided case is never overdue.
    Application.objects.filter(pk=acme.pk).update(status=S.APPROVED)
    assert _refs(client, overdue="1") == []


def test_the_queue_sorts_by_due_date_age_and_risk(acme: Application, solo: Application, reviewer: Any) -> None:
    now = timezone.now()
    _set(
        acme,
        submitted_at=now - dt.timedelta(days=1),
        sla_started_at=now - dt.timedelta(days=1),
        risk_level="low",
        risk_score=5,
    )
    _set(
        solo,
        submitted_at=now - dt.timedelta(hours=1),
        sla_started_at=now - dt.timedelta(hours=1),
        risk_level="high",
        risk_score=60,
    )
    client = _client(reviewer)
    # Due: solo (high, 3 days) falls due before acme (low, 10 days) although it is newer.
    assert _refs(client, sort="due") == [solo.reference, acme.reference]
    assert _refs(client, sort="-due") == [acme.reference, solo.reference]
    assert _refs(client, sort="age") == [acme.reference, solo.reference]
    assert _refs(client, sort="-age") == [solo.reference, acme.reference]
    assert _refs(client, sort="-risk") == [solo.reference, acme.reference]
    assert _refs(client, sort="risk") == [acme.reference, solo.reference]
    # An unknown sort falls back to the due date instead of failing.
    assert _refs(client, sort="drop table") == [solo.reference, acme.reference]


def test_the_queue_searches_by_reference_company_name_lei_person_name_and_wallet_address(
    acme: Application, solo: Application, reviewer: Any
) -> None:
    client = _client(reviewer)
    assert _refs(client, q=acme.reference.lower()) == [acme.reference]
    assert _refs(client, q="ACME cap") == [acme.reference]
    assert _refs(client, q=acme.company.lei) == [acme.reference]
    assert _refs(client, q="soledad") == [solo.reference]
    assert _refs(client, q="Uma Owner") == [acme.reference]
    # The query is normalised like the stored names: fullwidth letters and a pasted zero-width space still find.
    assert _refs(client, q="\uff35ma\u200b Owner") == [acme.reference]
    wallet = solo.wallets.get()
    assert _refs(client, q=wallet.address.lower()) == [solo.reference]
    assert _refs(client, q="0x" + "0" * 40) == []


def test_a_nul_byte_in_the_search_is_ignored_on_the_page_the_api_and_the_csv(
    acme: Application, solo: Application, reviewer: Any
) -> None:
    client = _client(reviewer)
    for url in ("/staff/cases/", reverse(API), "/staff/reports/queue.csv"):
        response = client.get(url + "?q=%00")
        assert response.status_code == 200, url
        response = client.get(f"{url}?q=%00{acme.reference}%00")
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert acme.reference in body.decode() and solo.reference not in body.decode(), url


def test_counts_per_status_cover_the_whole_queue_whatever_the_filter(
    acme: Application, solo: Application, reviewer: Any
) -> None:
    review.case_claim(application=acme, by=reviewer)
    client = _client(reviewer)
    body = client.get(reverse(API), {"status": "in_review"}).json()
    assert body["count"] == 1
    assert body["counts"]["in_review"] == 1
    assert body["counts"]["ready_for_review"] == 1
    assert "draft" not in body["counts"]
    page = client.get(reverse("kyc:queue"), {"status": "in_review"}).content.decode()
    assert "In review: 1</a>" in page and "Ready for review: 1</a>" in page


def test_the_page_and_the_api_cost_at_most_10_queries_for_5_or_60_cases(
    acme: Application, reviewer: Any, settings: Any, django_assert_max_num_queries: Any
) -> None:
    settings.KYC_QUEUE_PAGE_SIZE = 100
    client = _client(reviewer)
    client.get(reverse("kyc:notifications"))  # the session's last-seen write (see test_review_views)
    key = Account.create()
    for count in (5, 60):
        while Application.objects.exclude(status=S.DRAFT).count() < count:
            app = complete_individual(UserFactory(), key)
            services.application_submit(application=app, by=app.applicant)
        for params in ({}, {"open_hits": "1", "q": "jane", "country": "GB", "overdue": "1", "sort": "-risk"}):
            with django_assert_max_num_queries(10):
                page = client.get(reverse("kyc:queue"), params)
            assert page.status_code == 200
            with django_assert_max_num_queries(10):
                api = client.get(reverse(API), {**params, "limit": 200})
            assert api.status_code == 200
        assert client.get(reverse(API), {"limit": 200}).json()["count"] == count


def test_the_queue_pages_with_a_total_and_a_page_past_the_end_shows_the_last(
    acme: Application, solo: Application, reviewer: Any, settings: Any
) -> None:
    settings.KYC_QUEUE_PAGE_SIZE = 1
    client = _client(reviewer)
    first = client.get(reverse("kyc:queue")).content.decode()
    assert "Page 1 of 2 (2 cases)" in first
    assert "page=2" in first
    last = client.get(reverse("kyc:queue"), {"page": "9"}).content.decode()
    assert "Page 2 of 2 (2 cases)" in last
    api = client.get(reverse(API), {"limit": 1, "offset": 1}).json()
    assert api["count"] == 2 and len(api["results"]) == 1


def test_bad_filter_values_are_ignored_rather_than_failing(acme: Application, reviewer: Any) -> None:
    client = _client(reviewer)
    params = {"status": "nonsense", "risk_level": "x", "type": "y", "country": "GBR", "assignee": "bob", "page": "-1"}
    assert client.get(reverse("kyc:queue"), params).status_code == 200
    assert _refs(client, **params) == [acme.reference]


def test_people_outside_the_staff_get_nothing_from_the_queue_api(
    acme: Application, alice: Any, charlie: Any, client: Client
) -> None:
    assert client.get(reverse(API)).status_code in (401, 403)
    for user in (alice, charlie):
        assert _client(user).get(reverse(API)).status_code == 403
    assert Person.objects.exists()


def test_the_queue_page_links_to_the_csv_export_of_the_same_filters(acme: Application, reviewer: Any) -> None:
    client = _client(reviewer)
    page = client.get(reverse("kyc:queue"), {"status": "ready_for_review", "q": "acme", "page": "1"})
    link = f"{reverse('reporting:export_queue')}?status=ready_for_review&amp;q=acme"
    assert link in page.content.decode()
    export = client.get(f"{reverse('reporting:export_queue')}?status=ready_for_review&q=acme")
    assert export.status_code == 200
    body = b"".join(export.streaming_content) if export.streaming else export.content
    assert acme.reference in body.decode()
