"""Settings of the `operators` app, read from the environment. Imported by base.py; owned by the app.

Every number that shapes a decision (bond, score weights, rewards factors, allocation caps) is here, named,
with its default, so an operator can be shown which parameter produced the figure they see.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from claystack_portal.env import env

# The Ethereum network this portal's pools run on. Deposit data whose `fork_version` is not this network's
# genesis fork version is refused. Known: mainnet, sepolia, holesky, hoodi.
OPERATORS_NETWORK = env.str("OPERATORS_NETWORK", default="mainnet")
OPERATORS_GENESIS_FORK_VERSIONS: dict[str, str] = {
    "mainnet": "00000000",
    "sepolia": "90000069",
    "holesky": "01017000",
    "hoodi": "10000910",
}
if OPERATORS_NETWORK not in OPERATORS_GENESIS_FORK_VERSIONS:
    raise ImproperlyConfigured(
        f"OPERATORS_NETWORK={OPERATORS_NETWORK!r} is not known; use one of "
        f"{', '.join(sorted(OPERATORS_GENESIS_FORK_VERSIONS))}."
    )
# Checking each deposit signature costs ~0.3 s per key in pure Python (py_ecc); it can be switched off for very
# large files, the roots and the key itself are always checked.
OPERATORS_VERIFY_DEPOSIT_SIGNATURES = env.bool("OPERATORS_VERIFY_DEPOSIT_SIGNATURES", default=True)
# Files with more keys than this have a sample of this many signatures verified (all roots and keys are still
# checked), so a 1,000-key upload answers in seconds rather than minutes. The sample is keyed with SECRET_KEY and
# the file: the same file gets the same sample, and the uploader cannot choose it. 0 or less: verify every one.
OPERATORS_DEPOSIT_SIGNATURE_SAMPLE: int | None = env.int("OPERATORS_DEPOSIT_SIGNATURE_SAMPLE", default=32) or None
if OPERATORS_DEPOSIT_SIGNATURE_SAMPLE is not None and OPERATORS_DEPOSIT_SIGNATURE_SAMPLE < 0:
    OPERATORS_DEPOSIT_SIGNATURE_SAMPLE = None
OPERATORS_DEPOSIT_FILE_MAX_BYTES = env.int("OPERATORS_DEPOSIT_FILE_MAX_BYTES", default=2 * 1024 * 1024)

# Beacon node (standard Beacon API). Empty: the performance import is off and says so on the staff page.
OPERATORS_BEACON_URL = env.str("OPERATORS_BEACON_URL", default="")
OPERATORS_BEACON_TIMEOUT_SECONDS = env.float("OPERATORS_BEACON_TIMEOUT_SECONDS", default=10.0)
# How many epochs behind the head the import reads: attestation rewards are only final after two epochs.
OPERATORS_BEACON_EPOCH_LAG = env.int("OPERATORS_BEACON_EPOCH_LAG", default=2)
OPERATORS_SLOTS_PER_EPOCH = env.int("OPERATORS_SLOTS_PER_EPOCH", default=32)

# Performance score: the window (in epochs) the score is computed over. The formula itself is versioned in
# operators/performance.py; its weights are part of the version, not a setting, so a score always means the same.
OPERATORS_SCORE_WINDOW_EPOCHS = env.int("OPERATORS_SCORE_WINDOW_EPOCHS", default=225 * 7)  # about a week
# A new point of score history at most this often (the newest point is updated in between).
OPERATORS_SCORE_SNAPSHOT_SECONDS = env.int("OPERATORS_SCORE_SNAPSHOT_SECONDS", default=6 * 3600)
# Per-validator epoch history older than this many epochs is deleted after each import (about 400 days).
OPERATORS_HISTORY_RETENTION_EPOCHS = env.int("OPERATORS_HISTORY_RETENTION_EPOCHS", default=225 * 400)

# Bond (ETH). bond = base[category] + per_validator[category] x validators x multiplier(score), where the
# multiplier falls linearly from `max_multiplier` at score 0 to 1 at `score_for_no_surcharge` and above.
OPERATORS_BOND_BASE_ETH: dict[str, str] = env.json(
    "OPERATORS_BOND_BASE_ETH",
    default={"professional": "8", "solo_home": "2", "ssv_operator": "4", "obol_cluster": "4"},
)
OPERATORS_BOND_PER_VALIDATOR_ETH: dict[str, str] = env.json(
    "OPERATORS_BOND_PER_VALIDATOR_ETH",
    default={"professional": "1", "solo_home": "2.4", "ssv_operator": "1.5", "obol_cluster": "1.5"},
)
OPERATORS_BOND_MAX_MULTIPLIER = env.str("OPERATORS_BOND_MAX_MULTIPLIER", default="2")
OPERATORS_BOND_SCORE_FOR_NO_SURCHARGE = env.str("OPERATORS_BOND_SCORE_FOR_NO_SURCHARGE", default="90")

# Rewards: F, the factor of each node type in R = T x F x N / A - P + O.
OPERATORS_REWARD_FACTORS: dict[str, str] = env.json(
    "OPERATORS_REWARD_FACTORS",
    default={"professional": "0.90", "solo_home": "1.00", "ssv_operator": "0.95", "obol_cluster": "0.95"},
)

# Exits: how long an operator has to exit a validator after a request (hours), per kind.
OPERATORS_EXIT_DEADLINE_HOURS: dict[str, int] = env.json(
    "OPERATORS_EXIT_DEADLINE_HOURS", default={"voluntary": 168, "requested": 72, "forced": 24}
)

# Allocation: an operator is eligible with at least this score; it never holds more than its cap.
OPERATORS_ALLOCATION_MIN_SCORE = env.str("OPERATORS_ALLOCATION_MIN_SCORE", default="70")
OPERATORS_DEFAULT_VALIDATOR_CAP = env.int("OPERATORS_DEFAULT_VALIDATOR_CAP", default=500)

for _name, _table in (
    ("OPERATORS_BOND_BASE_ETH", OPERATORS_BOND_BASE_ETH),
    ("OPERATORS_BOND_PER_VALIDATOR_ETH", OPERATORS_BOND_PER_VALIDATOR_ETH),
    ("OPERATORS_REWARD_FACTORS", OPERATORS_REWARD_FACTORS),
):
    _missing = {"professional", "solo_home", "ssv_operator", "obol_cluster"} - set(_table)
    if _missing:
        raise ImproperlyConfigured(f"{_name} lacks a value for {', '.join(sorted(_missing))}.")

# Celery beat entries of this app, merged into CELERY_BEAT_SCHEDULE by base.py.
BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "operators.beacon_import": {
        "task": "operators.beacon_import",
        "schedule": timedelta(seconds=env.int("OPERATORS_BEACON_IMPORT_EVERY_SECONDS", default=384)),
    },
    "operators.exits_check": {"task": "operators.exits_check", "schedule": timedelta(minutes=30)},
}
