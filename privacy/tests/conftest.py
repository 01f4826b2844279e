from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_account import Account


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def wallet_key() -> Any:
    return Account.create()
