"""Contract-wallet (EIP-1271) proofs against a real EVM: anvil from node_modules, started on a free port."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings as django_settings
from eth_abi import encode

from core.exceptions import ApplicationError
from kyc import services
from kyc.models import WalletAddress
from kyc.tests.factories import sign

ANVIL = Path(django_settings.BASE_DIR) / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
ARTIFACT = Path(__file__).parent / "contracts" / "OwnerWallet.json"

pytestmark = [
    pytest.mark.chain,
    pytest.mark.skipif(not ANVIL.exists(), reason="anvil is not installed (npm install in the project root)"),
]


def _rpc(url: str, method: str, params: list[Any]) -> Any:
    body = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=5).json()
    assert "error" not in body, body
    return body["result"]


@pytest.fixture(scope="module")
def anvil() -> Iterator[str]:
    process = subprocess.Popen(
        [str(ANVIL), "--host", "127.0.0.1", "--port", "0", "--chain-id", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = None
        deadline = time.monotonic() + 15
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            match = re.search(r"Listening on (127\.0\.0\.1:\d+)", line)
            if match:
                url = f"http://{match.group(1)}"
                break
        assert url, "anvil did not start"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _deploy(url: str, owner: str) -> str:
    artifact = json.loads(ARTIFACT.read_text())
    deployer = _rpc(url, "eth_accounts", [])[0]
    data = artifact["bytecode"] + encode(["address"], [owner]).hex()
    tx = _rpc(url, "eth_sendTransaction", [{"from": deployer, "data": data, "gas": hex(500_000)}])
    deadline = time.monotonic() + 10
    while (receipt := _rpc(url, "eth_getTransactionReceipt", [tx])) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert receipt is not None and receipt["status"] == "0x1", receipt
    return str(receipt["contractAddress"])


@pytest.fixture
def contract_wallet(anvil: str, settings: Any, wallet_key: Any) -> str:
    settings.KYC_ETH_RPC_URL = anvil
    settings.KYC_ETH_RPC_TIMEOUT_SECONDS = 5
    return _deploy(anvil, wallet_key.address)


def _application_with(alice: Any, address: str) -> tuple[WalletAddress, str]:
    app = services.application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
    wallet = services.wallet_add(application=app, by=alice, address=address, label="Safe", purpose="staking_deposits")
    challenge = services.wallet_challenge_issue(wallet=wallet, by=alice, domain="portal.example", uri="https://p/")
    return wallet, challenge.message


def test_a_contract_wallet_proves_ownership_through_eip1271(alice: Any, contract_wallet: str, wallet_key: Any) -> None:
    wallet, message = _application_with(alice, contract_wallet)
    proven = services.wallet_proof_verify(wallet=wallet, by=alice, message=message, signature=sign(wallet_key, message))
    assert proven.proof_method == WalletAddress.ProofMethod.CONTRACT_WALLET
    assert proven.verified_at is not None


def test_a_contract_wallet_refuses_a_signature_by_someone_else(
    alice: Any, contract_wallet: str, other_key: Any
) -> None:
    wallet, message = _application_with(alice, contract_wallet)
    with pytest.raises(ApplicationError, match="not by") as exc:
        services.wallet_proof_verify(wallet=wallet, by=alice, message=message, signature=sign(other_key, message))
    assert exc.value.code == "forged"


def test_an_unreachable_rpc_is_a_visible_refusal_not_a_pass(
    alice: Any, settings: Any, wallet_key: Any, other_key: Any
) -> None:
    settings.KYC_ETH_RPC_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.KYC_ETH_RPC_TIMEOUT_SECONDS = 1
    wallet, message = _application_with(alice, wallet_key.address)
    with pytest.raises(ApplicationError, match="could not be checked on chain") as exc:
        services.wallet_proof_verify(wallet=wallet, by=alice, message=message, signature=sign(other_key, message))
    assert exc.value.code == "chain_unavailable"
