"""With Redis unreachable (a URL naming a closed loopback port), pages keep answering: the cache fails open with
a logged warning, so throttles and rate limits let requests through; tasks enqueued after a commit are logged
when the broker refuses them, and the committed work stands; readiness still reports the outage."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from accounts.tests.factories import PASSWORD, UserFactory

CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every connection is refused at once


@pytest.fixture
def cache_down(settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": CLOSED,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.REDIS_URL = CLOSED
    # The limits that read the cache, all on.
    settings.API_THROTTLE_RATES = {"api_key": "600/minute", "user": "1200/minute"}
    settings.WHITELIST_LOOKUP_RATE = "120/minute"
    settings.ACCOUNT_RATE_LIMITS = {"login": "30/m/ip", "login_failed": "10/m/ip,5/5m/key"}


@pytest.fixture
def broker_down() -> Iterator[None]:
    from claystack_portal.celery import app

    def reset_connections() -> None:
        from kombu import pools

        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        # kombu keeps producer pools per connection in a global registry: without clearing it, the next task sent
        # after this test (even an eager one, which borrows a producer for its serializer) finds the closed pool.
        pools.reset()

    saved = app.conf.broker_url
    reset_connections()
    app.conf.broker_url = CLOSED
    yield
    reset_connections()
    app.conf.broker_url = saved


def _warned(caplog: pytest.LogCaptureFixture) -> bool:
    return any(r.levelno == logging.WARNING and "Cache unavailable" in r.getMessage() for r in caplog.records)


@pytest.fixture(autouse=True)
def _every_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    # The warning is logged at most every 30 s per process: let each test see its own.
    monkeypatch.setattr("core.cache._last_warning", -1e9)


def test_api_calls_answer_with_redis_unreachable(
    db: Any, cache_down: None, alice: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from accounts.api_keys import api_key_create

    client = Client()
    client.force_login(alice)
    assert client.get("/api/v1/applications/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    issued = api_key_create(
        organisation=alice.organisations.get(), name="ERP", scopes=["status:read"], expires_in_days=5, by=alice
    )
    keyed = Client().get("/api/v1/applications/", HTTP_AUTHORIZATION=f"Api-Key {issued.plaintext}")
    assert keyed.status_code == 200
    assert _warned(caplog)


def test_sign_in_works_with_redis_unreachable(db: Any, cache_down: None, caplog: pytest.LogCaptureFixture) -> None:
    user = UserFactory(email="hana@example.com")
    client = Client()
    wrong = client.post("/accounts/login/", {"login": user.email, "password": "wrong"})
    assert wrong.status_code == 200 and "not correct" in wrong.content.decode()
    right = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert right.status_code == 302
    assert client.get("/applications/").status_code == 200
    assert _warned(caplog)


def test_the_public_lookup_answers_with_redis_unreachable(db: Any, cache_down: None) -> None:
    response = Client().get("/api/v1/whitelist/0x" + "ab" * 20)
    assert response.status_code == 200
    assert response.json()["stakers"]["status"] == "not_listed"


def test_readiness_still_reports_the_unreachable_cache(db: Any, cache_down: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 503
    redis = response.json()["checks"]["redis"]
    assert (redis["ok"], redis["error"], redis["backend"]) == (False, "ConnectionError", "redis")


@pytest.mark.django_db(transaction=True)
def test_a_submission_commits_and_answers_normally_when_the_broker_refuses_the_task(
    broker_down: None, alice: Any, settings: Any, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from eth_account import Account

    from kyc.models import Application
    from kyc.tests.factories import complete_individual

    settings.MEDIA_ROOT = tmp_path / "media"
    application = complete_individual(alice, Account.create())
    client = Client()
    client.force_login(alice)
    response = client.post(f"/applications/{application.public_id}/submit/")
    assert response.status_code == 302, response.content[:500]
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    # The lost enqueue is logged; kyc.screening_sweep starts the screening of cases left submitted.
    assert any(r.levelno == logging.ERROR and "on_commit" in r.getMessage() for r in caplog.records)


def test_the_error_page_claims_nothing_it_cannot_know() -> None:
    from django.template.loader import render_to_string

    page = render_to_string("500.html")
    assert "half-saved" not in page
    assert "may or may not have been saved" in page
