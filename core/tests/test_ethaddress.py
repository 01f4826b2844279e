"""One address parser for the whole project, checked against the EIP-55 specification's own examples, and
every place that takes an address from a person (wallets, operators, the whitelist) agreeing with it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.ethaddress import AddressError, parse_address
from core.exceptions import ApplicationError
from kyc import services as kyc_services
from operators.models import OperatorAddress
from operators.tests.factories import OperatorFactory
from whitelist.chain import checksum

# https://eips.ethereum.org/EIPS/eip-55#test-cases
ALL_CAPS = ["0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D"]
ALL_LOWER = ["0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb5a5c6a7f5"]
NORMAL = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


def _case_flips(address: str) -> list[str]:
    """Every variant of `address` with exactly one letter's case flipped."""
    body = address[2:]
    return ["0x" + body[:i] + body[i].swapcase() + body[i + 1 :] for i, c in enumerate(body) if c.isalpha()]


@pytest.mark.parametrize("address", ALL_CAPS + ALL_LOWER + NORMAL)
def test_the_eip55_examples_are_accepted_in_their_published_form(address: str) -> None:
    parsed = parse_address(address)
    assert parsed.lower() == address.lower()
    assert parse_address(f"  {address}\n") == parsed


@pytest.mark.parametrize("address", NORMAL)
def test_the_checksummed_examples_come_back_unchanged_and_every_one_letter_case_flip_is_refused(address: str) -> None:
    assert parse_address(address) == address
    assert parse_address(address.lower()) == address
    flips = _case_flips(address)
    assert len(flips) > 10
    for flipped in flips:
        with pytest.raises(AddressError, match="does not match its EIP-55 checksum") as exc:
            parse_address(flipped)
        assert exc.value.code == "address_checksum"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "the 0x prefix is missing"),
        ("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "the 0x prefix is missing"),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "0x followed by 40 hexadecimal characters"),
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd", "0x followed by 40 hexadecimal characters"),
        ("0xZaAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x followed by 40 hexadecimal characters"),
        ("", "0x followed by 40 hexadecimal characters"),
        (None, "0x followed by 40 hexadecimal characters"),
    ],
)
def test_what_is_not_an_address_is_refused_saying_what_an_address_is(value: Any, message: str) -> None:
    with pytest.raises(AddressError, match=message) as exc:
        parse_address(value)
    assert exc.value.code == "address_format"


FLIPPED = _case_flips(NORMAL[0])[0]
BARE = NORMAL[0][2:]


@pytest.mark.parametrize("value", [FLIPPED, BARE])
def test_wallets_operators_and_the_whitelist_refuse_the_same_inputs(alice: Any, client: Any, value: str) -> None:
    application = kyc_services.application_create(
        by=alice, subject_type="institution", organisation=alice.organisations.get()
    )
    with pytest.raises(ApplicationError) as wallet_error:
        kyc_services.wallet_add(
            application=application, by=alice, address=value, label="Treasury", purpose="staking_deposits"
        )
    assert wallet_error.value.code in ("address_checksum", "address_format")

    operator = OperatorFactory(organisation=alice.organisations.get(), name="Acme Nodes")
    client.force_login(alice)
    response = client.post(
        f"/api/v1/operators/{operator.public_id}/addresses/",
        json.dumps({"address": value, "purpose": "fee_recipient"}),
        content_type="application/json",
    )
    assert response.status_code == 400, response.json()
    assert not OperatorAddress.objects.exists()

    with pytest.raises(ValueError, match=r"EIP-55 checksum|0x prefix is missing"):
        checksum(value)


def test_wallets_operators_and_the_whitelist_store_the_same_checksummed_form(alice: Any) -> None:
    application = kyc_services.application_create(
        by=alice, subject_type="institution", organisation=alice.organisations.get()
    )
    wallet = kyc_services.wallet_add(
        application=application,
        by=alice,
        address=NORMAL[1].upper().replace("0X", "0x"),
        label="T",
        purpose="staking_deposits",
    )
    assert wallet.address == NORMAL[1] == checksum(NORMAL[1].lower())
