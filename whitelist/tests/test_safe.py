"""Safe mode end to end with a real 2-of-3 Safe (v1.4.1, deployed on anvil by safe-eth-py): the portal holds
no key, exports a Transaction Builder file, the owners sign and execute it, and the portal follows the
execution through the contract's events. (safe-eth-py uses web3 itself; it is a test tool, not app code.)"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from eth_account import Account
from safe_eth.eth import EthereumClient
from safe_eth.safe.proxy_factory import ProxyFactoryV141
from safe_eth.safe.safe import SafeV141

from whitelist import anvil as anvil_mod
from whitelist.chain import MANAGER_ROLE
from whitelist.config import Runtime
from whitelist.deploy import whitelist_deploy
from whitelist.models import Batch, Change, Transaction
from whitelist.sync import sync_until_settled, whitelist_sync
from whitelist.tests.factories import request_add
from whitelist.tests.txbuilder import builder_encode

pytestmark = pytest.mark.chain


@pytest.fixture
def safe(anvil):
    client = EthereumClient(anvil.node.url)
    deployer = Account.from_key(anvil_mod.DEV_KEYS[0])
    singleton = SafeV141.deploy_contract(client, deployer)
    factory = ProxyFactoryV141.deploy_contract(client, deployer)
    owners = [Account.from_key(k) for k in anvil_mod.DEV_KEYS[1:4]]
    created = SafeV141.create(
        client,
        deployer,
        singleton.contract_address,
        [o.address for o in owners],
        2,
        proxy_factory_address=factory.contract_address,
    )
    return SafeV141(created.contract_address, client), owners


def test_a_two_of_three_safe_executes_the_exported_batch_and_the_portal_confirms_it(
    anvil, safe, settings, client, make_staff
):
    safe_contract, owners = safe
    settings.WHITELIST_SAFE_ADDRESS = safe_contract.address
    dep, _ = (
        whitelist_deploy(
            chain=anvil.chain,
            signer=anvil.signer,
            list_key=key,
            admin=safe_contract.address,
            manager=safe_contract.address,
        )
        for key in ("stakers", "operators")
    )
    assert anvil.chain.whitelist(dep.address).has_role(MANAGER_ROLE, safe_contract.address)
    rt = Runtime(chain=anvil.chain, chain_id=anvil.chain_id, signer=None, mode="safe")
    until = timezone.now() + dt.timedelta(days=30)
    changes = [request_add(valid_until=until) for _ in range(5)]
    report = whitelist_sync(rt)
    assert report.problems == []
    batch = Batch.objects.get()
    assert batch.status == Batch.Status.AWAITING_SAFE and batch.deployment == dep

    client.force_login(make_staff("whitelist_admin"))
    export = json.loads(client.get(reverse("whitelist_batch_safe", args=[batch.pk])).content)
    (call,) = export["transactions"]
    assert export["meta"]["createdFromSafeAddress"] == safe_contract.address

    # The owners import the file, two of them sign, one executes.
    # As the Builder does: the calldata is encoded from the method and values the signers see.
    data = builder_encode(call)
    assert data == batch.calldata
    safe_tx = safe_contract.build_multisig_tx(call["to"], int(call["value"]), bytes.fromhex(data[2:]))
    safe_tx.sign(owners[0].key.hex())
    safe_tx.sign(owners[2].key.hex())
    tx_hash, _ = safe_tx.execute(owners[0].key.hex(), tx_gas=2_000_000)

    sync_until_settled(rt, mine=lambda: anvil.mine(1))
    batch.refresh_from_db()
    assert batch.status == Batch.Status.CONFIRMED
    assert batch.tx_hash == "0x" + bytes(tx_hash).hex()
    assert not Transaction.objects.exists()  # the portal signed nothing
    contract = anvil.chain.whitelist(dep.address)
    for change in changes:
        change.refresh_from_db()
        assert change.status == Change.Status.CONFIRMED and contract.is_whitelisted(change.address)
