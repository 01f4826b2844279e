"""The chain connection, signer and governance mode, built from settings and checked before any send."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings

from whitelist.chain import (
    MANAGER_ROLE,
    Chain,
    ChainError,
    ChainUnavailable,
    Misconfigured,
    Signer,
    checksum,
    list_key_bytes,
    signer_from_key,
    signer_from_keystore,
)
from whitelist.models import Deployment, ListKey

logger = logging.getLogger(__name__)

GOVERNANCE_MODES = ("key", "board", "safe")


def is_enabled() -> bool:
    """The integration is on when an RPC URL is configured."""
    return bool(settings.WHITELIST_RPC_URL)


def governance() -> str:
    mode = settings.WHITELIST_GOVERNANCE
    if mode not in GOVERNANCE_MODES:
        raise Misconfigured("WHITELIST_GOVERNANCE", f"must be one of {', '.join(GOVERNANCE_MODES)}, not {mode!r}")
    return mode


def chain_from_settings() -> Chain:
    if not settings.WHITELIST_RPC_URL:
        raise Misconfigured("ETH_RPC_URL", "is not set: the whitelist has no node to talk to")
    return Chain.http(settings.WHITELIST_RPC_URL, timeout=settings.WHITELIST_RPC_TIMEOUT)


def signer_from_settings() -> Signer | None:
    """The portal's signer: a key in the environment or an encrypted keystore file. None in Safe mode."""
    key, path = settings.WHITELIST_SIGNER_KEY, settings.WHITELIST_KEYSTORE_PATH
    if key and path:
        raise Misconfigured("WHITELIST_SIGNER_KEY", "set either it or WHITELIST_KEYSTORE_PATH, not both")
    if key:
        return signer_from_key(key)
    if path:
        if not settings.WHITELIST_KEYSTORE_PASSWORD:
            raise Misconfigured("WHITELIST_KEYSTORE_PASSWORD", "is required with WHITELIST_KEYSTORE_PATH")
        return signer_from_keystore(path, settings.WHITELIST_KEYSTORE_PASSWORD)
    if governance() == "safe":
        return None
    raise Misconfigured(
        "WHITELIST_SIGNER_KEY",
        "is not set (nor WHITELIST_KEYSTORE_PATH): key and board modes need the portal's signer",
    )


def safe_address() -> str:
    try:
        return checksum(settings.WHITELIST_SAFE_ADDRESS)
    except ValueError as exc:
        raise Misconfigured("WHITELIST_SAFE_ADDRESS", f"is not a valid address: {exc}") from None


def check_chain_id(chain: Chain, *, at_start: bool = True) -> int:
    """The node's chain id, which must be the configured one (a wrong node must never get our key).

    At start-up a node that does not answer means ETH_RPC_URL is wrong (Misconfigured); later it is an
    outage (ChainUnavailable, retried)."""
    try:
        actual = chain.chain_id()
    except ChainUnavailable as exc:
        if not at_start:
            raise
        raise Misconfigured("ETH_RPC_URL", f"no node answers at {settings.WHITELIST_RPC_URL}: {exc}") from None
    expected = settings.WHITELIST_CHAIN_ID
    if not expected:
        raise Misconfigured("WHITELIST_CHAIN_ID", f"is not set (the node at ETH_RPC_URL says {actual})")
    if actual != expected:
        raise Misconfigured("WHITELIST_CHAIN_ID", f"is {expected} but the node at ETH_RPC_URL is chain {actual}")
    return actual


@dataclass(frozen=True)
class Runtime:
    chain: Chain
    chain_id: int
    signer: Signer | None
    mode: str

    @property
    def sender(self) -> str:
        """Who calls the contract: the portal's signer, or the Safe in Safe mode."""
        if self.mode == "safe":
            return safe_address()
        assert self.signer is not None  # noqa: S101 - signer_from_settings guarantees it outside Safe mode
        return self.signer.address


def runtime(*, chain: Chain | None = None, signer: Signer | None = None, at_start: bool = True) -> Runtime:
    """Everything the sync needs, checked: RPC reachable, chain id, key, governance mode.

    Raises Misconfigured naming the setting. The worker calls it at start-up and stops on error; the
    tasks call it with at_start=False, so a node that is down is an outage to retry, not a misconfiguration."""
    mode = governance()
    chain = chain or chain_from_settings()
    chain_id = check_chain_id(chain, at_start=at_start)
    if signer is None and mode != "safe":
        signer = signer_from_settings()
    if mode == "safe":
        safe_address()
        signer = None
    return Runtime(chain=chain, chain_id=chain_id, signer=signer, mode=mode)


def deployment_current(*, list_key: str, chain_id: int) -> Deployment | None:
    return Deployment.objects.filter(chain_id=chain_id, list_key=list_key).order_by("-id").first()


def deployment_problems(rt: Runtime, deployment: Deployment) -> list[str]:
    """What is wrong with a deployment before we send to it: no code, wrong list, missing roles."""
    problems: list[str] = []
    try:
        if not rt.chain.code_at(deployment.address):
            return [
                f"No contract at {deployment.address} on chain {rt.chain_id}: deploy it (manage.py whitelist_deploy)."
            ]
        contract = rt.chain.whitelist(deployment.address)
        if contract.list_key() != list_key_bytes(deployment.list_key):
            problems.append(f"The contract at {deployment.address} does not hold the {deployment.list_key} list.")
        if not contract.has_role(MANAGER_ROLE, rt.sender):
            problems.append(
                f"{rt.sender} does not have WHITELIST_MANAGER_ROLE on the {deployment.list_key} contract "
                f"{deployment.address}: an admin must grant it before anything is sent."
            )
    except ChainError as exc:
        if isinstance(exc, ChainUnavailable):
            raise
        problems.append(f"The contract at {deployment.address} does not answer as a whitelist: {exc}")
    return problems


def list_keys() -> list[str]:
    return list(ListKey.values)
