"""`manage.py sanctions_download` against a local HTTP server in the test process that serves the official
files: a good download becomes the active version; a 404 or a truncated file fails with a message naming it and
leaves the active version untouched."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from screening.models import ListVersion
from screening.tests.conftest import VendorServer, reply_raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def ofac_served(settings: Any, vendor_server: VendorServer, ofac_files: dict[str, Path]) -> VendorServer:
    base = vendor_server.base_url
    settings.SCREENING_LIST_URLS = {
        **settings.SCREENING_LIST_URLS,
        "ofac": {option: f"{base}/ofac/downloads/{path.name}" for option, path in ofac_files.items()},
        "uk": {"file": ""},
    }
    settings.SCREENING_DOWNLOAD_TIMEOUT = 5
    for path in ofac_files.values():
        vendor_server.on("GET", f"/ofac/downloads/{path.name}", reply_raw(200, path.read_bytes()))
    return vendor_server


def _download(*sources: str) -> dict[str, Any]:
    out = StringIO()
    call_command("sanctions_download", *sources, stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue().strip().splitlines()[-1])
    return result


def test_the_download_fetches_every_official_file_and_imports_a_new_active_version(ofac_served: VendorServer) -> None:
    assert _download("ofac") == {"ofac": {"version": 1, "created": True}}
    version = ListVersion.objects.get(source="ofac", is_active=True)
    assert [f["option"] for f in version.files] == ["sdn", "alt", "add", "comments"]
    assert version.counts["entities"] > 0
    assert len(ofac_served.requests) == 4
    # The same files again: nothing new.
    assert _download("ofac") == {"ofac": {"version": 1, "created": False}}


def test_a_missing_file_fails_the_download_naming_it_and_keeps_the_active_version(
    ofac_served: VendorServer, ofac_files: dict[str, Path]
) -> None:
    _download("ofac")
    ofac_served.on("GET", f"/ofac/downloads/{ofac_files['alt'].name}", reply_raw(404, b"Not Found"))
    with pytest.raises(CommandError, match=r"ofac.*alt.*404.*active version is unchanged"):
        _download("ofac")
    assert list(ListVersion.objects.filter(source="ofac").values_list("number", "is_active")) == [(1, True)]


def test_a_truncated_file_fails_the_import_and_keeps_the_active_version(
    ofac_served: VendorServer, ofac_files: dict[str, Path]
) -> None:
    _download("ofac")
    raw = ofac_files["sdn"].read_bytes()
    cut = raw[: len(raw) // 2]
    ofac_served.on("GET", f"/ofac/downloads/{ofac_files['sdn'].name}", reply_raw(200, cut))
    with pytest.raises(CommandError, match=r"truncated.*active version is unchanged"):
        _download("ofac")
    assert list(ListVersion.objects.filter(source="ofac").values_list("number", "is_active")) == [(1, True)]


def test_a_source_without_a_configured_url_is_refused_with_the_variable_to_set(ofac_served: VendorServer) -> None:
    with pytest.raises(CommandError, match=r"SCREENING_.*_URL"):
        _download("uk")
    assert not ListVersion.objects.exists()
