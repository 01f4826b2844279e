from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import ApplicationError
from kyc import services
from kyc.models import WalletAddress
from kyc.tests.factories import sign


@pytest.fixture
def application(alice: Any) -> Any:
    return services.application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())


@pytest.fixture
def wallet(application: Any, alice: Any, wallet_key: Any) -> WalletAddress:
    return services.wallet_add(
        application=application, by=alice, address=wallet_key.address.lower(), label="Cold", purpose="withdrawals"
    )


def _challenge(wallet: WalletAddress, user: Any, **kwargs: Any) -> Any:
    return services.wallet_challenge_issue(
        wallet=wallet, by=user, domain="portal.example", uri="https://portal.example/", **kwargs
    )


def test_an_address_is_stored_eip55_checksummed(wallet: WalletAddress, wallet_key: Any) -> None:
    assert wallet.address == wallet_key.address


def test_a_mistyped_checksum_is_refused(application: Any, alice: Any, wallet_key: Any) -> None:
    address = wallet_key.address
    flipped = address[:2] + "".join(c.swapcase() if c.isalpha() else c for c in address[2:])
    with pytest.raises(ApplicationError, match="EIP-55 checksum") as exc:
        services.wallet_add(application=application, by=alice, address=flipped, label="x", purpose="withdrawals")
    assert exc.value.extra["field"] == "address"


def test_a_non_address_is_refused_naming_the_format(application: Any, alice: Any) -> None:
    with pytest.raises(ApplicationError, match="0x followed by 40 hexadecimal"):
        services.wallet_add(application=application, by=alice, address="0x1234", label="x", purpose="withdrawals")


def test_the_challenge_is_an_eip4361_message_for_the_wallet(wallet: WalletAddress, alice: Any) -> None:
    challenge = _challenge(wallet, alice)
    lines = challenge.message.splitlines()
    assert lines[0] == "portal.example wants you to sign in with your Ethereum account:"
    assert lines[1] == wallet.address
    assert f"Nonce: {challenge.nonce}" in lines
    assert "Chain ID: 1" in lines
    assert any(line.startswith("Issued At: ") for line in lines)
    assert any(line.startswith("Expiration Time: ") for line in lines)


def test_a_signature_by_the_wallet_key_proves_ownership(wallet: WalletAddress, alice: Any, wallet_key: Any) -> None:
    challenge = _challenge(wallet, alice)
    proven = services.wallet_proof_verify(
        wallet=wallet, by=alice, message=challenge.message, signature=sign(wallet_key, challenge.message)
    )
    assert proven.verified_at is not None
    assert proven.proof_method == WalletAddress.ProofMethod.BROWSER_WALLET


def test_a_pasted_signature_from_an_offline_wallet_is_accepted(
    wallet: WalletAddress, alice: Any, wallet_key: Any
) -> None:
    challenge = _challenge(wallet, alice)
    signature = sign(wallet_key, challenge.message)[2:].upper()  # pasted without 0x, in capitals
    proven = services.wallet_proof_verify(
        wallet=wallet, by=alice, message=challenge.message + "\n", signature=f"  {signature} ", pasted=True
    )
    assert proven.proof_method == WalletAddress.ProofMethod.PASTED_SIGNATURE


def test_a_signature_by_another_key_is_refused_as_forged(wallet: WalletAddress, alice: Any, other_key: Any) -> None:
    challenge = _challenge(wallet, alice)
    with pytest.raises(ApplicationError, match=f"made by {other_key.address}, not by") as exc:
        services.wallet_proof_verify(
            wallet=wallet, by=alice, message=challenge.message, signature=sign(other_key, challenge.message)
        )
    assert exc.value.code == "forged"
    wallet.refresh_from_db()
    assert wallet.verified_at is None


