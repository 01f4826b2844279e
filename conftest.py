"""Shared fixtures. Personas follow STYLE.md: Alice and Bob are colleagues in one applicant organisation,
Charlie is an outsider; staff personas are named by role."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from accounts.tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    StaffUserFactory,
    UserFactory,
)


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = os.environ.get("DATABASE_URL", "")
    redis = os.environ.get("REDIS_URL", "")
    return [
        "database: " + ("PostgreSQL " + db.split("@")[-1] if db.startswith("postgres") else "SQLite (fallback)"),
        "redis: " + (redis.split("@")[-1] if redis else "not available (in-memory cache)"),
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    has_redis = bool(os.environ.get("REDIS_URL"))
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL; this run fell back to SQLite"))
        if "redis" in item.keywords and not has_redis:
            item.add_marker(pytest.mark.skip(reason="needs Redis; none was reachable for this run"))


@pytest.fixture
def alice(db: Any) -> Any:
    """Owner of Acme, an applicant institution."""
    user = UserFactory(email="alice@acme.example", full_name="Alice Owner")
    org = OrganisationFactory(name="Acme Capital Ltd")
    MembershipFactory(user=user, organisation=org, role="owner")
    return user


@pytest.fixture
def bob(alice: Any) -> Any:
    """Alice's colleague at Acme."""
    user = UserFactory(email="bob@acme.example", full_name="Bob Colleague")
    MembershipFactory(user=user, organisation=alice.organisations.get(), role="member")
    return user


@pytest.fixture
def charlie(db: Any) -> Any:
    """An applicant of another organisation: the outsider."""
    user = UserFactory(email="charlie@other.example", full_name="Charlie Outsider")
    MembershipFactory(user=user, organisation=OrganisationFactory(name="Other Holdings"), role="owner")
    return user


@pytest.fixture
def make_staff(db: Any) -> Callable[..., Any]:
    def make(*roles: str, mfa: bool = True, email: str | None = None) -> Any:
        kwargs: dict[str, Any] = {"roles": list(roles), "mfa": mfa}
        if email:
            kwargs["email"] = email
        return StaffUserFactory(**kwargs)

    return make


@pytest.fixture
def reviewer(make_staff: Callable[..., Any]) -> Any:
    return make_staff("reviewer", email="rita.reviewer@claystack.example")


@pytest.fixture
def approver(make_staff: Callable[..., Any]) -> Any:
    return make_staff("approver", email="arjun.approver@claystack.example")


@pytest.fixture
def auditor(make_staff: Callable[..., Any]) -> Any:
    return make_staff("auditor", email="aude.auditor@claystack.example")


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"
