"""The demo a newcomer starts from (`make run` seeds it) keeps the promise too."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from assurance.tests.helpers import approve, submitted
from assurance.verify import compliance_verify
from kyc.models import Application


@override_settings(DEBUG=True)
def test_compliance_verify_finds_nothing_after_seed_demo_and_its_bulk_cases(
    db: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("seed_demo", "--cases", "60")
    assert Application.objects.filter(status="approved").exists()
    call_command("compliance_verify")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert '"violations": 0' in last


def test_a_case_approved_through_the_services_is_traced_on_the_target(
    alice: Any, wallet_key: Any, reviewer: Any
) -> None:
    app = approve(submitted(alice, wallet_key), reviewer)
    report = compliance_verify()
    assert report.source == "derived target (no chain configured)"
    assert report.checked["stakers"] == 1 and report.violations == []
    assert app.status == "approved"
