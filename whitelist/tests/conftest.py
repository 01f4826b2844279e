"""Chains for the whitelist tests: py-evm in process (fast to start, slow per batch) and anvil on a free
loopback port (started per test, about 70 ms; stopped by the fixture)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import override_settings

from whitelist import anvil as anvil_mod
from whitelist.chain import Chain, eth_tester_chain, signer_from_key
from whitelist.config import Runtime
from whitelist.deploy import whitelist_deploy


class Env:
    """A chain with both lists deployed and a Runtime for the sync engine."""

    def __init__(self, chain: Chain, keys: list[str], mine: Callable[[int], None], mode: str = "key") -> None:
        self.chain = chain
        self.keys = keys
        self.signer = signer_from_key(keys[0])
        self.mine = mine
        self.chain_id = chain.chain_id()
        self.deployments = {
            key: whitelist_deploy(
                chain=chain, signer=self.signer, list_key=key, admin=self.signer.address, manager=self.signer.address
            )
            for key in ("stakers", "operators")
        }
        self.rt = Runtime(chain=chain, chain_id=self.chain_id, signer=self.signer, mode=mode)

    def contract(self, list_key: str = "stakers") -> Any:
        return self.chain.whitelist(self.deployments[list_key].address)


@pytest.fixture
def chain_settings() -> Iterator[None]:
    with override_settings(
        WHITELIST_CONFIRMATIONS=1,
        WHITELIST_GOVERNANCE="key",
        WHITELIST_RPC_URL="",
        WHITELIST_STUCK_AFTER_SECONDS=180,
        ADMINS=[("Ops", "ops@claystack.example")],
    ):
        yield


@pytest.fixture
def tester(db: Any, chain_settings: None) -> Env:
    chain, keys = eth_tester_chain()
    return Env(chain, keys, mine=lambda n=1: chain.tester.mine_blocks(n))


@pytest.fixture
def anvil_node() -> Iterator[anvil_mod.Anvil]:
    if not anvil_mod.available():
        pytest.skip("anvil is not installed in node_modules: run `npm ci` (make test does)")
    node = anvil_mod.start()
    yield node
    node.stop()


def _anvil_env(node: anvil_mod.Anvil) -> Env:
    chain = Chain.http(node.url, timeout=5)
    return Env(chain, list(anvil_mod.DEV_KEYS), mine=lambda n=1: chain.rpc("anvil_mine", [hex(n)]))


@pytest.fixture
def anvil(db: Any, chain_settings: None, anvil_node: anvil_mod.Anvil) -> Env:
    env = _anvil_env(anvil_node)
    env.node = anvil_node
    return env


@pytest.fixture
def anvil_tx(transactional_db: Any, chain_settings: None, anvil_node: anvil_mod.Anvil) -> Env:
    env = _anvil_env(anvil_node)
    env.node = anvil_node
    return env
