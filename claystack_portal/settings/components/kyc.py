"""Settings of the `kyc` app, read from the environment. Imported by base.py; owned by the app."""

from __future__ import annotations

import os
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from claystack_portal.env import env

# Documents: largest accepted upload, in bytes (10 MB by default).
KYC_DOCUMENT_MAX_BYTES: int = env.int("KYC_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Per application: at most this many documents, together at most this many bytes (enough for a company with a
# dozen directors and owners, each with an identity document and a proof of address). Beyond it an upload is
# refused with the numbers, so one draft cannot fill the storage or make its data export enormous.
KYC_DOCUMENTS_MAX_PER_APPLICATION: int = env.int("KYC_DOCUMENTS_MAX_PER_APPLICATION", default=50)
KYC_DOCUMENTS_MAX_TOTAL_BYTES: int = env.int("KYC_DOCUMENTS_MAX_TOTAL_BYTES", default=200 * 1024 * 1024)

# S3-compatible document storage (django-storages) is switched on by KYC_S3_BUCKET; the rest is then required.
KYC_S3_BUCKET: str = env.str("KYC_S3_BUCKET", default="")
if KYC_S3_BUCKET:
    _missing = [name for name in ("KYC_S3_ACCESS_KEY_ID", "KYC_S3_SECRET_ACCESS_KEY") if not os.environ.get(name)]
    if _missing:
        raise ImproperlyConfigured(f"KYC_S3_BUCKET is set but {', '.join(_missing)} is missing.")
    KYC_DOCUMENT_STORAGE: dict[str, object] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": KYC_S3_BUCKET,
            "access_key": env.str("KYC_S3_ACCESS_KEY_ID"),
            "secret_key": env.str("KYC_S3_SECRET_ACCESS_KEY"),
            "endpoint_url": env.str("KYC_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("KYC_S3_REGION", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            # Documents are personal data: encrypted by the bucket as well.
            "object_parameters": {"ServerSideEncryption": "AES256"},
        },
    }
else:
    KYC_DOCUMENT_STORAGE = {}

# Wallet proofs (EIP-4361). The domain written into the message; empty: the host the applicant is using.
KYC_SIWE_DOMAIN: str = env.str("KYC_SIWE_DOMAIN", default="")
# Chains whose signatures are accepted; the first is offered by default (1 = Ethereum mainnet).
KYC_WALLET_CHAIN_IDS: list[int] = [int(c) for c in env.list("KYC_WALLET_CHAIN_IDS", default=["1"])]
# How long a sign-in message may wait for its signature, per kind of wallet: an ordinary account signs at once;
# an address with code (a Safe) needs its owners to sign one after another (a 2-of-3 Safe across time zones,
# or SignMessageLib executed on chain), so it gets days. The kind is read from the chain when the message is issued.
KYC_WALLET_CHALLENGE_TTL_SECONDS: int = env.int("KYC_WALLET_CHALLENGE_TTL_SECONDS", default=15 * 60)
KYC_CONTRACT_WALLET_CHALLENGE_TTL_SECONDS: int = env.int(
    "KYC_CONTRACT_WALLET_CHALLENGE_TTL_SECONDS", default=3 * 24 * 3600
)
for _name in ("KYC_WALLET_CHALLENGE_TTL_SECONDS", "KYC_CONTRACT_WALLET_CHALLENGE_TTL_SECONDS"):
    if globals()[_name] <= 0:
        raise ImproperlyConfigured(f"{_name} must be a positive number of seconds.")
# JSON-RPC endpoint used to verify EIP-1271 contract-wallet signatures; off when empty.
KYC_ETH_RPC_URL: str = env.str("KYC_ETH_RPC_URL", default="")
KYC_ETH_RPC_TIMEOUT_SECONDS: float = env.float("KYC_ETH_RPC_TIMEOUT_SECONDS", default=5.0)

# How long an API answer is kept for replay under its Idempotency-Key.
KYC_IDEMPOTENCY_TTL_HOURS: int = env.int("KYC_IDEMPOTENCY_TTL_HOURS", default=48)

