"""Settings fail fast with a message naming the variable, and production passes `check --deploy`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from core.crypto import _multifernet, decrypt_str, encrypt_str, rotate_str

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SECRET_KEY": "p" * 20 + "-production-secret-key-for-the-test-only-0123456789",
    "ALLOWED_HOSTS": "portal.claystack.example",
    "DATABASE_URL": "postgres://portal:secret@db.internal:5432/portal",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "AUDIT_HMAC_KEYS": "production-audit-key-for-the-test-only-0123456789abcdef",
}


def _run_production(*args: str, drop: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and not k.startswith("DJANGO_")}
    env.update(PRODUCTION_ENV)
    env["DJANGO_SETTINGS_MODULE"] = "claystack_portal.settings.production"
    if drop:
        env.pop(drop)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "variable", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "FIELD_ENCRYPTION_KEYS", "AUDIT_HMAC_KEYS"]
)
def test_production_refuses_to_start_without_a_required_variable(variable: str) -> None:
    result = _run_production("check", drop=variable)
    assert result.returncode != 0
    assert f"The environment variable {variable} is required but not set." in result.stderr


def test_production_refuses_a_short_secret_key() -> None:
    env_override = {**PRODUCTION_ENV, "SECRET_KEY": "too-short"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_override)
    env["DJANGO_SETTINGS_MODULE"] = "claystack_portal.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


def test_check_deploy_with_production_settings_prints_no_warning() -> None:
    result = _run_production("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_an_invalid_encryption_key_is_named() -> None:
    _multifernet.cache_clear()
    bad_keys = [Fernet.generate_key().decode(), "not-a-key"]
    message = "FIELD_ENCRYPTION_KEYS entry 2 is not a valid Fernet key"
    with override_settings(FIELD_ENCRYPTION_KEYS=bad_keys), pytest.raises(ImproperlyConfigured, match=message):
        encrypt_str("x")


def test_encryption_keys_rotate_newest_first() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        token = encrypt_str("GB123456789")
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        assert decrypt_str(token) == "GB123456789"
        rotated = rotate_str(token)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        assert decrypt_str(rotated) == "GB123456789"


@pytest.mark.django_db
def test_models_and_migrations_agree() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_production_sends_hsts_secure_cookies_and_denies_framing() -> None:
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'hsts': s.SECURE_HSTS_SECONDS, 'subdomains': s.SECURE_HSTS_INCLUDE_SUBDOMAINS, 'ssl': s.SECURE_SSL_REDIRECT, "
        "'session_secure': s.SESSION_COOKIE_SECURE, 'session_httponly': s.SESSION_COOKIE_HTTPONLY, "
        "'csrf_secure': s.CSRF_COOKIE_SECURE, 'csrf_httponly': s.CSRF_COOKIE_HTTPONLY, 'xfo': s.X_FRAME_OPTIONS, "
        "'middleware': s.MIDDLEWARE, 'csp': s.CONTENT_SECURITY_POLICY, 'staff_idle': s.STAFF_SESSION_IDLE_SECONDS}))"
    )
    result = _run_production("shell", "-c", code)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["hsts"] >= 31536000 and seen["subdomains"] and seen["ssl"]
    assert seen["session_secure"] and seen["session_httponly"] and seen["csrf_secure"] and seen["csrf_httponly"]
    assert seen["xfo"] == "DENY"
    assert "django.middleware.clickjacking.XFrameOptionsMiddleware" in seen["middleware"]
    assert "core.middleware.ContentSecurityPolicyMiddleware" in seen["middleware"]
    assert "accounts.middleware.StaffSessionTimeoutMiddleware" in seen["middleware"]
    assert seen["csp"]["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in json.dumps(seen["csp"])
    assert 0 < seen["staff_idle"] <= 3600
