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
