"""Production: the base settings, tightened. Secrets have no default here."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from claystack_portal.env import env, require

from .base import *  # noqa: F403
from .base import CELERY_BROKER_URL

DEBUG = False
SECRET_KEY = require(
    "SECRET_KEY", hint="Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
)
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")
ALLOWED_HOSTS = [h.strip() for h in require("ALLOWED_HOSTS", hint="A comma-separated list of host names.").split(",")]
require("DATABASE_URL", hint="For example postgres://user:password@db.internal:5432/portal.")
require("REDIS_URL", hint="For example redis://cache.internal:6379/0; the broker and the cache use it.")
FIELD_ENCRYPTION_KEYS = [
    k.strip()
    for k in require(
        "FIELD_ENCRYPTION_KEYS",
        hint="Comma-separated Fernet keys, newest first: python -c "
        "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
    ).split(",")
]
AUDIT_HMAC_KEYS = [
    k.strip()
    for k in require(
        "AUDIT_HMAC_KEYS",
        hint="Comma-separated random secrets of 32+ characters, newest first, kept outside the database: "
        "python -c 'import secrets; print(secrets.token_urlsafe(48))'",
    ).split(",")
]
if CELERY_BROKER_URL.startswith("filesystem://"):
    raise ImproperlyConfigured("CELERY_BROKER_URL must point at Redis in production, not the filesystem broker.")

# Persistent connections in production; base.py defaults to 0 for the SQLite development set-up.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"

# Static files straight from the app servers, compressed and cache-busted, right after the security middleware.
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]  # noqa: F405

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