def test_a_replayed_signature_is_refused(wallet: WalletAddress, alice: Any, wallet_key: Any) -> None:
    challenge = _challenge(wallet, alice)
    signature = sign(wallet_key, challenge.message)
    services.wallet_proof_verify(wallet=wallet, by=alice, message=challenge.message, signature=signature)
    with pytest.raises(ApplicationError, match="already used once") as exc:
        services.wallet_proof_verify(wallet=wallet, by=alice, message=challenge.message, signature=signature)
    assert exc.value.code == "replayed"


def test_an_expired_challenge_is_refused(wallet: WalletAddress, alice: Any, wallet_key: Any) -> None:
    challenge = _challenge(wallet, alice)
    signature = sign(wallet_key, challenge.message)
    with (
        time_machine.travel(timezone.now() + dt.timedelta(minutes=16)),
        pytest.raises(ApplicationError, match="expired at") as exc,
    ):
        services.wallet_proof_verify(wallet=wallet, by=alice, message=challenge.message, signature=signature)
    assert exc.value.code == "expired"


def test_a_signature_for_another_chain_is_refused(wallet: WalletAddress, alice: Any, wallet_key: Any) -> None:
    challenge = _challenge(wallet, alice)
    tampered = challenge.message.replace("Chain ID: 1", "Chain ID: 137")
    with pytest.raises(ApplicationError, match="signed for chain 137, but the challenge is for chain 1") as exc:
        services.wallet_proof_verify(wallet=wallet, by=alice, message=tampered, signature=sign(wallet_key, tampered))
    assert exc.value.code == "wrong_chain"


def test_a_challenge_for_an_unaccepted_chain_is_refused(wallet: WalletAddress, alice: Any, settings: Any) -> None:
    settings.KYC_WALLET_CHAIN_IDS = [1, 17000]
    assert _challenge(wallet, alice, chain_id=17000).chain_id == 17000
    with pytest.raises(ApplicationError, match="Chain 5 is not accepted; switch the wallet to chain 1 or 17000"):
        _challenge(wallet, alice, chain_id=5)


def test_a_message_from_another_site_is_refused(wallet: WalletAddress, alice: Any, wallet_key: Any) -> None:
    challenge = _challenge(wallet, alice)
    phished = challenge.message.replace("portal.example wants", "evil.example wants")
    with pytest.raises(ApplicationError, match=r"signed for the site evil\.example"):
        services.wallet_proof_verify(wallet=wallet, by=alice, message=phished, signature=sign(wallet_key, phished))


def test_an_altered_statement_is_refused(wallet: WalletAddress, alice: Any, wallet_key: Any) -> None:
    challenge = _challenge(wallet, alice)
    altered = challenge.message.replace("I confirm", "I deny")
    with pytest.raises(ApplicationError, match="differs from the message the portal issued"):
        services.wallet_proof_verify(wallet=wallet, by=alice, message=altered, signature=sign(wallet_key, altered))


def test_a_nonce_issued_for_another_wallet_is_refused(
    wallet: WalletAddress, application: Any, alice: Any, wallet_key: Any, other_key: Any
) -> None:
    other = services.wallet_add(
        application=application, by=alice, address=other_key.address, label="Hot", purpose="withdrawals"
    )
    challenge = _challenge(other, alice)
    with pytest.raises(ApplicationError, match="nonce was not issued for this wallet"):
        services.wallet_proof_verify(
            wallet=wallet, by=alice, message=challenge.message, signature=sign(other_key, challenge.message)
        )


@pytest.mark.parametrize(
    ("signature", "fragment"),
    [("0xnothex", "not hexadecimal"), ("", "signature is empty"), ("0x" + "ab" * 64, "not a valid 65-byte")],
)
def test_a_malformed_signature_is_refused_with_the_format(
    wallet: WalletAddress, alice: Any, signature: str, fragment: str
) -> None:
    challenge = _challenge(wallet, alice)
    with pytest.raises(ApplicationError, match=fragment):
        services.wallet_proof_verify(wallet=wallet, by=alice, message=challenge.message, signature=signature)


