"""The authorisation matrix, checked against the running portal: every page (from the URL resolver) and every API
operation (from the OpenAPI schema), for each persona, answers as core/tests/authz/matrix.py says.

A URL or operation without an entry fails `test_every_url_has_an_entry_in_the_matrix` (or its schema twin) with
its name; an entry whose URL is gone fails `test_every_entry_still_names_a_url`. The objects the URLs point at
are built once for the module (one object of each kind, all owned by organisation A) and every request runs in
its own savepoint, so an owner's successful POST (a deletion, say) does not change what the next persona sees.
Unsafe requests carry a valid CSRF token from a client that enforces CSRF, so a denial is the access rule's;
`test_an_unsafe_request_without_a_csrf_token_is_refused` checks the token is needed. Every HTML answer must carry
the Content-Security-Policy header.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings
from django.urls import resolve

from accounts.authentication import ApiKeyAuthentication, required_scope
from accounts.models import ApiKeyScope
from core.tests.authz import matrix
from core.tests.authz.probe import FORBIDDEN, matches, request_as
from core.tests.authz.walk import (
    API_PREFIX,
    Route,
    resolver_routes,
    schema_operations,
    schema_path_of,
    url_for,
    url_for_schema,
)
from core.tests.authz.world import ANON, OWNER, PERSONAS, World, build_world

pytestmark = [pytest.mark.django_db]

_ROUTES = {r.key: r for r in resolver_routes()}
_ADMIN_ROUTES = sorted(k for k, r in _ROUTES.items() if r.route.startswith(matrix.ADMIN_PREFIX))
_API_ROUTES = [r for r in resolver_routes() if r.route.startswith(API_PREFIX) and r.key not in matrix.PAGES]


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The objects and one signed-in session per persona, in a transaction rolled back after the module."""
    media: Path = tmp_path_factory.mktemp("authz-media")
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=media,
            API_THROTTLE_RATES={},
            WHITELIST_SAFE_ADDRESS="0x" + "66" * 20,
        ),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = build_world()
            sessions: dict[str, str] = {}
            for persona, user in built.users.items():
                if user is not None:
                    client = Client()
                    client.force_login(user)
                    sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
            built.extra["sessions"] = sessions
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _module_settings(settings: Any, world: World) -> None:
    # override_settings in the module fixture does not survive pytest-django's per-test settings fixture.
    settings.API_THROTTLE_RATES = {}
    settings.WHITELIST_SAFE_ADDRESS = "0x" + "66" * 20


