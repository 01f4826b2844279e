"""Settings of the `whitelist` app, read from the environment. Imported by base.py; owned by the app.

The integration is on when ETH_RPC_URL is set (`make run` sets it to its local anvil). The signer key is
read from WHITELIST_SIGNER_KEY or from an encrypted keystore file (WHITELIST_KEYSTORE_PATH +
WHITELIST_KEYSTORE_PASSWORD), never from the database; the worker checks all of it at start-up and stops
with a message naming the setting that is wrong.
"""

from __future__ import annotations

from datetime import timedelta

from claystack_portal.env import env

WHITELIST_RPC_URL: str = env.str("ETH_RPC_URL", default="")
WHITELIST_RPC_TIMEOUT: float = env.float("WHITELIST_RPC_TIMEOUT", default=10.0)
# The public lookup: requests per minute per client address (empty: no limit), and how long a web process may
# repeat an answer from memory (0: always from the database; docs/deploy.md recommends 5 in production).
WHITELIST_LOOKUP_RATE: str | None = env.str("WHITELIST_LOOKUP_RATE", default="120/min") or None
WHITELIST_LOOKUP_CACHE_SECONDS: int = env.int("WHITELIST_LOOKUP_CACHE_SECONDS", default=0)
# The chain the portal expects; a node answering another chain id stops the worker. 0 = not configured.
WHITELIST_CHAIN_ID: int = env.int("WHITELIST_CHAIN_ID", default=0)
WHITELIST_SIGNER_KEY: str = env.str("WHITELIST_SIGNER_KEY", default="")
WHITELIST_KEYSTORE_PATH: str = env.str("WHITELIST_KEYSTORE_PATH", default="")
WHITELIST_KEYSTORE_PASSWORD: str = env.str("WHITELIST_KEYSTORE_PASSWORD", default="")

# "key": the portal signs and sends; "board": M of N board members approve each batch in the portal first;
# "safe": the portal holds no key and exports Safe Transaction Builder JSON, then follows the events.
WHITELIST_GOVERNANCE: str = env.str("WHITELIST_GOVERNANCE", default="key")
WHITELIST_BOARD_QUORUM: int = env.int("WHITELIST_BOARD_QUORUM", default=2)
WHITELIST_SAFE_ADDRESS: str = env.str("WHITELIST_SAFE_ADDRESS", default="")

# Batching: at most this many addresses per transaction (EIP-7825 caps a transaction at 16,777,216 gas,
# about 670 new entries; the sync also splits any batch whose gas estimate comes too close to the cap).
WHITELIST_BATCH_SIZE: int = env.int("WHITELIST_BATCH_SIZE", default=300)
WHITELIST_TX_GAS_CAP: int = env.int("WHITELIST_TX_GAS_CAP", default=16_777_216)
# Fees: EIP-1559, never above this ceiling (gwei), for the first send and every replacement.
WHITELIST_MAX_FEE_GWEI: float = env.float("WHITELIST_MAX_FEE_GWEI", default=150.0)
WHITELIST_MAX_PRIORITY_FEE_GWEI: float = env.float("WHITELIST_MAX_PRIORITY_FEE_GWEI", default=3.0)
# A broadcast transaction still unmined after this long is replaced with fees +12.5 %.
WHITELIST_STUCK_AFTER_SECONDS: int = env.int("WHITELIST_STUCK_AFTER_SECONDS", default=180)
# Confirmations before a batch counts as done; 0 means "wait for the finalized tag".
WHITELIST_CONFIRMATIONS: int = env.int("WHITELIST_CONFIRMATIONS", default=12)
# Claimed changes whose worker died are returned to the queue after this long.
WHITELIST_CLAIM_TIMEOUT_SECONDS: int = env.int("WHITELIST_CLAIM_TIMEOUT_SECONDS", default=600)
WHITELIST_LOG_CHUNK_BLOCKS: int = env.int("WHITELIST_LOG_CHUNK_BLOCKS", default=5000)
# "{hash}" and "{address}" are replaced; empty hides explorer links (local chains have none).
WHITELIST_EXPLORER_TX_URL: str = env.str("WHITELIST_EXPLORER_TX_URL", default="https://etherscan.io/tx/{hash}")
WHITELIST_EXPLORER_ADDRESS_URL: str = env.str(
    "WHITELIST_EXPLORER_ADDRESS_URL", default="https://etherscan.io/address/{address}"
)
# Entries added without an explicit expiry stay valid this many days.
WHITELIST_DEFAULT_VALIDITY_DAYS: int = env.int("WHITELIST_DEFAULT_VALIDITY_DAYS", default=365)

# Celery beat entries of this app, merged into CELERY_BEAT_SCHEDULE by base.py.
BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "whitelist.sync": {"task": "whitelist.sync", "schedule": timedelta(seconds=15)},
    "whitelist.reconcile": {"task": "whitelist.reconcile", "schedule": timedelta(hours=1)},
    # Re-derive every target from the approved cases: heals a target that a missed decision hook left wrong.
    "whitelist.targets_refresh": {"task": "whitelist.targets_refresh", "schedule": timedelta(hours=24)},
}
