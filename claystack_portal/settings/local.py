"""Development defaults: runs with no external service (SQLite, filesystem broker, console e-mail)."""

from __future__ import annotations

from claystack_portal.env import env

from .base import *  # noqa: F403
from .base import FIELD_ENCRYPTION_KEYS

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Insecure on purpose and only here: production.py refuses to start without a real key.
SECRET_KEY = env.str("SECRET_KEY", default="django-insecure-local-development-key-do-not-use-anywhere-else")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
if not FIELD_ENCRYPTION_KEYS:
    # A fixed development key so demo data survives restarts; never valid in production.
    FIELD_ENCRYPTION_KEYS = ["bG9jYWwtZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ="]