def test_text_that_is_not_a_sign_in_message_is_refused(wallet: WalletAddress, alice: Any, wallet_key: Any) -> None:
    with pytest.raises(ApplicationError, match="not the portal's sign-in message"):
        services.wallet_proof_verify(wallet=wallet, by=alice, message="hello", signature=sign(wallet_key, "hello"))


def test_fee_recipient_is_only_for_operators(application: Any, alice: Any, wallet_key: Any) -> None:
    with pytest.raises(ApplicationError, match="Only node operators declare a fee-recipient"):
        services.wallet_add(
            application=application, by=alice, address=wallet_key.address, label="Fees", purpose="fee_recipient"
        )


CLAIM_BADGE = "also proven by another customer"


def _case_page(user: Any, application: Any) -> str:
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(user)
    response = client.get(reverse("kyc:case", args=[application.public_id]))
    assert response.status_code == 200
    return response.content.decode()


def _submitted_case(alice: Any, wallet_key: Any) -> Any:
    from kyc.tests.factories import complete_company

    case = complete_company(alice, wallet_key)
    return services.application_submit(application=case, by=alice)


def test_an_applicant_who_types_another_customers_address_learns_nothing_and_flags_nothing(
    alice: Any, charlie: Any, wallet_key: Any, reviewer: Any
) -> None:
    from django.test import Client

    case = _submitted_case(alice, wallet_key)
    client = Client()
    client.force_login(charlie)
    theirs = client.post(
        "/api/v1/applications/",
        {"subject_type": "institution", "organisation": str(charlie.organisations.get().public_id)},
        content_type="application/json",
    ).json()
    added = client.post(
        f"/api/v1/applications/{theirs['id']}/wallets/",
        {"address": wallet_key.address, "label": "Mine", "purpose": "staking_deposits"},
        content_type="application/json",
    )
    assert added.status_code == 201
    assert "claimed_elsewhere" not in added.json()
    listed = client.get(f"/api/v1/applications/{theirs['id']}/wallets/").json()
    assert listed == [added.json()]
    page = client.get(f"/applications/{theirs['id']}/step/wallets/")
    assert page.status_code == 200 and "another applicant" not in page.content.decode()
    # Alice's case carries no mark from an address Charlie could not prove.
    assert CLAIM_BADGE not in _case_page(reviewer, case)


def test_an_address_proven_by_two_customers_is_shown_to_staff_until_one_claim_goes(
    alice: Any, charlie: Any, wallet_key: Any, reviewer: Any
) -> None:
    from kyc.tests.factories import prove_wallet

    case = _submitted_case(alice, wallet_key)
    # A custodian's shared address: Charlie proves it too.
    theirs = services.application_create(
        by=charlie, subject_type="institution", organisation=charlie.organisations.get()
    )
    wallet = prove_wallet(theirs, charlie, wallet_key)
    assert CLAIM_BADGE in _case_page(reviewer, case)
    services.wallet_remove(wallet=wallet, by=charlie)
    assert CLAIM_BADGE not in _case_page(reviewer, case)


def test_the_same_address_in_two_applications_of_one_organisation_is_not_flagged(
    alice: Any, wallet_key: Any, reviewer: Any
) -> None:
    from kyc.tests.factories import prove_wallet

    case = _submitted_case(alice, wallet_key)
    second = services.application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
    prove_wallet(second, alice, wallet_key)
    assert CLAIM_BADGE not in _case_page(reviewer, case)


def test_a_hardware_wallet_signature_with_v_0_or_1_is_accepted(
    wallet: WalletAddress, alice: Any, wallet_key: Any
) -> None:
    challenge = _challenge(wallet, alice)
    raw = bytes.fromhex(sign(wallet_key, challenge.message)[2:])
    ledger_style = "0x" + (raw[:-1] + bytes([raw[-1] - 27])).hex()
    proven = services.wallet_proof_verify(
        wallet=wallet, by=alice, message=challenge.message, signature=ledger_style, pasted=True
    )
    assert proven.verified_at is not None
