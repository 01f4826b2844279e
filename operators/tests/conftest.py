from __future__ import annotations

from typing import Any

import pytest

from kyc.tests.conftest import wallet_key  # noqa: F401  (a real key, shared with the kyc tests)
from operators.tests.factories import OperatorAddressFactory, OperatorFactory

WITHDRAWAL = "0x4D68568B8D4E6244233c685B48fEa619621B78D2"
FEE_RECIPIENT = "0x00000000219ab540356cBB839Cbe05303d7705Fa"


@pytest.fixture
def alice_operator(alice: Any) -> Any:
    """A draft operator profile of Alice's organisation with a declared withdrawal address."""
    operator = OperatorFactory(organisation=alice.organisations.get(), name="Acme Nodes")
    OperatorAddressFactory(operator=operator, address=WITHDRAWAL, purpose="withdrawal")
    return operator


def make_submittable(operator: Any, user: Any, *, key_secret: int = 4242) -> Any:
    """Complete what submission requires: a linked approved application on which every declared address is a
    proven wallet, and one validator key paying out to the withdrawal address."""
    from operators.services import operator_link_application, validator_register
    from operators.tests.factories import approved_kyc_application, pubkey_for

    wallets = [(row.address, "withdrawals") for row in operator.addresses.all()]
    app = approved_kyc_application(organisation=operator.organisation, applicant=user, wallets=wallets)
    operator_link_application(operator=operator, by=user, application=app)
    withdrawal = operator.addresses.filter(purpose="withdrawal").first()
    validator_register(
        operator=operator,
        by=user,
        pubkey=pubkey_for(key_secret),
        withdrawal_credentials="0x01" + "00" * 11 + withdrawal.address[2:].lower(),
    )
    return operator
