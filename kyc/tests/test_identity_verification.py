"""Identity verification that can be finished: the "Verify your identity" page embeds Sumsub's WebSDK with a fresh
access token (from a local server speaking Sumsub's API), a link lets a director verify without an account, the
CSP admits Sumsub only when configured, and without a provider the portal says documents are reviewed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from kyc import services
from kyc.identity import identity_link_token, person_ref
from kyc.models import Person
from kyc.tests.factories import complete_company, complete_individual
from screening.tests.conftest import (
    VendorServer,
    reply_json,
    vendor_server,  # noqa: F401 - the local Sumsub server fixture
)
from screening.tests.test_providers import SUMSUB_SECRET, SUMSUB_TOKEN, sumsub_signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def sumsub(settings: Any, vendor_server: VendorServer) -> VendorServer:  # noqa: F811
    settings.SCREENING_PROVIDERS = {**settings.SCREENING_PROVIDERS, "identity": "sumsub"}
    settings.SUMSUB_BASE_URL = vendor_server.base_url
    settings.SUMSUB_APP_TOKEN = SUMSUB_TOKEN
    settings.SUMSUB_SECRET_KEY = SUMSUB_SECRET
    settings.SUMSUB_WEBHOOK_SECRET = "hook"
    tokens = iter(range(1, 100))
    vendor_server.on(
        "POST",
        "/resources/accessTokens/sdk",
        sumsub_signed(lambda req: reply_json({"token": f"_act-{next(tokens)}", "userId": req.json()["userId"]})(req)),
    )
    return vendor_server


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_applicant_verifies_with_a_fresh_websdk_token_each_time(sumsub, alice, wallet_key):
    app = complete_individual(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    subject = app.people.get(role=Person.Role.SUBJECT)
    client = _client(alice)
    status = client.get(reverse("kyc:status", args=[app.public_id])).content.decode()
    assert reverse("kyc:identity", args=[app.public_id]) in status and "Verify your identity" in status
    url = reverse("kyc:identity", args=[app.public_id]) + f"?person={subject.public_id}"
    first = client.get(url).content.decode()
    second = client.get(url).content.decode()
    assert 'data-token="_act-1"' in first and 'data-token="_act-2"' in second
    assert "sns-websdk-builder.js" in first and "kyc/sumsub.js" in first
    call = sumsub.calls("POST", "/resources/accessTokens/sdk")[0].json()
    assert call["userId"] == person_ref(subject) and call["levelName"] == django_settings.SUMSUB_LEVEL_NAME
    refreshed = client.get(reverse("kyc:identity_token", args=[app.public_id, subject.public_id])).json()
    assert refreshed == {"token": "_act-3"}


def test_a_director_without_an_account_verifies_through_the_link(sumsub, alice, wallet_key, charlie):
    app = complete_company(alice, wallet_key)
    director = app.people.get(role=Person.Role.DIRECTOR)
    page = _client(alice).get(reverse("kyc:identity", args=[app.public_id])).content.decode()
    link = reverse("kyc:identity_link", args=[identity_link_token(director)])
    assert link in page
    anonymous = _client().get(link)
    assert anonymous.status_code == 200 and 'data-token="_act-' in anonymous.content.decode()
    assert director.legal_name in anonymous.content.decode()
    assert _client().get(link.rstrip("/") + "x/").status_code == 404
    # The link opens one person's verification only: an outsider cannot use the signed-in page.
    assert _client(charlie).get(reverse("kyc:identity", args=[app.public_id])).status_code == 404


def test_without_a_provider_the_portal_says_identity_is_verified_by_document_review(alice, wallet_key):
    app = complete_individual(alice, wallet_key)
    services.application_submit(application=app, by=alice)
    client = _client(alice)
    status = client.get(reverse("kyc:status", args=[app.public_id])).content.decode()
    assert "Identity is verified by document review" in status
    page = client.get(reverse("kyc:identity", args=[app.public_id])).content.decode()
    assert "Identity is verified by document review" in page and "sumsub" not in page.lower()


def _policy(env: dict[str, str]) -> dict[str, list[str]]:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY))"
    )
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "claystack_portal.settings.test", **env}
    out = subprocess.run(
        [sys.executable, "-c", code], env=full, cwd=Path(django_settings.BASE_DIR), capture_output=True, check=True
    )
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def test_the_content_security_policy_admits_sumsub_only_when_it_is_the_identity_provider():
    without = _policy({"SCREENING_PROVIDER_IDENTITY": ""})
    assert not any("sumsub" in s for sources in without.values() for s in sources)
    with_sumsub = _policy(
        {
            "SCREENING_PROVIDER_IDENTITY": "sumsub",
            "SUMSUB_APP_TOKEN": "t",
            "SUMSUB_SECRET_KEY": "s",
            "SUMSUB_WEBHOOK_SECRET": "w",
        }
    )
    assert "https://static.sumsub.com" in with_sumsub["script-src"]
    assert any("sumsub.com" in s for s in with_sumsub["frame-src"])
    assert "'unsafe-inline'" not in with_sumsub["script-src"]
