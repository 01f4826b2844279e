"""Settings shared by every environment.

Everything is driven by environment variables; `local`, `test` and `production` only adjust defaults or
tighten. An integration is switched on by setting its variables.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import django_stubs_ext

from claystack_portal.env import BASE_DIR, env

# Lets Django's generic classes be subscripted at run time (ModelAdmin[Model], QuerySet[Model]) for mypy.
django_stubs_ext.monkeypatch()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Runtime state of the embedded default (SQLite file, broker queue, cache, uploads); never committed.
VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Applications --------------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "core",
    "accounts",
    "screening",
    "whitelist",
    "kyc",
    "operators",
    "integrations",
    "privacy",
    "assurance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before any view or process_view (CSRF reads the form) touches the body; after the session, so the 413 page
    # renders like the others.
    "core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffSessionTimeoutMiddleware",
    "accounts.middleware.StaffMFARequiredMiddleware",
]

ROOT_URLCONF = "claystack_portal.urls"
WSGI_APPLICATION = "claystack_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# Database ------------------------------------------------------------------------------------------------
# SQLite is the embedded default so the portal runs with no server; DATABASE_URL selects PostgreSQL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat write to one file: take the write lock when a transaction begins (so a
    # read-then-write never deadlocks) and wait for it rather than failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and broker ----------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Redis failing must not fail pages: core.cache.FailOpenRedisCache answers a miss (with a logged warning) when
# Redis is unreachable, and the short socket timeouts keep a Redis that hangs from holding every request.
REDIS_CACHE_TIMEOUT_SECONDS = env.float("REDIS_CACHE_TIMEOUT_SECONDS", default=0.5)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CACHE_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_CACHE_TIMEOUT_SECONDS,
            },
        }
    }
else:
    # File-based so the web server, worker and beat processes share rate limits and heartbeats.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Celery: Redis when configured, otherwise kombu's filesystem transport (no server, shared through var/).
# "localhost" names no server (the transport ignores it); without a host kombu logs a warning on every connection.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost/")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "broker" / "queue"
    _control_dir = VAR_DIR / "broker" / "control"
    for _d in (_queue_dir, _control_dir):
        _d.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=540)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "core.heartbeat": {"task": "core.heartbeat", "schedule": timedelta(seconds=60)},
    # The audit chain's signed head, to the log and AUDIT_HEAD_SINK; and once a day on chain (when configured).
    "core.audit_publish_head": {"task": "core.audit_publish_head", "schedule": timedelta(hours=1)},
    "core.audit_anchor_head": {"task": "core.audit_anchor_head", "schedule": timedelta(days=1)},
}

# Authentication ------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[ClayStack] "
# How e-mails name the portal, and the domain they give (empty: the host the request came in on).
PORTAL_NAME = env.str("PORTAL_NAME", default="ClayStack Compliance Portal")
PORTAL_DOMAIN = env.str("PORTAL_DOMAIN", default="")
ACCOUNT_PRESERVE_USERNAME_CASING = False
# allauth's defaults, written out so a reviewer sees them: per-IP and per-account limits.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/ip",
}
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "ClayStack Compliance Portal"
MFA_RECOVERY_CODE_COUNT = 10

# Personal data and secrets encrypted at rest (MFA secrets now, identity data later). Comma-separated
# Fernet keys, newest first: the first encrypts, all of them decrypt, so keys can be rotated.
FIELD_ENCRYPTION_KEYS: list[str] = env.list("FIELD_ENCRYPTION_KEYS", default=[])

# The audit trail (core.audit, core.audit_head). AUDIT_HMAC_KEYS: comma-separated random secrets (32+ characters),
# newest first: the newest keys new rows, all of them verify; rotate by prepending a key, running
# `manage.py audit_rekey`, then dropping the old one. Empty outside production: a key derived from SECRET_KEY.
AUDIT_HMAC_KEYS: list[str] = env.list("AUDIT_HMAC_KEYS", default=[])
# Where the hourly signed head goes besides the log: a file path (one JSON line appended per head) or an https://
# URL (POSTed as JSON; http:// only to a loopback address). Empty: the log only.
AUDIT_HEAD_SINK: str = env.str("AUDIT_HEAD_SINK", default="")
# With the whitelist's chain configured (ETH_RPC_URL, signer), the daily head goes on chain as the input of a
# zero-value transaction to this address. Empty: no anchoring.
AUDIT_ANCHOR_ADDRESS: str = env.str("AUDIT_ANCHOR_ADDRESS", default="")
# What sends and reads anchors: core names no app, the whitelist app holds the only chain client.
AUDIT_ANCHOR_BACKEND: str = "whitelist.anchor.ChainAnchor"

# Internationalisation ------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static and media ----------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded files are private: MEDIA_URL is never routed; documents are served by an authorising view.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"

# E-mail --------------------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ClayStack Compliance <compliance@claystack.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security ------------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
# Staff sessions (anyone with a staff role or admin access) end after this many idle seconds and when the browser
# closes; applicants keep SESSION_COOKIE_AGE (accounts.middleware.StaffSessionTimeoutMiddleware).
STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_SECONDS", default=30 * 60)
# No inline script or style anywhere (templates load /static/ files); same-origin frames and objects so a document
# preview can show a PDF or image served by the portal; nobody may frame the portal. Images may be data: URIs
# (the API docs' icons). core.middleware.ContentSecurityPolicyMiddleware sends it on every response.
CONTENT_SECURITY_POLICY: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'"],
    "object-src": ["'self'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Views whose responses the portal itself shows in a frame (same origin only): the document preview.
FRAMEABLE_URL_NAMES = ["kyc:document"]
CONTENT_SECURITY_POLICY_REPORT_ONLY = env.bool("CONTENT_SECURITY_POLICY_REPORT_ONLY", default=False)

# Reverse proxies in front of the portal that append to X-Forwarded-For. Client addresses (audit trail, rate
# limits of sign-in, the API and the public lookup) trust exactly that many entries; with 0 the header is
# ignored, so a client cannot spoof its address to escape a limit.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = NUM_PROXIES

# API -----------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "NUM_PROXIES": NUM_PROXIES,
    # The key class comes first so a wrong key is a 401 with a challenge (it stays silent without a key header).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.authentication.ApiKeyRateThrottle",
        "accounts.authentication.UserRateThrottle",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # JSON only, everywhere: DRF's browsable API pages carry inline styles the Content-Security-Policy refuses, and
    # /api/v1/docs/ serves the same purpose.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
# Per API key and per signed-in user (DRF "scoped" rates: N/second|minute|hour|day); an empty value turns a
# throttle off. A throttled call gets a 429 with Retry-After.
API_THROTTLE_RATES: dict[str, str | None] = {
    "api_key": env.str("API_THROTTLE_KEY_RATE", default="600/minute") or None,
    "user": env.str("API_THROTTLE_USER_RATE", default="1200/minute") or None,
}
# API keys for institutions (accounts/api_keys.py): the longest lifetime an owner may choose, and how long a
# rotated key keeps working beside its replacement (0 revokes it at once).
API_KEY_MAX_DAYS = env.int("API_KEY_MAX_DAYS", default=365)
API_KEY_ROTATION_GRACE_SECONDS = env.int("API_KEY_ROTATION_GRACE_SECONDS", default=24 * 60 * 60)

SPECTACULAR_SETTINGS = {
    "TITLE": "ClayStack Compliance Portal API",
    "DESCRIPTION": "Onboarding, screening, review and whitelist status for ClayStack's permissioned pools.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Integrators read the schema before they have an account; it holds no data.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Two models have a field named "purpose" with different choices: name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "WalletPurposeEnum": "kyc.models.WalletAddress.Purpose",
        "OperatorAddressPurposeEnum": "operators.models.OperatorAddress.Purpose",
        "OrganisationKindEnum": "accounts.models.Organisation.Kind",
    },
}

# Logging -------------------------------------------------------------------------------------------------
# Structured JSON lines in production (for log shippers), readable lines elsewhere; LOG_FORMAT overrides.
LOG_FORMAT = env.str(
    "LOG_FORMAT", default="json" if env.str("DJANGO_SETTINGS_MODULE", default="").endswith(".production") else "plain"
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "core.logging.RequestContextFilter"},
        "personal_data": {"()": "core.logging.PersonalDataFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context", "personal_data"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Portal --------------------------------------------------------------------------------------------------
PORTAL_NAME = "ClayStack Compliance Portal"

# Per-app settings ----------------------------------------------------------------------------------------
# Each app keeps its own settings in settings/components/<app>.py, so apps grow without editing this file.
from .components.assurance import BEAT_SCHEDULE as _ASSURANCE_BEAT  # noqa: E402
from .components.integrations import *  # noqa: E402, F403
from .components.integrations import BEAT_SCHEDULE as _INTEGRATIONS_BEAT  # noqa: E402
from .components.kyc import *  # noqa: E402, F403
from .components.kyc import BEAT_SCHEDULE as _KYC_BEAT  # noqa: E402
from .components.operators import *  # noqa: E402, F403
from .components.operators import BEAT_SCHEDULE as _OPERATORS_BEAT  # noqa: E402
from .components.privacy import *  # noqa: E402, F403
from .components.privacy import BEAT_SCHEDULE as _PRIVACY_BEAT  # noqa: E402
from .components.screening import *  # noqa: E402, F403
from .components.screening import BEAT_SCHEDULE as _SCREENING_BEAT  # noqa: E402
from .components.whitelist import *  # noqa: E402, F403
from .components.whitelist import BEAT_SCHEDULE as _WHITELIST_BEAT  # noqa: E402

# Request sizes ---------------------------------------------------------------------------------------------
# The largest request body accepted at all: the largest file the portal takes (a 10 MB document) plus room for the
# form around it. core.middleware.RequestSizeLimitMiddleware answers 413 from the Content-Length, before a byte
# of the body is read; the reverse proxy refuses earlier still (docs/deploy.md, client_max_body_size). Django's
# own limits below apply to what gets through: form fields and JSON bodies (not files) are refused above
# DATA_UPLOAD_MAX_MEMORY_SIZE, files above FILE_UPLOAD_MAX_MEMORY_SIZE are streamed to a temporary file instead
# of memory, and a request carries at most DATA_UPLOAD_MAX_NUMBER_FILES files (the portal takes one at a time).
REQUEST_MAX_BODY_BYTES: int = env.int(
    "REQUEST_MAX_BODY_BYTES",
    default=max(KYC_DOCUMENT_MAX_BYTES, OPERATORS_DEPOSIT_FILE_MAX_BYTES) + 1024 * 1024,  # noqa: F405
)
DATA_UPLOAD_MAX_MEMORY_SIZE: int = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE: int = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS: int = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=1000)
DATA_UPLOAD_MAX_NUMBER_FILES: int = env.int("DATA_UPLOAD_MAX_NUMBER_FILES", default=5)

for _app_beat in (
    _KYC_BEAT,
    _SCREENING_BEAT,
    _WHITELIST_BEAT,
    _OPERATORS_BEAT,
    _INTEGRATIONS_BEAT,
    _PRIVACY_BEAT,
    _ASSURANCE_BEAT,
):
    CELERY_BEAT_SCHEDULE.update(_app_beat)
del BEAT_SCHEDULE  # noqa: F821 - star-imported; merged above

if SCREENING_PROVIDERS.get("identity") == "sumsub":  # noqa: F405 - from the screening settings component above
    # The embedded WebSDK: its script, its iframe and its API calls. Only when Sumsub is configured.
    for _directive in ("script-src", "frame-src", "connect-src", "img-src", "style-src"):
        CONTENT_SECURITY_POLICY[_directive] = [*CONTENT_SECURITY_POLICY[_directive], *SUMSUB_WEBSDK_ORIGINS]  # noqa: F405

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite ignores INCLUDE columns of an index (kyc_app_due_idx): it still serves the query, only without the
    # index-only scan PostgreSQL gets. Nothing to act on in the default set-up, so `make run` does not say it.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
