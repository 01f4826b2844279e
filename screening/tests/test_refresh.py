"""Lists stay current: each source is downloaded on its own beat schedule (on by default for public sources), one
failing source never stops the others, a bad file leaves the active version as it was, and a stale list alerts
the staff who manage screening. All against a local HTTP server: no test reaches the internet."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from core.models import AuditEvent
from kyc.models import Notification
from kyc.screening_flow import STALE_LISTS_TITLE
from screening.models import ListVersion
from screening.tasks import lists_refresh_task, lists_stale_check_task
from screening.tests.conftest import FIXTURES, VendorServer, reply_raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager() -> Iterator[None]:
    from claystack_portal.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def publishers(settings: Any, vendor_server: VendorServer, ofac_files: dict[str, Path]) -> VendorServer:
    """OFAC and UN served as their publishers serve them; the UK publisher is down; the PEP collection served."""
    base = vendor_server.base_url
    settings.SCREENING_AUTO_DOWNLOAD = True
    settings.SCREENING_REFRESH_RETRIES = 0
    settings.SCREENING_DOWNLOAD_TIMEOUT = 5
    settings.SCREENING_LIST_URLS = {
        "ofac": {option: f"{base}/ofac/{path.name}" for option, path in ofac_files.items()},
        "ofac-cons": {"sdn": ""},
        "un": {"file": f"{base}/un/consolidated.xml"},
        "uk": {"file": f"{base}/uk/UK-Sanctions-List.xml"},
        "address-list": {"file": ""},
        "os-pep": {"file": f"{base}/os/peps/senzing.json"},
    }
    for path in ofac_files.values():
        vendor_server.on("GET", f"/ofac/{path.name}", reply_raw(200, path.read_bytes()))
    vendor_server.on(
        "GET", "/un/consolidated.xml", reply_raw(200, (FIXTURES / "un_consolidated_excerpt.xml").read_bytes())
    )
    vendor_server.on("GET", "/uk/UK-Sanctions-List.xml", reply_raw(503, b"Service Unavailable"))
    vendor_server.on(
        "GET", "/os/peps/senzing.json", reply_raw(200, (FIXTURES / "pep_synthetic_senzing.jsonl").read_bytes())
    )
    return vendor_server


def test_each_public_source_has_its_own_beat_entry_and_download_is_on_by_default() -> None:
    beat = django_settings.CELERY_BEAT_SCHEDULE
    entries = {k: v for k, v in beat.items() if k.startswith("screening.refresh.")}
    assert {v["args"] for v in entries.values()} >= {("ofac",), ("un",), ("uk",), ("os-pep",)}
    assert all(v["task"] == "screening.list_refresh" for v in entries.values())
    assert entries["screening.refresh.ofac"]["schedule"] == timedelta(minutes=120)
    assert "screening.lists_stale_check" in beat
    assert django_settings.SCREENING_LIST_URLS["uk"]["file"].startswith("https://")


def test_one_failing_source_never_stops_the_others(publishers: VendorServer, eager: None) -> None:
    started = lists_refresh_task.apply().get()
    assert started == ["ofac", "os-pep", "uk", "un"]
    active = dict(ListVersion.objects.filter(is_active=True).values_list("source", "number"))
    assert active == {"ofac": 1, "os-pep": 1, "un": 1}
    failed = AuditEvent.objects.get(action="screening.list_refresh_failed")
    assert failed.data["source"] == "uk" and "503" in failed.data["reason"]
    # The same files again: nothing new, nothing failed anew except the publisher that is still down.
    lists_refresh_task.apply()
    assert ListVersion.objects.count() == 3


def test_a_corrupt_download_leaves_the_active_version_and_is_not_retried(
    publishers: VendorServer, eager: None, ofac_files: dict[str, Path], settings: Any
) -> None:
    from screening.tasks import list_refresh_task

    assert list_refresh_task.apply(args=("ofac",)).get() == "imported v1"
    raw = ofac_files["sdn"].read_bytes()
    publishers.on("GET", f"/ofac/{ofac_files['sdn'].name}", reply_raw(200, raw[: len(raw) // 2]))
    settings.SCREENING_REFRESH_RETRIES = 3
    before = len(publishers.requests)
    result = list_refresh_task.apply(args=("ofac",)).get()
    assert result.startswith("failed: ") and "truncated" in result
    assert len(publishers.requests) - before == 4  # one download of the four files: a format error is not retried
    assert list(ListVersion.objects.filter(source="ofac").values_list("number", "is_active")) == [(1, True)]


def test_automatic_download_can_be_switched_off(publishers: VendorServer, settings: Any, eager: None) -> None:
    settings.SCREENING_AUTO_DOWNLOAD = False
    assert lists_refresh_task.apply().get() == []
    assert not publishers.requests and not ListVersion.objects.exists()


def test_a_stale_list_alerts_the_staff_who_manage_screening_once_a_day(
    make_staff: Any, reviewer: Any, publishers: VendorServer, eager: None
) -> None:
    manager = make_staff("approver", email="sam.screening@claystack.example")
    assert lists_stale_check_task.apply().get() == 2  # OFAC and UN never imported
    alert = Notification.objects.get(recipient=manager)
    assert alert.title == STALE_LISTS_TITLE and "OFAC SDN: never imported." in alert.body
    assert not Notification.objects.filter(recipient=reviewer).exists()  # reviewers do not manage the lists
    lists_stale_check_task.apply()
    assert Notification.objects.filter(recipient=manager).count() == 1
    assert AuditEvent.objects.filter(action="screening.lists_stale").count() == 2
    lists_refresh_task.apply()
    assert lists_stale_check_task.apply().get() == 0
