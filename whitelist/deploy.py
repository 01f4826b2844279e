"""Deploying the whitelist contract and recording where it lives."""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction

from core.audit import audit_record
from whitelist.chain import Chain, ChainError, Signer, checksum
from whitelist.models import Deployment
from whitelist.sync import _locked_cursor, initial_fees


@transaction.atomic
def whitelist_deploy(
    *, chain: Chain, signer: Signer, list_key: str, admin: str, manager: str, actor: Any = None, timeout: float = 120
) -> Deployment:
    """Deploy one list's contract, wait for its receipt and record address, chain id, transaction and block.

    `admin` receives DEFAULT_ADMIN_ROLE (a Safe or timelock in production), `manager` WHITELIST_MANAGER_ROLE
    (the portal's signer, or the Safe). The nonce comes from the same locked cursor as the batches."""
    admin, manager = checksum(admin), checksum(manager)
    chain_id = chain.chain_id()
    data = chain.deploy_data(admin=admin, manager=manager, list_key=list_key)
    gas = int(chain.estimate_gas(sender=signer.address, to=None, data=data) * 1.2)
    fees = initial_fees(chain)
    if fees is None:
        raise ChainError("the base fee is above WHITELIST_MAX_FEE_GWEI; try again later or raise the ceiling")
    cursor = _locked_cursor(chain, chain_id, signer.address)
    nonce = max(cursor.next_nonce, chain.nonce(signer.address, block="latest"))
    signed = signer.sign(chain.build_tx(chain_id=chain_id, nonce=nonce, to=None, data=data, gas=gas, fees=fees))
    chain.send_raw(signed.raw)
    cursor.next_nonce = nonce + 1
    cursor.save(update_fields=["next_nonce"])
    deadline = time.monotonic() + timeout
    receipt = chain.receipt(signed.tx_hash)
    while receipt is None:
        if time.monotonic() > deadline:
            raise ChainError(f"deployment {signed.tx_hash} not mined within {timeout:.0f}s")
        time.sleep(0.2)
        receipt = chain.receipt(signed.tx_hash)
    if receipt.status != 1 or not receipt.contract_address:
        raise ChainError(f"deployment {signed.tx_hash} reverted")
    dep = Deployment.objects.create(
        list_key=list_key,
        chain_id=chain_id,
        address=checksum(receipt.contract_address),
        tx_hash=signed.tx_hash,
        block_number=receipt.block_number,
        deployer=signer.address,
        admin=admin,
        manager=manager,
    )
    audit_record(
        actor=actor,
        action="whitelist.deployed",
        target=dep,
        after={"address": dep.address, "chain_id": chain_id, "tx_hash": dep.tx_hash, "block": dep.block_number},
    )
    return dep
