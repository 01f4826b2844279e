"""What the matrix is checked against: every URL pattern of the resolver and every operation of the OpenAPI
schema, with concrete URLs built from the world's objects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.tests.authz.world import World

API_PREFIX = "api/v1/"


@dataclass(frozen=True)
class Route:
    """One URL pattern: `key` is its name (namespace:name) or, for the admin's unnamed patterns, its route."""

    key: str
    route: str
    name: str | None
    params: tuple[str, ...]


def _params(pattern: Any) -> tuple[str, ...]:
    if hasattr(pattern, "converters") and pattern.converters:
        return tuple(pattern.converters)
    regex = getattr(pattern, "regex", None)
    return tuple(regex.groupindex) if regex is not None else ()


def _walk(patterns: list[Any], prefix: str, namespace: str, params: tuple[str, ...]) -> list[Route]:
    found: list[Route] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            found += _walk(p.url_patterns, prefix + str(p.pattern), ns, params + _params(p.pattern))
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if (namespace and p.name) else p.name
            route = prefix + str(p.pattern)
            found.append(Route(key=name or route, route=route, name=name, params=params + _params(p.pattern)))
    return found


@cache
def resolver_routes() -> tuple[Route, ...]:
    return tuple(_walk(get_resolver().url_patterns, "", "", ()))


@cache
def schema_operations() -> tuple[tuple[str, str], ...]:
    """(path, METHOD) for every operation the OpenAPI schema documents, e.g. ('/api/v1/me/', 'GET')."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    ops = []
    for path, item in schema["paths"].items():
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                ops.append((path, method.upper()))
    return tuple(sorted(ops))


def schema_path_of(route: Route) -> str:
    """The OpenAPI path of an API route: /api/v1/applications/{public_id}/ for applications/<uuid:public_id>/."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route.route)


# URL parameter values, by parameter name and the URL they appear in. A parameter the table cannot fill fails the
# test with its name, so a new URL shape gets a value here.
def param_value(world: World, route: str, param: str) -> str:
    x = world.extra
    by_route: list[tuple[str, str, Any]] = [
        ("public_id", "staff/cases/", world.case.public_id),
        ("public_id", "review/cases/", world.case.public_id),
        ("public_id", "applications/", world.application.public_id),
        ("public_id", "organisations/", world.org_a.public_id),
        ("public_id", "operators/", x.get("operator") and x["operator"].public_id),
        ("public_id", "integrations/", x.get("endpoint") and x["endpoint"].public_id),
        ("public_id", "staff/privacy/holds/", world.case.public_id),
        ("pk", "/safe.json", x["safe_batch"].pk),
        ("pk", "staff/whitelist/batches/", x["batch"].pk),
        ("pk", "staff/whitelist/drift/", x["reconciliation"].pk),
        ("pk", "staff/integrity/", x["verification"].pk),
        ("address", "staff/whitelist/address/", world.case_wallet.address),
        ("address", "api/v1/whitelist/", world.case_wallet.address),
        ("action", "staff/cases/", "claim"),
        ("action", "integrations/", x.get("endpoint_action", "")),
        ("step", "applications/", "company"),
    ]
    for name, fragment, value in by_route:
        if name == param and fragment in route and value not in (None, ""):
            return str(value)
    plain: dict[str, Any] = {
        "person_id": world.person.public_id,
        "document_id": world.document.public_id,
        "wallet_id": world.wallet.public_id,
        "invitation_id": world.invitation.public_id,
        "key_id": world.api_key.public_id,
        "token": world.invitation_token,
        "node_id": x.get("node") and x["node"].public_id,
        "export_id": x.get("data_export") and x["data_export"].public_id,
        "address_id": x.get("operator_address") and x["operator_address"].pk,
        # allauth's e-mail confirmation and password reset keys: a wrong key shows allauth's "bad link" page.
        "key": "not-a-real-key",
        "uidb36": "1",
        # The admin's unnamed patterns.
        "object_id": "1",
        "id": "1",
        "content_type_id": "1",
        "app_label": "accounts",
        "url": "no-such-page/",
    }
    value = plain.get(param)
    if value in (None, ""):
        raise LookupError(
            f"No value for URL parameter {param!r} of {route!r}: add one to core/tests/authz/walk.py:param_value"
        )
    return str(value)


def url_for(world: World, route: Route) -> str:
    kwargs = {p: param_value(world, route.route, p) for p in route.params}
    if route.name is not None:
        return reverse(route.name, kwargs=kwargs or None)
    # Unnamed (the admin's object and catch-all views): substitute into the route itself.
    path = route.route
    for p, v in kwargs.items():
        path = re.sub(rf"<(?:\w+:)?{p}>|\(\?P<{p}>[^)]*\)", v, path)
    return "/" + path.lstrip("^").replace("^", "").rstrip("$")


def url_for_schema(world: World, path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: param_value(world, path.lstrip("/"), m.group(1)), path)