# Celery beat entries of this app, merged into CELERY_BEAT_SCHEDULE by base.py.
BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "kyc.idempotency_purge": {"task": "kyc.idempotency_purge", "schedule": timedelta(hours=1)},
    # Approvals whose validity has ended are expired (and their wallets queued for whitelist removal).
    "kyc.approvals_expire": {"task": "kyc.approvals_expire", "schedule": timedelta(hours=1)},
    # Cases whose screening events were lost: started again, or moved on once their checks have settled.
    "kyc.screening_sweep": {"task": "kyc.screening_sweep", "schedule": timedelta(minutes=5)},
}
# A case still submitted (screening never started) after this long is assumed lost in the broker.
KYC_SCREENING_STALE_MINUTES = env.int("KYC_SCREENING_STALE_MINUTES", default=10)

# Review decisions. Months an approval is valid, by risk level (a high-risk customer is re-verified sooner).
KYC_VALIDITY_MONTHS: dict[str, int] = {
    "low": env.int("KYC_VALIDITY_MONTHS_LOW", default=36),
    "medium": env.int("KYC_VALIDITY_MONTHS_MEDIUM", default=24),
    "high": env.int("KYC_VALIDITY_MONTHS_HIGH", default=12),
}
# Four-eyes: how many approvals by different officers each risk level needs (the first by the reviewer,
# the others by officers with the approver role). A prohibited case cannot be approved at all.
KYC_APPROVALS_REQUIRED: dict[str, int] = {
    "low": env.int("KYC_APPROVALS_LOW", default=1),
    "medium": env.int("KYC_APPROVALS_MEDIUM", default=1),
    "high": env.int("KYC_APPROVALS_HIGH", default=2),
}
# Reason codes a rejection or revocation must use (shown to staff; the applicant sees the message).
KYC_REJECTION_REASON_CODES: tuple[str, ...] = (
    "sanctions_match",
    "prohibited_jurisdiction",
    "incomplete_information",
    "unverifiable_identity",
    "unverifiable_ownership",
    "source_of_funds",
    "risk_appetite",
    "other",
)
# Service levels: days from submission to decision, by risk level (the queue marks late cases overdue).
KYC_SLA_DAYS: dict[str, int] = {
    "low": env.int("KYC_SLA_DAYS_LOW", default=10),
    "medium": env.int("KYC_SLA_DAYS_MEDIUM", default=5),
    "high": env.int("KYC_SLA_DAYS_HIGH", default=3),
    "prohibited": env.int("KYC_SLA_DAYS_PROHIBITED", default=2),
}
# Cases per page in the review queue.
KYC_QUEUE_PAGE_SIZE: int = env.int("KYC_QUEUE_PAGE_SIZE", default=50)
# Days before an approval ends that the applicant is invited to re-verify.
KYC_EXPIRY_WARNING_DAYS: int = env.int("KYC_EXPIRY_WARNING_DAYS", default=30)
# A renewal copies the renewed case's documents except expired identity documents and proofs of address older
# than this (the applicant uploads fresh ones).
KYC_RENEWAL_PROOF_OF_ADDRESS_MAX_DAYS: int = env.int("KYC_RENEWAL_PROOF_OF_ADDRESS_MAX_DAYS", default=90)

# Where the portal is reached from outside: e-mails carry absolute links built on it.
SITE_URL: str = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Automatic assignment (off by default): a case that becomes ready for review goes, round robin, to an active
# reviewer (review role, TOTP set up) who has fewer than KYC_AUTO_ASSIGN_MAX_OPEN open cases.
KYC_AUTO_ASSIGN: bool = env.bool("KYC_AUTO_ASSIGN", default=False)
KYC_AUTO_ASSIGN_MAX_OPEN: int = env.int("KYC_AUTO_ASSIGN_MAX_OPEN", default=25)
if KYC_AUTO_ASSIGN_MAX_OPEN < 1:
    raise ImproperlyConfigured("KYC_AUTO_ASSIGN_MAX_OPEN must be at least 1.")
