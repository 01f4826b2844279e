"""Settings of the `screening` app, read from the environment. Imported by base.py; owned by the app.

Every vendor is off until its variables are set; a vendor chosen for a check kind but missing a variable
stops start-up with a message naming it.
"""

from __future__ import annotations

from datetime import timedelta

from celery.schedules import crontab

from claystack_portal.env import env, require

# Which provider screens each check kind: embedded (offline lists), sumsub, chainalysis, yente, gleif.
SCREENING_PROVIDERS: dict[str, str] = {
    "identity": env.str("SCREENING_PROVIDER_IDENTITY", default=""),
    "name": env.str("SCREENING_PROVIDER_NAME", default="embedded"),
    "wallet": env.str("SCREENING_PROVIDER_WALLET", default="embedded"),
    "company": env.str("SCREENING_PROVIDER_COMPANY", default=""),
}

# Embedded matcher: a hit at or above MATCH is a match, at or above REVIEW a possible match.
SCREENING_MATCH_THRESHOLD = env.float("SCREENING_MATCH_THRESHOLD", default=0.9)
SCREENING_REVIEW_THRESHOLD = env.float("SCREENING_REVIEW_THRESHOLD", default=0.75)

# The candidate index over the active lists is built once per set of list versions (after each import) and kept
# in this folder (default: <PORTAL_VAR_DIR>/screening-index), shared by every process on the machine: a new worker
# loads it instead of rebuilding it from the database. Keyed by the lists' content, so any database may share it.
SCREENING_INDEX_CACHE = env.bool("SCREENING_INDEX_CACHE", default=True)
SCREENING_INDEX_DIR = env.str("SCREENING_INDEX_DIR", default="")

# A list version older than this raises a staleness alert on the staff screening page.
SCREENING_LIST_MAX_AGE_HOURS = env.int("SCREENING_LIST_MAX_AGE_HOURS", default=48)

# Official download locations (sanctions_download). Override per deployment or for a mirror.
SCREENING_LIST_URLS: dict[str, dict[str, str]] = {
    "ofac": {
        "sdn": env.str("SCREENING_OFAC_SDN_URL", default="https://www.treasury.gov/ofac/downloads/sdn.csv"),
        "alt": env.str("SCREENING_OFAC_ALT_URL", default="https://www.treasury.gov/ofac/downloads/alt.csv"),
        "add": env.str("SCREENING_OFAC_ADD_URL", default="https://www.treasury.gov/ofac/downloads/add.csv"),
        "comments": env.str(
            "SCREENING_OFAC_COMMENTS_URL", default="https://www.treasury.gov/ofac/downloads/sdn_comments.csv"
        ),
    },
    "ofac-cons": {
        "sdn": env.str(
            "SCREENING_OFAC_CONS_PRIM_URL", default="https://www.treasury.gov/ofac/downloads/consolidated/cons_prim.csv"
        ),
        "alt": env.str(
            "SCREENING_OFAC_CONS_ALT_URL", default="https://www.treasury.gov/ofac/downloads/consolidated/cons_alt.csv"
        ),
        "add": env.str(
            "SCREENING_OFAC_CONS_ADD_URL", default="https://www.treasury.gov/ofac/downloads/consolidated/cons_add.csv"
        ),
        "comments": env.str(
            "SCREENING_OFAC_CONS_COMMENTS_URL",
            default="https://www.treasury.gov/ofac/downloads/consolidated/cons_comments.csv",
        ),
    },
    "un": {"file": env.str("SCREENING_UN_URL", default="https://scsanctions.un.org/resources/xml/en/consolidated.xml")},
    # The FCDO's UK Sanctions List (XML), the list UK law designates under the Sanctions Act.
    "uk": {"file": env.str("SCREENING_UK_URL", default="https://sanctionslist.fcdo.gov.uk/docs/UK-Sanctions-List.xml")},
    "address-list": {"file": env.str("SCREENING_ADDRESS_LIST_URL", default="")},
    # OpenSanctions' PEP collection (FollowTheMoney `entities.ftm.json` or `senzing.json`). Off until a URL is set:
    # its data is CC BY-NC, so a commercial deployment needs OpenSanctions' licence (or its own mirror).
    "os-pep": {"file": env.str("SCREENING_OPENSANCTIONS_PEP_URL", default="")},
}
# Public lists are downloaded automatically (each source on its own schedule below, one failing source never
# stopping the others); set False on a machine that may not reach them and import by hand instead.
SCREENING_AUTO_DOWNLOAD = env.bool("SCREENING_AUTO_DOWNLOAD", default=True)
# Minutes between two downloads of each source. OFAC publishes several times a week at any hour; the others
# less often. A source without a URL is skipped.
SCREENING_REFRESH_MINUTES: dict[str, int] = {
    "ofac": env.int("SCREENING_REFRESH_MINUTES_OFAC", default=120),
    "ofac-cons": env.int("SCREENING_REFRESH_MINUTES_OFAC_CONS", default=360),
    "un": env.int("SCREENING_REFRESH_MINUTES_UN", default=360),
    "uk": env.int("SCREENING_REFRESH_MINUTES_UK", default=360),
    "address-list": env.int("SCREENING_REFRESH_MINUTES_ADDRESS_LIST", default=360),
    "os-pep": env.int("SCREENING_REFRESH_MINUTES_OS_PEP", default=1440),
}
# A download that fails for a network reason is tried again this many times (with backoff) before the next beat.
SCREENING_REFRESH_RETRIES = env.int("SCREENING_REFRESH_RETRIES", default=3)
# Staff holding screening.manage are told once per this many hours while a list stays stale (or never imported).
SCREENING_STALE_ALERT_REPEAT_HOURS = env.int("SCREENING_STALE_ALERT_REPEAT_HOURS", default=24)
SCREENING_STALE_ALERT = env.str("SCREENING_STALE_ALERT", default="kyc.screening_flow.lists_stale_alert")
SCREENING_DOWNLOAD_TIMEOUT = env.float("SCREENING_DOWNLOAD_TIMEOUT", default=60.0)

