from __future__ import annotations

import json

import pytest

from core.models import AuditEvent
from operators import ssz
from operators.deposit_data import make_deposit_entry, parse_deposit_file
from operators.models import DepositImport, Validator
from operators.services import DepositDataRefused, validators_import_deposit_data
from operators.tests.conftest import WITHDRAWAL
from operators.tests.factories import OperatorAddressFactory, OperatorFactory, ValidatorFactory, pubkey_for

# A public Goerli deposit (deposit CLI 2.3.0, fork version 00001020), as published in Puffer's Secure-Signer
# documentation: real data from another tool, to check our SSZ roots and BLS verification against.
GOERLI_ENTRY = {
    "pubkey": "a1a9bd71c9106f54681384710234c39b92ef8f34827409b53bd98a665f58dc36f9ac4d5548cbeb36dc0cdc72485ad745",
    "withdrawal_credentials": "0100000000000000000000004d68568b8d4e6244233c685b48fea619621b78d2",
    "amount": 32000000000,
    "signature": "a79ed4118518270271f72f01b89d933b1fb8992b74103ce93e24901d467dcca876a8c3b7a7d5c6f60787195d66c5874b"
    "0ca79b1bca1d5d18f5b311cccbfdcce70c6262e5c9c5df4dddf24cfcfe118b53561d7313ec2374bd71430a26bdc8d926",
    "deposit_message_root": "3c0974bd6b5e82ad0db9f0e35a0f420122aebfc0aa72a1e339a0d7e7947254b0",
    "deposit_data_root": "853e1ba19b31d630aa3686d75f4750c436a4782d9b73a651c31f91247bb31592",
    "fork_version": "00001020",
    "network_name": "goerli",
    "deposit_cli_version": "2.3.0",
}


def entry(
    secret: int, *, address: str = WITHDRAWAL, fork: str = "00000000", network: str = "mainnet", amount=32_000_000_000
):
    return make_deposit_entry(
        secret_key=secret, withdrawal_address=address, amount_gwei=amount, fork_version=fork, network_name=network
    )


def as_file(entries) -> bytes:
    # Pretty-printed like the CLI's output, so entries start on known lines.
    return json.dumps(entries, indent=2).encode()


def test_a_real_goerli_deposit_verifies_roots_and_signature():
    result = parse_deposit_file(
        json.dumps([GOERLI_ENTRY]).encode(),
        expected_fork_version="00001020",
        expected_network="goerli",
        allowed_withdrawal_addresses={WITHDRAWAL},
        verify_signatures=True,
    )
    assert result.ok, [str(p) for p in result.problems]
    assert result.entries[0].withdrawal_address == WITHDRAWAL


def test_the_same_real_deposit_is_refused_on_mainnet_for_its_network():
    result = parse_deposit_file(
        json.dumps([GOERLI_ENTRY]).encode(),
        expected_fork_version="00000000",
        expected_network="mainnet",
        allowed_withdrawal_addresses={WITHDRAWAL},
        verify_signatures=False,
    )
    fields = {p.field for p in result.problems}
    assert fields == {"fork_version", "network_name"}
    assert "not this pool's network (mainnet" in str(result.problems[0])


@pytest.mark.django_db
def test_a_good_file_imports_every_key_with_its_signature_checked(alice, alice_operator):
    raw = as_file([entry(11), entry(12), entry(13)])
    record = validators_import_deposit_data(operator=alice_operator, by=alice, filename="deposit_data-1.json", raw=raw)
    assert record.keys == 3 and record.signatures_checked == 3
    assert Validator.objects.filter(operator=alice_operator).count() == 3
    assert set(Validator.objects.values_list("pubkey", flat=True)) == {pubkey_for(s) for s in (11, 12, 13)}
    assert AuditEvent.objects.filter(action="operator.deposit_data_imported").count() == 1


@pytest.mark.django_db
def test_every_bad_entry_is_reported_by_entry_and_line_and_nothing_is_kept(alice, alice_operator):
    bad_length = entry(21) | {"pubkey": "ab" * 47}
    not_hex = entry(22) | {"withdrawal_credentials": "zz" * 32}
    wrong_root = entry(23) | {"deposit_message_root": "00" * 32}
    not_on_curve = entry(24) | {"pubkey": "a0" + "11" * 47}
    raw = as_file([entry(20), bad_length, not_hex, wrong_root, not_on_curve, "not an object"])
    with pytest.raises(DepositDataRefused) as refused:
        validators_import_deposit_data(
            operator=alice_operator, by=alice, filename="d.json", raw=raw, verify_signatures=False
        )
    messages = [str(p) for p in refused.value.problems]
    assert any(m.startswith("Entry 2 (line 13), pubkey: A BLS public key must be 48 bytes") for m in messages)
    assert any(
        m.startswith("Entry 3 (line 24), withdrawal_credentials: withdrawal_credentials must be hexadecimal")
        for m in messages
    )
    assert any(m.startswith("Entry 4 (line 35), deposit_message_root: does not match") for m in messages)
    assert any(m.startswith("Entry 5 (line 46), pubkey: This is not a valid BLS12-381 public key") for m in messages)
    assert any(m.startswith("Entry 6 (line 57), entry: must be a JSON object") for m in messages)
    assert not any(m.startswith("Entry 1 ") for m in messages)
    assert Validator.objects.count() == 0 and DepositImport.objects.count() == 0


