"""Fuzzing the API from its own OpenAPI schema (schemathesis): no operation may answer with a server error,
whatever it is sent, signed in or not.

The schema is the one the portal serves at /api/v1/schema/, loaded through the WSGI application in process;
every generated request goes through the whole Django stack (middleware, CSRF, authentication, throttling,
the view, the exception handler), as it would from outside. Each operation gets valid (positive) requests
anonymously and as Alice, an applicant signed in with a session cookie and the CSRF token a browser would
send, and invalid (negative) ones as Alice; path ids are tried both as generated (unknown ids) and as Alice's
real application, people, documents, wallets, organisation and node operator, so the views get past their lookups.

Bounded and reproducible for CI: a fixed number of examples per operation and mode, derandomized.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from eth_account import Account
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from kyc.tests.factories import complete_company
from operators.tests.factories import OperatorFactory

EXAMPLES_PER_MODE = 8
FUZZ = settings(
    max_examples=EXAMPLES_PER_MODE,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],  # no shrinking: the failure message names the request already
)


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """The project's WSGI handler, minus the end-of-request connection cleanup: the requests run inside the
    test's transaction (as Django's test client arranges too), so closing the connection would lose it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class Persona:
    name: str
    # Anonymous calls stop at authentication whatever their input, so invalid input is tried signed in only.
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE,)
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    # Real ids by path prefix: {"/api/v1/applications/": {"public_id": ..., "person_id": ...}, ...}
    ids: dict[str, dict[str, str]] = field(default_factory=dict)

    def ids_for(self, path: str) -> dict[str, str]:
        return next((ids for prefix, ids in self.ids.items() if path.startswith(prefix)), {})


def _alice(alice: Any) -> Persona:
    application = complete_company(alice, Account.create())
    operator = OperatorFactory(organisation=alice.organisations.get())
    client = Client()
    client.force_login(alice)
    csrf = _get_new_csrf_string()
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return Persona(
        name="alice",
        modes=(GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
        headers={"X-CSRFToken": csrf},
        cookies={django_settings.SESSION_COOKIE_NAME: session, django_settings.CSRF_COOKIE_NAME: csrf},
        ids={
            "/api/v1/applications/": {
                "public_id": str(application.public_id),
                "person_id": str(application.people.first().public_id),
                "document_id": str(application.documents.first().public_id),
                "wallet_id": str(application.wallets.first().public_id),
            },
            "/api/v1/organisations/": {"public_id": str(alice.organisations.get().public_id)},
            "/api/v1/operators/": {"public_id": str(operator.public_id)},
        },
    )


@pytest.fixture
def personas(alice: Any) -> list[Persona]:
    return [Persona(name="anonymous"), _alice(alice)]


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # Throttling answers 429 (not an error), but it would stop the fuzzing from reaching the views.
    settings.API_THROTTLE_RATES = {"api_key": None, "user": None}


def _call(case: Any, persona: Persona, with_real_ids: bool) -> None:
    if with_real_ids:
        for name, value in persona.ids_for(case.path).items():
            if case.path_parameters and name in case.path_parameters:
                case.path_parameters[name] = value
    response = case.call(headers=persona.headers, cookies=persona.cookies)
    if response.status_code >= 500:
        raise AssertionError(
            f"{persona.name}: {case.method} {case.formatted_path} answered {response.status_code}\n"
            f"path={case.path_parameters} query={case.query} body={case.body!r}"
        )
    case.validate_response(response, checks=[not_a_server_error])


def _fuzz(operation: Any, mode: GenerationMode, persona: Persona) -> bool:
    """False when the operation has nothing that mode can generate (no input to make invalid)."""
    with_ids = bool(persona.ids_for(operation.path)) and "{" in operation.path

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        _call(case, persona, with_real_ids=False)
        if with_ids:
            _call(case, persona, with_real_ids=True)

    try:
        run()
    except Unsatisfiable:
        return False
    return True


@pytest.mark.django_db
def test_no_api_operation_answers_with_a_server_error_whatever_it_is_sent(wsgi_app, personas):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20  # the schema really was read (kyc, accounts, whitelist, operators)
    tried = 0
    for operation in operations:
        for persona in personas:
            for mode in persona.modes:
                tried += _fuzz(operation, mode, persona)
    assert tried >= len(operations) * len(personas)  # every operation at least in the positive mode
