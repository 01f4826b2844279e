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


# A real Safe{Wallet} (v1.4.1 with its CompatibilityFallbackHandler, deployed by safe-eth-py) whose owners sign
# the sign-in message on chain through SignMessageLib, as Safe{Wallet} does for an on-chain message: the
# signature it hands back is empty (0x) and only the Safe's isValidSignature can vouch for it.


@pytest.fixture(scope="module")
def safe_kit(anvil: str) -> dict[str, Any]:
    from eth_account import Account
    from safe_eth.eth import EthereumClient
    from safe_eth.eth.contracts import get_sign_message_lib_contract
    from safe_eth.safe.compatibility_fallback_handler import CompatibilityFallbackHandlerV141
    from safe_eth.safe.proxy_factory import ProxyFactoryV141
    from safe_eth.safe.safe import SafeV141

    from whitelist.anvil import DEV_KEYS

    client = EthereumClient(anvil)
    deployer = Account.from_key(DEV_KEYS[0])
    lib = get_sign_message_lib_contract(client.w3)
    lib_data = lib.constructor().build_transaction({"gas": 0, "gasPrice": 0, "nonce": 0, "chainId": 1})["data"]
    return {
        "client": client,
        "deployer": deployer,
        "owners": [Account.from_key(k) for k in DEV_KEYS[1:4]],
        "singleton": SafeV141.deploy_contract(client, deployer).contract_address,
        "factory": ProxyFactoryV141.deploy_contract(client, deployer).contract_address,
        "handler": CompatibilityFallbackHandlerV141.deploy_contract(client, deployer).contract_address,
        "sign_message_lib": client.deploy_and_initialize_contract(deployer, lib_data).contract_address,
    }


@pytest.fixture
def two_of_three_safe(safe_kit: dict[str, Any], anvil: str, settings: Any) -> Any:
    from safe_eth.safe.safe import SafeV141

    settings.KYC_ETH_RPC_URL = anvil
    settings.KYC_ETH_RPC_TIMEOUT_SECONDS = 5
    created = SafeV141.create(
        safe_kit["client"],
        safe_kit["deployer"],
        safe_kit["singleton"],
        [o.address for o in safe_kit["owners"]],
        2,
        fallback_handler=safe_kit["handler"],
        proxy_factory_address=safe_kit["factory"],
    )
    return SafeV141(created.contract_address, safe_kit["client"])


def _sign_on_chain(safe: Any, kit: dict[str, Any], message: str) -> None:
    """Two of the three owners approve and execute SignMessageLib.signMessage(digest) by delegatecall."""
    from safe_eth.eth.contracts import get_sign_message_lib_contract
    from safe_eth.safe import SafeOperationEnum

    from kyc import siwe

    lib = get_sign_message_lib_contract(kit["client"].w3, kit["sign_message_lib"])
    data = lib.functions.signMessage(siwe.eip191_hash(message)).build_transaction({"gas": 0, "gasPrice": 0})["data"]
    safe_tx = safe.build_multisig_tx(
        kit["sign_message_lib"], 0, bytes.fromhex(data[2:]), operation=SafeOperationEnum.DELEGATE_CALL.value
    )
    safe_tx.sign(kit["owners"][0].key.hex())
    safe_tx.sign(kit["owners"][2].key.hex())
    tx_hash, _ = safe_tx.execute(kit["owners"][0].key.hex(), tx_gas=500_000)
    receipt = kit["client"].w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10, poll_latency=0.05)
    assert receipt["status"] == 1


def test_a_safe_that_signed_the_message_on_chain_is_proven_with_an_empty_signature(
    alice: Any, two_of_three_safe: Any, safe_kit: dict[str, Any]
) -> None:
    wallet, message = _application_with(alice, two_of_three_safe.address)
    _sign_on_chain(two_of_three_safe, safe_kit, message)
    proven = services.wallet_proof_verify(wallet=wallet, by=alice, message=message, signature="0x", pasted=True)
    assert proven.proof_method == WalletAddress.ProofMethod.CONTRACT_WALLET
    assert proven.verified_at is not None and proven.proof_signature == "0x"


def test_an_empty_signature_from_a_safe_that_did_not_sign_is_refused_by_the_safe(
    alice: Any, two_of_three_safe: Any, safe_kit: dict[str, Any]
) -> None:
    wallet, message = _application_with(alice, two_of_three_safe.address)
    _, other_message = _application_with(alice, two_of_three_safe.address)  # another application's message
    assert other_message != message
    _sign_on_chain(two_of_three_safe, safe_kit, other_message)
    with pytest.raises(ApplicationError, match="signature is empty") as exc:
        services.wallet_proof_verify(wallet=wallet, by=alice, message=message, signature="0x")
    assert exc.value.code == "malformed_signature" and "has not (yet)" in exc.value.message
    wallet.refresh_from_db()
    assert wallet.verified_at is None


def test_an_empty_signature_from_an_ordinary_account_is_refused(
    alice: Any, anvil: str, settings: Any, wallet_key: Any
) -> None:
    settings.KYC_ETH_RPC_URL = anvil
    wallet, message = _application_with(alice, wallet_key.address)
    with pytest.raises(ApplicationError, match="accepted only from a contract wallet"):
        services.wallet_proof_verify(wallet=wallet, by=alice, message=message, signature="0x")


def test_the_challenge_lives_longer_for_a_safe_than_for_an_ordinary_account(
    alice: Any, two_of_three_safe: Any, settings: Any, wallet_key: Any
) -> None:
    settings.KYC_WALLET_CHALLENGE_TTL_SECONDS = 10 * 60
    settings.KYC_CONTRACT_WALLET_CHALLENGE_TTL_SECONDS = 2 * 24 * 3600
    app = services.application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
    lifetimes = {}
    for address in (two_of_three_safe.address, wallet_key.address):
        wallet = services.wallet_add(application=app, by=alice, address=address, label="W", purpose="staking_deposits")
        challenge = services.wallet_challenge_issue(wallet=wallet, by=alice, domain="portal.example", uri="https://p/")
        lifetimes[address] = (challenge.expires_at - challenge.issued_at).total_seconds()
    assert lifetimes == {two_of_three_safe.address: 2 * 24 * 3600, wallet_key.address: 10 * 60}


def test_asking_again_for_a_safe_hands_back_the_pending_message_its_owners_may_be_signing(
    alice: Any, two_of_three_safe: Any, safe_kit: dict[str, Any], wallet_key: Any, anvil: str
) -> None:
    wallet, message = _application_with(alice, two_of_three_safe.address)
    again = services.wallet_challenge_issue(wallet=wallet, by=alice, domain="portal.example", uri="https://p/")
    assert again.message == message
    _sign_on_chain(two_of_three_safe, safe_kit, message)
    services.wallet_proof_verify(wallet=wallet, by=alice, message=again.message, signature="0x")
    # Once used, the next request gets a fresh message; an ordinary account always gets a fresh one.
    fresh = services.wallet_challenge_issue(wallet=wallet, by=alice, domain="portal.example", uri="https://p/")
    assert fresh.message != message
    account, first = _application_with(alice, wallet_key.address)
    second = services.wallet_challenge_issue(wallet=account, by=alice, domain="portal.example", uri="https://p/")
    assert second.message != first
