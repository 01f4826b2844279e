"""Test settings: PostgreSQL and Redis when reachable (CI always has them), else SQLite and in-memory.

`scripts/testenv.py` decides which backends the run uses and exports DATABASE_URL / REDIS_URL before
pytest starts; this module only reads them, so a plain `pytest` uses whatever the environment says.
"""

from __future__ import annotations

from pathlib import Path

from claystack_portal.env import env

from .base import *  # noqa: F403
from .base import CACHES, REDIS_URL, VAR_DIR

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-any-real-deployment-0123456789abcdef"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS",
    default=["dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdDE=", "b2xkZXItdGVzdC1rZXktb2xkZXItdGVzdC1rZXkxMjM="],
)
AUDIT_HMAC_KEYS = env.list(
    "AUDIT_HMAC_KEYS",
    default=["test-audit-key-0123456789-abcdefghijklmnopqrstuvwxyz", "older-test-audit-key-9876543210-zyxwvutsrqp"],
)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed: tests create many users
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "test-media")))
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # A separate logical database so tests never touch a developer's cache.
    CACHES = {**CACHES}
    CACHES["default"] = {**CACHES["default"], "KEY_PREFIX": "test"}
CELERY_TASK_ALWAYS_EAGER = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# allauth takes False for "no limits"; the rate-limit tests switch them back on.
ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]

# Tests build the screening index in memory only: no file shared between test runs or databases.
SCREENING_INDEX_CACHE = False
