from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Path) -> None:
    # seed_demo also seeds demo applications with documents: keep their files out of any shared folder.
    settings.MEDIA_ROOT = tmp_path / "media"
