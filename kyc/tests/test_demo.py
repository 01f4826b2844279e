from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from kyc.models import Application


@override_settings(DEBUG=True)
def test_seed_demo_creates_one_application_per_journey_once(db: Any, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "Demo application CS-" in out
    statuses = dict(Application.objects.values_list("subject_type", "status"))
    assert statuses == {"institution": "draft", "individual": "submitted", "operator_company": "submitted"}
    call_command("seed_demo")
    assert Application.objects.count() == 3
