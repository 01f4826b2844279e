"""The owner's webhook pages: add (secret shown once), list, deliveries, rotate, disable, test event; and
that nobody but the organisation's owner reaches them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from integrations import services
from integrations.models import Delivery, Endpoint


@pytest.fixture(autouse=True)
def _local_http(settings: Any) -> None:
    settings.INTEGRATIONS_WEBHOOK_ALLOW_LOCAL_HTTP = True


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def endpoint(alice: Any) -> Endpoint:
    endpoint, _secret = services.endpoint_create(
        organisation=alice.organisations.get(),
        by=alice,
        url="https://hooks.acme.example/claystack",
        events=["application.approved"],
    )
    return endpoint


def test_an_owner_adds_an_endpoint_and_sees_its_secret_once(alice: Any) -> None:
    client = _client(alice)
    org = alice.organisations.get()
    response = client.post(
        reverse("integrations:endpoint_new"),
        {
            "organisation": str(org.public_id),
            "url": "https://hooks.acme.example/claystack",
            "description": "Treasury system",
            "events": ["application.approved", "application.revoked"],
        },
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    endpoint = Endpoint.objects.get()
    assert endpoint.organisation == org and endpoint.events == ["application.approved", "application.revoked"]
    body = response.content.decode()
    assert endpoint.secret in body and "shown once" in body
    detail = client.get(reverse("integrations:endpoint", args=[endpoint.public_id])).content.decode()
    assert endpoint.secret not in detail
    assert "https://hooks.acme.example/claystack" in client.get(reverse("integrations:endpoints")).content.decode()
    event = AuditEvent.objects.get(action="integrations.endpoint_created")
    assert endpoint.secret not in str(event.data) + str(event.after)


def test_a_plain_http_url_is_refused_with_a_message_and_nothing_is_saved(alice: Any, settings: Any) -> None:
    settings.INTEGRATIONS_WEBHOOK_ALLOW_LOCAL_HTTP = False
    response = _client(alice).post(
        reverse("integrations:endpoint_new"),
        {
            "organisation": str(alice.organisations.get().public_id),
            "url": "http://hooks.acme.example/claystack",
            "events": ["application.approved"],
        },
    )
    assert response.status_code == 200
    assert "The URL must start with https://" in response.content.decode()
    assert 'value="http://hooks.acme.example/claystack"' in response.content.decode()  # what was typed is kept
    assert not Endpoint.objects.exists()


def test_rotating_shows_the_new_secret_and_the_page_says_the_old_one_still_signs(
    alice: Any, endpoint: Endpoint
) -> None:
    client = _client(alice)
    old = endpoint.secret
    response = client.post(reverse("integrations:endpoint_action", args=[endpoint.public_id, "rotate"]))
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert endpoint.secret in response.content.decode()
    detail = client.get(reverse("integrations:endpoint", args=[endpoint.public_id])).content.decode()
    assert "the previous secret also signs until" in detail
    client.post(reverse("integrations:endpoint_action", args=[endpoint.public_id, "retire-previous"]))
    endpoint.refresh_from_db()
    assert endpoint.previous_secret == ""


def test_an_owner_disables_enables_and_sends_a_test_event(alice: Any, endpoint: Endpoint) -> None:
    client = _client(alice)
    action = "integrations:endpoint_action"
    client.post(reverse(action, args=[endpoint.public_id, "test"]))
    assert Delivery.objects.get().event_type == "webhook.test"
    client.post(reverse(action, args=[endpoint.public_id, "disable"]))
    endpoint.refresh_from_db()
    assert endpoint.status == "disabled" and endpoint.disabled_reason == "Disabled by its owner."
    page = client.get(reverse("integrations:endpoint", args=[endpoint.public_id]), follow=True).content.decode()
    assert "Disabled by its owner." in page
    response = client.post(reverse(action, args=[endpoint.public_id, "test"]), follow=True)
    assert "The endpoint is disabled; enable it before sending a test event." in response.content.decode()
    client.post(reverse(action, args=[endpoint.public_id, "enable"]))
    endpoint.refresh_from_db()
    assert endpoint.status == "active"
    assert client.post(reverse(action, args=[endpoint.public_id, "explode"])).status_code == 404


def test_the_endpoint_page_lists_deliveries_and_attempts_in_bounded_queries(
    alice: Any, endpoint: Endpoint, django_assert_max_num_queries: Any
) -> None:
    client = _client(alice)
    url = reverse("integrations:endpoint", args=[endpoint.public_id])
    for _ in range(12):
        services.endpoint_send_test(endpoint=endpoint, by=alice)
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert response.content.decode().count("webhook.test") == 12
    with django_assert_max_num_queries(10):
        assert client.get(reverse("integrations:endpoints")).status_code == 200


def test_outsiders_and_members_who_are_not_owners_cannot_reach_an_endpoint(
    endpoint: Endpoint, bob: Any, charlie: Any, reviewer: Any
) -> None:
    detail = reverse("integrations:endpoint", args=[endpoint.public_id])
    for user in (charlie, bob, reviewer):
        client = _client(user)
        assert client.get(detail).status_code == 404
        for action in ("rotate", "disable", "test", "retire-previous", "enable"):
            assert (
                client.post(reverse("integrations:endpoint_action", args=[endpoint.public_id, action])).status_code
                == 404
            )
    # Charlie owns another organisation: his list is empty of Acme's endpoint.
    assert endpoint.url not in _client(charlie).get(reverse("integrations:endpoints")).content.decode()
    # Bob (a member, not an owner) and staff manage no webhooks at all.
    for user in (bob, reviewer):
        assert _client(user).get(reverse("integrations:endpoints")).status_code == 403
        assert _client(user).get(reverse("integrations:endpoint_new")).status_code == 403
    anonymous = Client()
    assert anonymous.get(reverse("integrations:endpoints")).status_code == 302
    assert anonymous.get(detail).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.status == "active" and not Delivery.objects.exists()


def test_charlie_cannot_register_an_endpoint_for_acme(alice: Any, charlie: Any) -> None:
    response = _client(charlie).post(
        reverse("integrations:endpoint_new"),
        {
            "organisation": str(alice.organisations.get().public_id),
            "url": "https://evil.example/hook",
            "events": ["application.approved"],
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Endpoint.objects.exists()