def _client(world: World, persona: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    session = world.extra["sessions"].get(persona)
    if session:
        client.cookies[settings.SESSION_COOKIE_NAME] = session
    return client


def _check(world: World, method: str, url: str, expected: dict[str, str], personas: tuple[str, ...]) -> None:
    problems = []
    for persona in personas:
        savepoint = transaction.savepoint()
        try:
            observed, wrote_audit, response = request_as(_client(world, persona), method, url)
        finally:
            transaction.savepoint_rollback(savepoint)
        if response.get("Content-Type", "").startswith("text/html") and "Content-Security-Policy" not in response:
            problems.append(f"{persona}: an HTML answer without a Content-Security-Policy header")
        if not matches(expected[persona], observed, wrote_audit):
            note = " and wrote an audit event" if wrote_audit else ""
            problems.append(f"{persona}: expected {expected[persona]}, got {observed}{note}")
    assert not problems, f"{method} {url}:\n  " + "\n  ".join(problems)


# Coverage of the table -------------------------------------------------------------------------------------


def test_every_url_has_an_entry_in_the_matrix() -> None:
    schema_paths = {path for path, _method in schema_operations()}
    missing = []
    for route in resolver_routes():
        if route.route.startswith(matrix.ADMIN_PREFIX) or route.key in matrix.PAGES:
            continue
        if route.route.startswith(API_PREFIX):
            if schema_path_of(route) not in schema_paths:
                missing.append(f"{route.key} ({route.route}): an API URL the OpenAPI schema does not document")
            continue
        missing.append(f"{route.key} ({route.route})")
    assert not missing, "Add these URLs to the matrix in core/tests/authz/matrix.py:\n  " + "\n  ".join(missing)


def test_every_api_operation_has_an_entry_in_the_matrix() -> None:
    missing = [f"{method} {path}" for path, method in schema_operations() if (path, method) not in matrix.OPERATIONS]
    assert not missing, "Add these API operations to matrix.OPERATIONS in core/tests/authz/matrix.py:\n  " + (
        "\n  ".join(missing)
    )


def test_every_entry_still_names_a_url() -> None:
    operations = set(schema_operations())
    gone = [name for name in matrix.PAGES if name not in _ROUTES]
    gone += [f"{method} {path}" for path, method in matrix.OPERATIONS if (path, method) not in operations]
    gone += [name for name in matrix.ADMIN_EXCEPTIONS if name not in _ROUTES]
    assert not gone, "These matrix entries name URLs that no longer exist; remove them:\n  " + "\n  ".join(gone)


def test_every_row_names_every_persona() -> None:
    rows = [(f"{n} {m}", r) for n, methods in matrix.PAGES.items() for m, r in methods.items()]
    rows += [(f"{m} {p}", r) for (p, m), r in matrix.OPERATIONS.items()]
    incomplete = [name for name, row in rows if set(row) != set(PERSONAS)]
    assert not incomplete, incomplete


# The answers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "method"), [(n, m) for n, methods in sorted(matrix.PAGES.items()) for m in methods])
def test_each_page_answers_each_persona_as_the_matrix_says(world: World, name: str, method: str) -> None:
    route: Route | None = _ROUTES.get(name)
    if route is None:
        pytest.fail(f"{name} is in the matrix but not in the URL resolver")
    _check(world, method, url_for(world, route), matrix.PAGES[name][method], PERSONAS)


@pytest.mark.parametrize(("path", "method"), sorted(matrix.OPERATIONS))
def test_each_api_operation_answers_each_persona_as_the_matrix_says(world: World, path: str, method: str) -> None:
    _check(world, method, url_for_schema(world, path), matrix.OPERATIONS[(path, method)], PERSONAS)


@pytest.mark.parametrize(("path", "method"), sorted(matrix.OPERATIONS))
def test_an_api_key_opens_only_the_operations_that_declare_its_scope(world: World, path: str, method: str) -> None:
    """A key with every scope answers like its owner where the view declares a scope and is refused elsewhere; a
    status:read key is refused where the view asks for another scope. A view without API-key authentication (a
    public one) ignores the header and answers as it does anonymous callers."""
    url = url_for_schema(world, path)
    view = resolve(url).func.view_class
    takes_keys = any(isinstance(a, ApiKeyAuthentication) for a in view().get_authenticators())
    scope = required_scope(view, method)
    owner_outcome = matrix.OPERATIONS[(path, method)][OWNER]
    for key_name, key_scopes in (("key_all", set(ApiKeyScope.values)), ("key_read", {"status:read"})):
        savepoint = transaction.savepoint()
        try:
            observed, wrote_audit, response = request_as(
                Client(), method, url, headers={"Authorization": f"Api-Key {world.extra[key_name]}"}
            )
        finally:
            transaction.savepoint_rollback(savepoint)
        if not takes_keys:
            anonymous = matrix.OPERATIONS[(path, method)][ANON]
            assert matches(anonymous, observed, wrote_audit), f"{key_name}: expected {anonymous}, got {observed}"
        elif scope is not None and scope in key_scopes:
            assert matches(owner_outcome, observed, wrote_audit), (
                f"{key_name}: expected {owner_outcome}, got {observed}"
            )
        else:
            assert observed == FORBIDDEN and not wrote_audit, f"{key_name}: expected 403, got {observed}"
            expected_text = "lacks the scope" if scope else "does not accept API keys"
            assert expected_text in response.json()["detail"]


@pytest.mark.parametrize("key", _ADMIN_ROUTES)
def test_each_admin_url_sends_every_persona_to_sign_in(world: World, key: str) -> None:
    expected = matrix.ADMIN_EXCEPTIONS.get(key, matrix.ADMIN_RULE)
    personas = PERSONAS if key in matrix.ADMIN_EXCEPTIONS or key == "admin:index" else matrix.ADMIN_PERSONAS
    _check(world, "GET", url_for(world, _ROUTES[key]), expected, personas)


@pytest.mark.parametrize(
    "url_of",
    [
        lambda w: f"/organisations/{w.org_a.public_id}/api-keys/",
        lambda w: f"/applications/{w.application.public_id}/submit/",
        lambda w: f"/api/v1/applications/{w.application.public_id}/submit/",
    ],
    ids=["page form", "page action", "session API"],
)
def test_an_unsafe_request_without_a_csrf_token_is_refused(world: World, url_of: Any) -> None:
    client = _client(world, OWNER)
    response = client.post(url_of(world))
    assert response.status_code == int(FORBIDDEN)
    assert "CSRF" in response.content.decode()
