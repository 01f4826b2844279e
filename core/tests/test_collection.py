"""Every test in the project runs in the default `make test`: a new app's tests are never left out of CI."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]


def _pytest_config() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]


def _collected(path: Path, config: dict[str, object]) -> bool:
    relative = path.relative_to(ROOT)
    testpaths = config.get("testpaths")
    if testpaths and not any(relative.parts[: len(Path(t).parts)] == Path(t).parts for t in testpaths):
        return False
    excluded = config.get("norecursedirs", [])
    return not any(fnmatch.fnmatch(part, pattern) for part in relative.parts[:-1] for pattern in excluded)


def test_every_installed_local_app_has_its_tests_collected_by_the_default_run() -> None:
    config = _pytest_config()
    local = [a for a in apps.get_app_configs() if Path(a.path).resolve().is_relative_to(ROOT)]
    assert {a.label for a in local} >= {"integrations", "privacy", "kyc", "whitelist"}
    left_out = [
        str(test.relative_to(ROOT))
        for app in local
        for test in Path(app.path).resolve().rglob("test_*.py")
        if not _collected(test, config)
    ]
    assert left_out == [], f"tests that `make test` would not run (pyproject's pytest settings): {left_out}"


def test_no_test_file_anywhere_in_the_project_is_left_out() -> None:
    config = _pytest_config()
    skipped_trees = {".venv", "node_modules", ".git"}
    files = [p for p in ROOT.rglob("test_*.py") if not skipped_trees & set(p.relative_to(ROOT).parts)]
    assert files
    assert [str(p.relative_to(ROOT)) for p in files if not _collected(p, config)] == []