@pytest.mark.django_db
def test_a_file_for_another_network_is_refused(alice, alice_operator):
    raw = as_file([entry(31, fork="90000069", network="sepolia")])
    with pytest.raises(DepositDataRefused) as refused:
        validators_import_deposit_data(
            operator=alice_operator, by=alice, filename="d.json", raw=raw, verify_signatures=False
        )
    assert "90000069 is not this pool's network (mainnet" in str(refused.value.problems[0])
    assert Validator.objects.count() == 0


@pytest.mark.django_db
def test_credentials_that_do_not_pay_the_declared_withdrawal_address_are_refused(alice, alice_operator):
    other = "0x00000000219ab540356cBB839Cbe05303d7705Fa"
    raw = as_file([entry(41), entry(42, address=other)])
    with pytest.raises(DepositDataRefused) as refused:
        validators_import_deposit_data(
            operator=alice_operator, by=alice, filename="d.json", raw=raw, verify_signatures=False
        )
    (problem,) = [str(p) for p in refused.value.problems]
    assert problem.startswith(
        "Entry 2 (line 13), withdrawal_credentials: point at 0x00000000219ab540356cBB839Cbe05303d7705Fa"
    )
    assert Validator.objects.count() == 0


@pytest.mark.django_db
def test_a_signature_made_by_another_key_is_refused_even_with_consistent_roots(alice, alice_operator):
    forged = entry(51)
    stolen_sig = bytes.fromhex(entry(52)["signature"])
    forged["signature"] = stolen_sig.hex()
    forged["deposit_data_root"] = ssz.deposit_data_root(
        pubkey=bytes.fromhex(forged["pubkey"]),
        withdrawal_credentials=bytes.fromhex(forged["withdrawal_credentials"]),
        amount=32_000_000_000,
        signature=stolen_sig,
    ).hex()
    with pytest.raises(DepositDataRefused) as refused:
        validators_import_deposit_data(
            operator=alice_operator, by=alice, filename="d.json", raw=as_file([forged]), verify_signatures=True
        )
    assert "signature: is not a valid deposit signature" in str(refused.value.problems[0])


@pytest.mark.django_db
def test_a_key_repeated_in_the_file_or_registered_elsewhere_is_refused(alice, alice_operator):
    other_operator = OperatorFactory()
    OperatorAddressFactory(operator=other_operator)
    ValidatorFactory(operator=other_operator, pubkey=pubkey_for(62))
    raw = as_file([entry(61), entry(61), entry(62)])
    with pytest.raises(DepositDataRefused) as refused:
        validators_import_deposit_data(
            operator=alice_operator, by=alice, filename="d.json", raw=raw, verify_signatures=False
        )
    messages = [str(p) for p in refused.value.problems]
    assert any("appears again: entry 1 has the same key" in m for m in messages)
    assert "Entry 3 (line 24), pubkey: 0x" in " ".join(messages) and any(
        "already registered by another operator" in m for m in messages
    )
    assert Validator.objects.filter(operator=alice_operator).count() == 0


@pytest.mark.django_db
def test_garbage_instead_of_json_is_refused_with_the_line(alice, alice_operator):
    with pytest.raises(DepositDataRefused) as refused:
        validators_import_deposit_data(
            operator=alice_operator, by=alice, filename="d.json", raw=b'[\n{"pubkey": ', verify_signatures=False
        )
    assert str(refused.value.problems[0]).startswith("Entry 0 (line 2), file: not valid JSON")


@pytest.mark.django_db
def test_a_large_file_has_a_reproducible_sample_of_signatures_verified(alice, alice_operator, settings):
    settings.OPERATORS_DEPOSIT_SIGNATURE_SAMPLE = 2
    entries = [entry(70 + i) for i in range(5)]
    record = validators_import_deposit_data(operator=alice_operator, by=alice, filename="d.json", raw=as_file(entries))
    assert record.keys == 5 and record.signatures_checked == 2


class _Undo(Exception):
    pass


def _forged(secret: int, signer: int) -> dict:
    """An entry whose roots are consistent but whose signature was made by another key."""
    good = entry(secret)
    other = entry(signer)
    forged = dict(good, signature=other["signature"])
    forged["deposit_data_root"] = ssz.deposit_data_root(
        pubkey=bytes.fromhex(good["pubkey"]),
        withdrawal_credentials=bytes.fromhex(good["withdrawal_credentials"]),
        amount=good["amount"],
        signature=bytes.fromhex(other["signature"]),
    ).hex()
    return forged


@pytest.mark.django_db
def test_the_uploader_cannot_pick_the_signature_sample_by_padding_the_file(alice, alice_operator, settings):
    """Entry 3's signature is forged. The uploader pads the file until a sample seeded from the file's SHA-256
    (what the portal used to do) would check entry 1 only. The portal's sample is keyed with its secret, so
    across server secrets it is not the uploader's choice, and the forged entry is caught."""
    import hashlib
    import random

    from django.db import transaction

    settings.OPERATORS_DEPOSIT_SIGNATURE_SAMPLE = 1
    entries = [entry(90), entry(91), _forged(92, 93)]
    raw = as_file(entries)
    while random.Random(hashlib.sha256(raw).digest()).sample(range(1, 4), 1) != [1]:
        raw += b" "
    outcomes = []
    for n in range(8):
        settings.SECRET_KEY = f"server-side secret number {n} of this test, long enough to be a key"
        try:
            with transaction.atomic():
                validators_import_deposit_data(operator=alice_operator, by=alice, filename="d.json", raw=raw)
                raise _Undo
        except _Undo:
            outcomes.append("accepted")
        except DepositDataRefused as refused:
            assert [(p.entry, p.field) for p in refused.problems] == [(3, "signature")]
            outcomes.append("refused")
    assert "refused" in outcomes
    assert not Validator.objects.exists()
