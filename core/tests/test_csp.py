"""The Content-Security-Policy: on every response, without 'unsafe-inline', and no template that would need it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import allauth
import pytest
from django.conf import settings
from django.test import Client

ROOT = Path(settings.BASE_DIR)
ALLAUTH_TEMPLATES = Path(allauth.__file__).parent / "templates"

# Inline code a policy without 'unsafe-inline' blocks: a <script> element without src (a JSON data block,
# type="application/json", is data and never executed, so it is allowed), any <style> element, any style="..."
# attribute, any on...= event-handler attribute, and javascript: URLs.
_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>", re.IGNORECASE)
_INLINE = [
    ("a <style> element", re.compile(r"<style\b", re.IGNORECASE)),
    ("a style attribute", re.compile(r"\sstyle\s*=", re.IGNORECASE)),
    ("an event-handler attribute", re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)),
    ("a javascript: URL", re.compile(r"javascript:", re.IGNORECASE)),
]


def _inline_code(text: str) -> list[str]:
    found = []
    for match in _SCRIPT.finditer(text):
        attrs = match.group("attrs")
        if re.search(r"\bsrc\s*=", attrs) or re.search(r"type\s*=\s*[\"']application/json[\"']", attrs):
            continue
        found.append(f"an inline <script> at offset {match.start()}")
    for label, pattern in _INLINE:
        found += [f"{label} at offset {m.start()}" for m in pattern.finditer(text)]
    return found


def _portal_templates() -> list[Path]:
    return sorted(p for p in (ROOT / "templates").rglob("*.html"))


# allauth features the portal does not switch on: their templates are never rendered. The test below checks
# the settings that keep them off, so turning one on brings its templates into the scan.
_UNUSED_ALLAUTH = ("webauthn", "phone", "socialaccount", "usersessions", "headless", "email_change")


def _rendered_allauth_templates() -> list[Path]:
    return sorted(p for p in ALLAUTH_TEMPLATES.rglob("*.html") if not any(part in str(p) for part in _UNUSED_ALLAUTH))


def test_the_unscanned_allauth_features_are_switched_off() -> None:
    assert "webauthn" not in settings.MFA_SUPPORTED_TYPES
    assert not getattr(settings, "ACCOUNT_CHANGE_EMAIL", False)
    assert "phone" not in str(getattr(settings, "ACCOUNT_SIGNUP_FIELDS", []))
    assert not any(
        app.startswith(("allauth.socialaccount", "allauth.usersessions", "allauth.headless"))
        for app in settings.INSTALLED_APPS
    )


@pytest.mark.parametrize("template", _portal_templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_portal_template_contains_inline_script_style_or_handlers(template: Path) -> None:
    assert _inline_code(template.read_text()) == [], f"{template.relative_to(ROOT)}: move it to a file in static/"


@pytest.mark.parametrize("template", _rendered_allauth_templates(), ids=lambda p: str(p.relative_to(ALLAUTH_TEMPLATES)))
def test_no_allauth_template_the_portal_renders_contains_inline_code(template: Path) -> None:
    found = _inline_code(template.read_text())
    assert found == [], f"allauth's {template.relative_to(ALLAUTH_TEMPLATES)}: override it in templates/ without it"


def test_the_scanner_finds_each_kind_of_inline_code() -> None:
    sample = (
        '<script>alert(1)</script><script src="/static/x.js"></script>'
        '<script type="application/json">{"a": 1}</script><style>p{}</style>'
        '<p style="color:red" onclick="x()"><a href="javascript:void(0)">x</a></p>'
    )
    kinds = [f.split(" at ")[0] for f in _inline_code(sample)]
    assert kinds == [
        "an inline <script>",
        "a <style> element",
        "a style attribute",
        "an event-handler attribute",
        "a javascript: URL",
    ]


def _policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split("; ")}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/accounts/signup/", "/healthz", "/no-such-page/", "/api/v1/docs/"]
)
def test_every_response_carries_a_policy_without_unsafe_inline(client: Client, path: str) -> None:
    response = client.get(path)
    assert _inline_code(response.content.decode()) == []
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in str(policy) and "'unsafe-eval'" not in str(policy)


@pytest.mark.django_db
def test_signed_in_pages_carry_the_policy(client: Client, alice: Any, reviewer: Any) -> None:
    client.force_login(alice)
    for path in [
        "/",
        "/applications/",
        "/applications/new/",
        f"/organisations/{alice.organisations.get().public_id}/api-keys/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response["Content-Security-Policy"], path
        assert _inline_code(response.content.decode()) == [], path
    client.force_login(reviewer)
    assert "frame-ancestors 'none'" in client.get("/staff/")["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_document_may_be_framed_by_the_portal_itself_only(
    client: Client, alice: Any, tmp_path: Any, settings: Any
) -> None:
    from kyc import services
    from kyc.tests.factories import pdf

    settings.MEDIA_ROOT = tmp_path
    application = services.application_create(
        by=alice, subject_type="institution", organisation=alice.organisations.get()
    )
    document = services.document_upload(application=application, by=alice, kind="articles", upload=pdf("a.pdf"))
    client.force_login(alice)
    response = client.get(f"/documents/{document.public_id}/")
    assert response.status_code == 200
    assert _policy(response)["frame-ancestors"] == ["'self'"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    # Every other page still refuses to be framed at all.
    assert client.get("/applications/")["X-Frame-Options"] == "DENY"
