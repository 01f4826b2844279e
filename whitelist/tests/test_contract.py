"""The Solidity contract, exercised on py-evm in process."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from whitelist.chain import ARTIFACT_PATH, MANAGER_ROLE, Reverted, signer_from_key
from whitelist.tests.factories import fresh_address

pytestmark = pytest.mark.chain
ROOT = Path(__file__).resolve().parents[2]


def _send(env, key: str, data: str, to: str) -> object:
    """Sign and send one call from `key` and mine it; returns the receipt."""
    signer = signer_from_key(key)
    chain = env.chain
    tx = chain.build_tx(
        chain_id=env.chain_id,
        nonce=chain.nonce(signer.address),
        to=to,
        data=data,
        gas=3_000_000,
        fees=chain.suggest_fees(),
    )
    tx_hash = chain.send_raw(signer.sign(tx).raw)
    return chain.receipt(tx_hash)


def _now(env) -> int:
    return env.chain.block("latest")[2]


def test_a_batch_whitelists_each_address_until_its_expiry_and_not_after(tester):
    contract = tester.contract()
    a, b = fresh_address(), fresh_address()
    until = _now(tester) + 1000
    receipt = _send(tester, tester.keys[0], contract.add_data([a, b], until, "0x" + "11" * 32), contract.address)
    assert receipt.status == 1
    assert contract.is_whitelisted(a) and contract.is_whitelisted(b)
    assert contract.valid_until_many([a, b, fresh_address()]) == [until, until, 0]
    tester.chain.tester.time_travel(until + 1)
    assert not contract.is_whitelisted(a)


def test_every_address_gets_its_own_event_carrying_the_batch_id(tester):
    contract = tester.contract()
    a, b = fresh_address(), fresh_address()
    batch_id = "0x" + "ab" * 32
    _send(tester, tester.keys[0], contract.add_data([a, b], _now(tester) + 1000, batch_id), contract.address)
    _send(tester, tester.keys[0], contract.remove_data([a], "0x" + "cd" * 32), contract.address)
    events = list(contract.events(0, tester.chain.block_number()))
    assert [(e.kind, e.account, e.batch_id) for e in events] == [
        ("added", a, batch_id),
        ("added", b, batch_id),
        ("removed", a, "0x" + "cd" * 32),
    ]
    assert not contract.is_whitelisted(a) and contract.is_whitelisted(b)


def test_a_caller_without_the_manager_role_is_refused_by_name(tester):
    contract = tester.contract()
    outsider = signer_from_key(tester.keys[1])
    with pytest.raises(Reverted, match="AccessControlUnauthorizedAccount") as exc:
        tester.chain.estimate_gas(
            sender=outsider.address,
            to=contract.address,
            data=contract.add_data([fresh_address()], 2**40, "0x" + "00" * 32),
        )
    assert MANAGER_ROLE in exc.value.reason
    assert contract.has_role(MANAGER_ROLE, tester.signer.address)
    assert not contract.has_role(MANAGER_ROLE, outsider.address)


@pytest.mark.parametrize(
    ("accounts", "until", "reason"),
    [
        ([], 2**40, "EmptyBatch()"),
        (["0x" + "00" * 20], 2**40, "ZeroAddress(0)"),
        (["0x000000000000000000000000000000000000dEaD", "0x" + "00" * 20], 2**40, "ZeroAddress(1)"),
        (["0x000000000000000000000000000000000000dEaD"], 5, "ValidUntilInPast(5)"),
    ],
)
def test_bad_batches_revert_with_a_clear_reason(tester, accounts, until, reason):
    contract = tester.contract()
    with pytest.raises(Reverted) as exc:
        tester.chain.estimate_gas(
            sender=tester.signer.address, to=contract.address, data=contract.add_data(accounts, until, "0x" + "00" * 32)
        )
    assert exc.value.reason == reason


def test_an_empty_removal_reverts_too(tester):
    contract = tester.contract()
    with pytest.raises(Reverted, match="EmptyBatch"):
        tester.chain.estimate_gas(
            sender=tester.signer.address, to=contract.address, data=contract.remove_data([], "0x" + "00" * 32)
        )


def test_each_list_has_its_own_contract_that_names_its_list(tester):
    from whitelist.chain import list_key_bytes

    assert tester.contract("stakers").list_key() == list_key_bytes("stakers")
    assert tester.contract("operators").list_key() == list_key_bytes("operators")
    assert tester.deployments["stakers"].address != tester.deployments["operators"].address


def test_the_committed_artifact_is_what_the_pinned_compiler_produces_from_the_source():
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "solc").is_dir():
        pytest.skip("Node or node_modules/solc is absent: run `npm ci` to recompile")
    fresh = subprocess.run(
        [node, str(ROOT / "whitelist" / "contracts" / "compile.js"), "--stdout"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    committed = json.loads(ARTIFACT_PATH.read_text())
    recompiled = json.loads(fresh.stdout)
    assert recompiled["compiler"]["settings"]["evmVersion"] == "prague"
    assert recompiled["abi"] == committed["abi"]
    assert recompiled["bytecode"] == committed["bytecode"], "recompile: node whitelist/contracts/compile.js"
