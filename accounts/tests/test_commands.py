from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from accounts.models import RoleAssignment, User

pytestmark = pytest.mark.django_db


def test_create_staff_user_prints_a_one_time_password_that_works(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("create_staff_user", "--email", "ops@claystack.example", "--role", "reviewer", "--role", "approver")
    out = capsys.readouterr().out
    password = re.search(r"Initial password \(shown once\): (\S+)", out)
    assert password is not None
    user = User.objects.get(email="ops@claystack.example")
    assert user.check_password(password.group(1))
    assert set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == {"reviewer", "approver"}


def test_create_staff_user_refuses_a_duplicate_email() -> None:
    call_command("create_staff_user", "--email", "dup@claystack.example", "--role", "auditor")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_staff_user", "--email", "DUP@claystack.example", "--role", "auditor")


def test_seed_demo_refuses_to_run_without_debug() -> None:
    with pytest.raises(CommandError, match="only with DEBUG on"):
        call_command("seed_demo")


@override_settings(DEBUG=True)
def test_seed_demo_is_idempotent_and_prints_working_logins(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    second = capsys.readouterr().out
    assert User.objects.filter(email="reviewer@claystack.local").count() == 1
    secret = re.search(r"reviewer@claystack.local\s+reviewer\s+TOTP secret (\w+)", first)
    assert secret is not None
    assert secret.group(1) in second
    for email in ["reviewer", "approver", "whitelist-admin", "board", "auditor"]:
        assert f"{email}@claystack.local" in first
    assert "alice@acme-capital.example" in first
    call_command("demo_totp", "reviewer@claystack.local")
    assert re.fullmatch(r"\d{6}\n", capsys.readouterr().out)
