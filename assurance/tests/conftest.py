from __future__ import annotations

from kyc.tests.conftest import _media, other_key, wallet_key  # noqa: F401  (fixtures shared with the kyc tests)
from whitelist.tests.conftest import chain_settings, tester  # noqa: F401  (an in-process EVM with both lists)
