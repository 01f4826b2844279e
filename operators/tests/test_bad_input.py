"""Bad input through the pages and the API people use: each refusal names the reason and keeps nothing."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import AuditEvent
from operators.models import DepositImport, Validator
from operators.tests.conftest import FEE_RECIPIENT
from operators.tests.test_deposit_data import as_file, entry

pytestmark = pytest.mark.django_db


def test_the_upload_page_refuses_a_file_for_another_network_with_its_reason(client, alice, alice_operator):
    client.force_login(alice)
    raw = as_file([entry(51), entry(52, fork="90000069", network="sepolia")])
    response = client.post(
        reverse("operators_deposit_data", args=[alice_operator.public_id]),
        {"file": SimpleUploadedFile("deposit_data.json", raw, content_type="application/json")},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Entry 2 (line 13)" in html and "is not this pool&#x27;s network (mainnet" in html
    assert Validator.objects.count() == 0 and DepositImport.objects.count() == 0
    assert not AuditEvent.objects.filter(action="operator.deposit_data_imported").exists()


def test_the_api_refuses_credentials_paying_an_undeclared_address_and_a_duplicate_key(client, alice, alice_operator):
    client.force_login(alice)
    url = f"/api/v1/operators/{alice_operator.public_id}/deposit-data/"
    good = entry(61)
    body = json.dumps([good, entry(62, address=FEE_RECIPIENT), good])
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    problems = response.json()["problems"]
    assert any(p.startswith(f"Entry 2 (line 1), withdrawal_credentials: point at {FEE_RECIPIENT}") for p in problems)
    assert "Entry 3 (line 1), pubkey: appears again: entry 1 has the same key." in problems
    assert Validator.objects.count() == 0 and DepositImport.objects.count() == 0


def test_a_file_that_is_not_json_is_refused_over_the_api_and_keeps_nothing(client, alice, alice_operator):
    client.force_login(alice)
    url = f"/api/v1/operators/{alice_operator.public_id}/deposit-data/"
    upload = SimpleUploadedFile("deposit_data.json", b'[{"pubkey": "ab",\n  oops', content_type="application/json")
    response = client.post(url, {"file": upload})
    assert response.status_code == 400
    assert "line 2" in " ".join(response.json()["problems"])
    assert Validator.objects.count() == 0 and DepositImport.objects.count() == 0


def test_a_deeply_nested_body_is_refused_with_a_reason_not_a_server_error(client, alice, alice_operator):
    client.force_login(alice)
    url = f"/api/v1/operators/{alice_operator.public_id}/deposit-data/"
    response = client.post(url, "[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in " ".join(response.json()["problems"])
    assert Validator.objects.count() == 0 and DepositImport.objects.count() == 0
