"""API keys for institutions: created by an owner and shown once, stored hashed, scoped, expiring, rotated with a
grace period, revocable, throttled per key, and confined to the key's organisation."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from accounts.api_keys import api_key_create, api_key_revoke, api_key_rotate
from accounts.models import ApiKey, Membership
from core.exceptions import ApplicationError
from core.models import AuditEvent
from kyc.models import Application
from kyc.services import application_create

pytestmark = pytest.mark.django_db

BOTH = ["status:read", "applications:submit"]


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    # Throttle counters live in the cache, which (on Redis) outlives a test.
    cache.clear()


def _issue(user: Any, scopes: list[str] | None = None, days: int = 30) -> tuple[ApiKey, str]:
    issued = api_key_create(
        organisation=user.organisations.get(), name="Back office", scopes=scopes or BOTH, expires_in_days=days, by=user
    )
    return issued.api_key, issued.plaintext


def _get(path: str, key: str, scheme: str = "Api-Key") -> Any:
    return Client().get(path, HTTP_AUTHORIZATION=f"{scheme} {key}")


def _post(path: str, key: str, data: dict[str, Any]) -> Any:
    return Client(enforce_csrf_checks=True).post(
        path, data, content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {key}"
    )


def test_an_owner_creates_a_key_that_is_shown_once_and_stored_only_as_a_hash(client: Client, alice: Any) -> None:
    org = alice.organisations.get()
    client.force_login(alice)
    response = client.post(
        f"/organisations/{org.public_id}/api-keys/",
        {"name": "Back office", "scopes": ["status:read"], "expires_in_days": "30"},
    )
    assert response.status_code == 200
    key = ApiKey.objects.get(organisation=org)
    plaintext = response.context["issued"].plaintext
    assert plaintext.startswith(f"csk_{key.prefix}_")
    assert plaintext in response.content.decode()
    assert key.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in str(list(ApiKey.objects.values()))
    assert "no-store" in response["Cache-Control"]
    listing = client.get(f"/organisations/{org.public_id}/api-keys/").content.decode()
    assert key.prefix in listing and plaintext not in listing
    event = AuditEvent.objects.get(action="api_key.created")
    assert event.actor == alice and plaintext not in str(event.after)


def test_the_api_creates_a_key_and_never_lists_the_secret_again(client: Client, alice: Any) -> None:
    org = alice.organisations.get()
    client.force_login(alice)
    created = client.post(
        f"/api/v1/organisations/{org.public_id}/api-keys/",
        {"name": "ERP", "scopes": ["applications:submit"], "expires_in_days": 7},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    plaintext = created.json()["key"]
    listed = client.get(f"/api/v1/organisations/{org.public_id}/api-keys/").json()
    assert [k["prefix"] for k in listed] == [created.json()["prefix"]]
    assert "key" not in listed[0] and plaintext not in str(listed)


def test_an_unknown_scope_is_refused_with_its_name(client: Client, alice: Any) -> None:
    org = alice.organisations.get()
    client.force_login(alice)
    response = client.post(
        f"/api/v1/organisations/{org.public_id}/api-keys/",
        {"name": "ERP", "scopes": ["admin:all"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "admin:all" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_a_key_reads_its_organisations_application_status(alice: Any) -> None:
    application = application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
    key, plaintext = _issue(alice, ["status:read"])
    response = _get(f"/api/v1/applications/{application.public_id}/", plaintext)
    assert response.status_code == 200
    assert response.json()["status"] == "draft"
    assert _get("/api/v1/applications/", plaintext, scheme="Bearer").json()["count"] == 1
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_status_key_reads_the_status_and_none_of_the_personal_data(alice: Any) -> None:
    from eth_account import Account

    from kyc.tests.factories import complete_company

    application = complete_company(alice, Account.create())
    person = application.people.first()
    assert person is not None and person.date_of_birth is not None
    _key, plaintext = _issue(alice, ["status:read"])
    response = _get(f"/api/v1/applications/{application.public_id}/", plaintext)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == application.status and body["reference"] == application.reference
    for hidden in ("people", "company", "documents", "wallets", "source_of_funds", "missing"):
        assert hidden not in body, hidden
    text = response.content.decode()
    for value in (person.legal_name, person.id_document_number, person.residential_address, str(person.date_of_birth)):
        assert value not in text
    # With the submit scope too, the key reads what it filled in.
    _key, full = _issue(alice, BOTH)
    assert _get(f"/api/v1/applications/{application.public_id}/", full).json()["people"]


def test_a_key_without_the_submit_scope_cannot_create_an_application(alice: Any) -> None:
    _key, plaintext = _issue(alice, ["status:read"])
    response = _post("/api/v1/applications/", plaintext, {"subject_type": "institution"})
    assert response.status_code == 403
    assert "applications:submit" in response.json()["detail"]
    assert not Application.objects.exists()


def test_a_key_with_the_submit_scope_creates_an_application_for_its_organisation(alice: Any) -> None:
    _key, plaintext = _issue(alice, ["applications:submit"])
    response = _post("/api/v1/applications/", plaintext, {"subject_type": "institution"})
    assert response.status_code == 201, response.content
    application = Application.objects.get()
    assert application.organisation == alice.organisations.get()
    assert AuditEvent.objects.filter(actor=alice, action__startswith="application.").exists()


def test_a_key_cannot_reach_another_application_its_creator_can_see(alice: Any, charlie: Any) -> None:
    # Charlie also belongs to Acme: his key for Other Holdings must not open Acme's application.
    Membership.objects.create(user=charlie, organisation=alice.organisations.get(), role="member")
    acme_app = application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
    issued = api_key_create(
        organisation=charlie.organisations.get(name="Other Holdings"),
        name="Other",
        scopes=BOTH,
        expires_in_days=30,
        by=charlie,
    )
    assert _get(f"/api/v1/applications/{acme_app.public_id}/", issued.plaintext).status_code == 404
    assert _get("/api/v1/applications/", issued.plaintext).json()["count"] == 0
    refused = _post(
        "/api/v1/applications/",
        issued.plaintext,
        {"subject_type": "institution", "organisation": str(alice.organisations.get().public_id)},
    )
    assert refused.status_code == 400


@pytest.mark.parametrize(
    "problem", ["wrong secret", "unknown prefix", "expired", "revoked", "creator left", "creator demoted"]
)
def test_a_bad_key_gets_a_401_that_names_no_detail_of_the_key(alice: Any, problem: str) -> None:
    key, plaintext = _issue(alice)
    if problem == "wrong secret":
        plaintext = plaintext[:-4] + ("AAAA" if not plaintext.endswith("AAAA") else "BBBB")
    elif problem == "unknown prefix":
        plaintext = "csk_000000000000_" + plaintext.rsplit("_", 1)[1]
    elif problem == "expired":
        ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif problem == "revoked":
        api_key_revoke(api_key=key, by=alice)
    elif problem == "creator demoted":
        Membership.objects.filter(user=alice).update(role=Membership.Role.MEMBER)
    else:
        Membership.objects.filter(user=alice).delete()
    response = _get("/api/v1/applications/", plaintext)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Api-Key")
    assert response.json()["detail"] == "This API key is not valid: it is unknown, revoked or expired."


def test_a_key_is_refused_by_endpoints_that_declare_no_scope(alice: Any, auditor: Any) -> None:
    _key, plaintext = _issue(alice)
    for path in [
        "/api/v1/me/",
        "/api/v1/audit-events/",
        f"/api/v1/organisations/{alice.organisations.get().public_id}/api-keys/",
    ]:
        response = _get(path, plaintext)
        assert response.status_code == 403, path
        assert "does not accept API keys" in response.json()["detail"]


def test_rotation_issues_a_new_key_and_the_old_one_works_for_the_grace_period(alice: Any, settings: Any) -> None:
    settings.API_KEY_ROTATION_GRACE_SECONDS = 3600
    old, old_plain = _issue(alice, days=90)
    issued = api_key_rotate(api_key=old, by=alice)
    old.refresh_from_db()
    assert old.replaced_by == issued.api_key
    assert old.expires_at <= timezone.now() + timedelta(seconds=3601)
    assert issued.api_key.expires_at > timezone.now() + timedelta(days=89)
    assert _get("/api/v1/applications/", old_plain).status_code == 200
    assert _get("/api/v1/applications/", issued.plaintext).status_code == 200
    with pytest.raises(ApplicationError, match="already rotated"):
        api_key_rotate(api_key=old, by=alice)
    ApiKey.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _get("/api/v1/applications/", old_plain).status_code == 401
    assert AuditEvent.objects.filter(action="api_key.rotated", actor=alice).count() == 1


def test_rotation_with_no_grace_revokes_the_old_key_at_once(client: Client, alice: Any, settings: Any) -> None:
    settings.API_KEY_ROTATION_GRACE_SECONDS = 0
    old, old_plain = _issue(alice)
    org = alice.organisations.get()
    client.force_login(alice)
    response = client.post(f"/organisations/{org.public_id}/api-keys/{old.public_id}/rotate/")
    assert response.status_code == 200
    new_plain = response.context["issued"].plaintext
    assert new_plain in response.content.decode()
    assert _get("/api/v1/applications/", old_plain).status_code == 401
    assert _get("/api/v1/applications/", new_plain).status_code == 200


def test_an_owner_revokes_a_key_from_the_page_and_it_stops_working(client: Client, alice: Any) -> None:
    key, plaintext = _issue(alice)
    org = alice.organisations.get()
    client.force_login(alice)
    response = client.post(f"/organisations/{org.public_id}/api-keys/{key.public_id}/revoke/")
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == alice
    assert _get("/api/v1/applications/", plaintext).status_code == 401
    assert AuditEvent.objects.get(action="api_key.revoked").actor == alice


def test_a_colleague_who_is_not_an_owner_cannot_manage_keys(client: Client, alice: Any, bob: Any) -> None:
    key, _plaintext = _issue(alice)
    org = alice.organisations.get()
    client.force_login(bob)
    assert client.get(f"/organisations/{org.public_id}/api-keys/").status_code == 403
    assert client.post(f"/organisations/{org.public_id}/api-keys/{key.public_id}/revoke/").status_code == 403
    api = client.post(
        f"/api/v1/organisations/{org.public_id}/api-keys/",
        {"name": "x", "scopes": BOTH},
        content_type="application/json",
    )
    assert api.status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None
    with pytest.raises(ApplicationError, match="Only an owner"):
        api_key_create(organisation=org, name="x", scopes=BOTH, expires_in_days=1, by=bob)


def test_an_outsider_cannot_see_or_touch_another_organisations_keys(client: Client, alice: Any, charlie: Any) -> None:
    key, _plaintext = _issue(alice)
    org = alice.organisations.get()
    client.force_login(charlie)
    assert client.get(f"/organisations/{org.public_id}/api-keys/").status_code == 404
    assert client.post(f"/organisations/{org.public_id}/api-keys/{key.public_id}/rotate/").status_code == 404
    assert client.get(f"/api/v1/organisations/{org.public_id}/api-keys/").status_code == 404
    assert client.post(f"/api/v1/organisations/{org.public_id}/api-keys/{key.public_id}/revoke/").status_code == 404
    own = charlie.organisations.get()
    # Charlie's own organisation in the URL with Acme's key id: still not found.
    assert client.post(f"/api/v1/organisations/{own.public_id}/api-keys/{key.public_id}/revoke/").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None and key.replaced_by is None


def test_a_key_is_throttled_with_a_429_and_retry_after(alice: Any, settings: Any) -> None:
    settings.API_THROTTLE_RATES = {"api_key": "3/minute", "user": None}
    _key, plaintext = _issue(alice)
    _other, other_plain = _issue(alice)
    for _ in range(3):
        assert _get("/api/v1/applications/", plaintext).status_code == 200
    throttled = _get("/api/v1/applications/", plaintext)
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert _get("/api/v1/applications/", other_plain).status_code == 200  # each key has its own budget


def test_a_signed_in_user_is_throttled_per_user(client: Client, alice: Any, bob: Any, settings: Any) -> None:
    settings.API_THROTTLE_RATES = {"api_key": None, "user": "2/minute"}
    client.force_login(alice)
    assert client.get("/api/v1/me/").status_code == 200
    assert client.get("/api/v1/organisations/").status_code == 200
    throttled = client.get("/api/v1/me/")
    assert throttled.status_code == 429 and "Retry-After" in throttled
    other = Client()
    other.force_login(bob)
    assert other.get("/api/v1/me/").status_code == 200


def test_the_key_list_runs_a_bounded_number_of_queries(
    client: Client, alice: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        key, _plaintext = _issue(alice)
        api_key_rotate(api_key=key, by=alice)
    org = alice.organisations.get()
    client.force_login(alice)
    with django_assert_max_num_queries(12):
        assert client.get(f"/organisations/{org.public_id}/api-keys/").status_code == 200
    with django_assert_max_num_queries(10):
        assert len(client.get(f"/api/v1/organisations/{org.public_id}/api-keys/").json()) == 10