# HTTP vendors: every call has a timeout and a bounded retry budget.
SCREENING_HTTP_TIMEOUT = env.float("SCREENING_HTTP_TIMEOUT", default=10.0)
SCREENING_HTTP_ATTEMPTS = env.int("SCREENING_HTTP_ATTEMPTS", default=3)
SCREENING_HTTP_BACKOFF = env.float("SCREENING_HTTP_BACKOFF", default=0.5)

SUMSUB_BASE_URL = env.str("SUMSUB_BASE_URL", default="https://api.sumsub.com")
SUMSUB_APP_TOKEN = env.str("SUMSUB_APP_TOKEN", default="")
SUMSUB_SECRET_KEY = env.str("SUMSUB_SECRET_KEY", default="")
SUMSUB_LEVEL_NAME = env.str("SUMSUB_LEVEL_NAME", default="basic-kyc-level")
SUMSUB_WEBHOOK_SECRET = env.str("SUMSUB_WEBHOOK_SECRET", default="")
# The WebSDK the "Verify your identity" page embeds, and the origins its iframe and API calls use (added to the
# Content-Security-Policy only when Sumsub is the identity provider).
SUMSUB_WEBSDK_URL = env.str(
    "SUMSUB_WEBSDK_URL", default="https://static.sumsub.com/idensic/static/sns-websdk-builder.js"
)
SUMSUB_WEBSDK_ORIGINS: list[str] = env.list(
    "SUMSUB_WEBSDK_ORIGINS", default=["https://static.sumsub.com", "https://api.sumsub.com", "https://*.sumsub.com"]
)
SUMSUB_ACCESS_TOKEN_TTL_SECONDS = env.int("SUMSUB_ACCESS_TOKEN_TTL_SECONDS", default=1800)
# How long a link sent to a director or owner who is not a portal user stays valid.
KYC_IDENTITY_LINK_DAYS = env.int("KYC_IDENTITY_LINK_DAYS", default=14)

CHAINALYSIS_BASE_URL = env.str("CHAINALYSIS_BASE_URL", default="https://public.chainalysis.com")
CHAINALYSIS_API_KEY = env.str("CHAINALYSIS_API_KEY", default="")

YENTE_BASE_URL = env.str("YENTE_BASE_URL", default="")
YENTE_DATASET = env.str("YENTE_DATASET", default="default")
YENTE_API_KEY = env.str("YENTE_API_KEY", default="")

GLEIF_BASE_URL = env.str("GLEIF_BASE_URL", default="https://api.gleif.org/api/v1")

# A vendor chosen but half-configured stops start-up here, naming the variable.
_REQUIRED_BY_PROVIDER = {
    "sumsub": ("SUMSUB_APP_TOKEN", "SUMSUB_SECRET_KEY", "SUMSUB_WEBHOOK_SECRET"),
    "chainalysis": ("CHAINALYSIS_API_KEY",),
    "yente": ("YENTE_BASE_URL",),
}
for _provider in set(SCREENING_PROVIDERS.values()):
    for _variable in _REQUIRED_BY_PROVIDER.get(_provider, ()):
        require(_variable, hint=f"The {_provider} screening provider is selected by a SCREENING_PROVIDER_* variable.")

# Monitoring hooks, dotted paths of the caller (kyc): a callable returning the subjects to re-screen
# (iterable of screening.services.MonitoredSubject: every approved case's company, people and wallets) and one
# receiving the ids of checks with new hits (an alert on the case, officers notified). Empty switches one off.
SCREENING_MONITORING_SUBJECTS = env.str(
    "SCREENING_MONITORING_SUBJECTS", default="kyc.screening_flow.monitored_subjects"
)
SCREENING_MONITORING_ALERT = env.str("SCREENING_MONITORING_ALERT", default="kyc.screening_flow.monitoring_alert")

# Celery beat entries of this app, merged into CELERY_BEAT_SCHEDULE by base.py.
BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # One entry per source: a slow or failing publisher delays nobody else.
    **{
        f"screening.refresh.{source}": {
            "task": "screening.list_refresh",
            "schedule": timedelta(minutes=minutes),
            "args": (source,),
            # A refresh that waited longer than its own interval is superseded by the next one.
            "options": {"expires": minutes * 60},
        }
        for source, minutes in SCREENING_REFRESH_MINUTES.items()
        if minutes > 0
    },
    "screening.lists_stale_check": {"task": "screening.lists_stale_check", "schedule": crontab(minute=5)},
    "screening-monitoring": {
        "task": "screening.monitoring_scheduled",
        "schedule": crontab(minute=40, hour=3),
    },
    # Checks whose Celery message was lost are sent again (the database, not the broker, says what is due).
    "screening.checks_sweep": {"task": "screening.checks_sweep", "schedule": crontab(minute="*/5")},
}
# A check still pending after this long is assumed lost in the broker and sent again by the sweep.
SCREENING_CHECK_STALE_MINUTES = env.int("SCREENING_CHECK_STALE_MINUTES", default=10)
