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


@override_settings(DEBUG=True)
def test_seed_demo_creates_an_administrator_with_two_factor_printed_like_the_staff(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("seed_demo")
    out = capsys.readouterr().out
    admin = User.objects.get(email="admin@claystack.local")
    assert admin.is_superuser and admin.is_staff and not admin.role_assignments.exists()
    assert re.search(r"admin@claystack.local\s+administrator\s+TOTP secret \w+", out)
    call_command("demo_totp", "admin@claystack.local")
    assert re.fullmatch(r"\d{6}\n", capsys.readouterr().out)


@override_settings(DEBUG=True)
def test_demo_totp_waits_for_a_fresh_window_when_the_current_one_is_about_to_end(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from accounts.demo import _demo_secret, current_totp_code

    call_command("seed_demo")
    capsys.readouterr()
    clock = {"now": 1_800_000_028.0}  # two seconds before a 30-second window ends
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr("accounts.management.commands.demo_totp.time.time", lambda: clock["now"])
    monkeypatch.setattr("accounts.management.commands.demo_totp.time.sleep", sleep)
    call_command("demo_totp", "reviewer@claystack.local")
    captured = capsys.readouterr()
    assert slept and 2 <= slept[0] < 2.2
    assert captured.out.strip() == current_totp_code(_demo_secret("reviewer@claystack.local"), at=1_800_000_031)
    assert "waiting for the next one" in captured.err


def test_demo_totp_skips_the_system_checks_that_import_web3() -> None:
    from accounts.management.commands.demo_totp import Command

    assert Command.requires_system_checks == []
