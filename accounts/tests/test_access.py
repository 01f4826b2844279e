"""Each persona reaches what it should and nothing more (STYLE.md personas: Alice and Bob at Acme,
Charlie elsewhere; staff by role)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.roles import StaffRole

pytestmark = pytest.mark.django_db

PAGES = ["/", "/staff/", "/staff/audit/", "/api/v1/me/", "/api/v1/organisations/", "/api/v1/audit-events/"]

# persona -> expected status per page, in PAGES order. 302 from "/" for staff is their redirect to /staff/.
EXPECTED: dict[str, list[int]] = {
    "anonymous": [302, 302, 302, 403, 403, 403],
    "applicant": [200, 403, 403, 200, 200, 403],
    StaffRole.REVIEWER: [302, 200, 403, 200, 200, 403],
    StaffRole.APPROVER: [302, 200, 200, 200, 200, 200],
    StaffRole.WHITELIST_ADMIN: [302, 200, 403, 200, 200, 403],
    StaffRole.BOARD_MEMBER: [302, 200, 403, 200, 200, 403],
    StaffRole.AUDITOR: [302, 200, 200, 200, 200, 200],
}


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_each_persona_gets_the_expected_answer_on_every_page(
    client: Client, persona: str, alice: Any, make_staff: Callable[..., Any]
) -> None:
    if persona == "applicant":
        client.force_login(alice)
    elif persona != "anonymous":
        client.force_login(make_staff(persona))
    got = [client.get(url).status_code for url in PAGES]
    assert dict(zip(PAGES, got, strict=True)) == dict(zip(PAGES, EXPECTED[persona], strict=True))


def test_anonymous_visitors_are_sent_to_the_login_page(client: Client) -> None:
    response = client.get("/staff/audit/")
    assert response["Location"] == "/accounts/login/?next=/staff/audit/"


def test_an_applicant_denied_a_staff_page_sees_the_portal_403_page(client: Client, alice: Any) -> None:
    client.force_login(alice)
    response = client.get("/staff/")
    assert response.status_code == 403
    assert b"You do not have access to this page" in response.content


def test_an_unknown_page_shows_the_portal_404_page(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"We could not find that page" in response.content


def test_organisations_are_scoped_to_the_members(client: Client, alice: Any, bob: Any, charlie: Any) -> None:
    client.force_login(bob)
    names = [o["name"] for o in client.get("/api/v1/organisations/").json()]
    assert names == ["Acme Capital Ltd"]
    client.force_login(charlie)
    names = [o["name"] for o in client.get("/api/v1/organisations/").json()]
    assert names == ["Other Holdings"]


def test_me_describes_the_signed_in_user(client: Client, alice: Any) -> None:
    client.force_login(alice)
    body = client.get("/api/v1/me/").json()
    assert body["email"] == "alice@acme.example"
    assert body["staff_roles"] == []
    assert body["organisations"][0]["my_role"] == "owner"


def test_the_audit_api_lists_events_newest_first_for_an_auditor(client: Client, auditor: Any, alice: Any) -> None:
    from core.audit import audit_record

    audit_record(actor=alice, action="test.first")
    audit_record(actor=alice, action="test.second")
    client.force_login(auditor)
    results = client.get("/api/v1/audit-events/?action=test.").json()["results"]
    assert [r["action"] for r in results] == ["test.second", "test.first"]


def test_the_audit_page_filters_by_actor(client: Client, auditor: Any, alice: Any, bob: Any) -> None:
    from core.audit import audit_record

    audit_record(actor=alice, action="test.by_alice")
    audit_record(actor=bob, action="test.by_bob")
    client.force_login(auditor)
    page = client.get("/staff/audit/", {"actor": "bob@acme.example"}).content.decode()
    assert "test.by_bob" in page
    assert "test.by_alice" not in page


def test_the_audit_list_runs_a_bounded_number_of_queries(
    client: Client, auditor: Any, alice: Any, django_assert_max_num_queries: Any
) -> None:
    from core.audit import audit_record

    for i in range(60):
        audit_record(actor=alice, action=f"test.n{i}")
    client.force_login(auditor)
    with django_assert_max_num_queries(12):
        assert client.get("/staff/audit/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/api/v1/audit-events/").status_code == 200


def test_the_api_schema_and_docs_are_served_to_anyone(client: Client) -> None:
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/me/" in schema.content
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn" not in docs.content.lower()
