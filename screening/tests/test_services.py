from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from screening.models import Check, Hit, Outcome
from screening.services import MonitoredSubject, check_run_now, false_positive_record, list_import, monitoring_run
from screening.tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db
SUBJECTS: list[MonitoredSubject] = []


def monitored() -> list[MonitoredSubject]:
    return SUBJECTS


@pytest.fixture
def hook(settings: Any) -> list[MonitoredSubject]:
    settings.SCREENING_MONITORING_SUBJECTS = "screening.tests.test_services.monitored"
    SUBJECTS.clear()
    return SUBJECTS


def test_name_screening_on_the_embedded_lists_reports_a_match_with_its_explanation(lists_imported: None) -> None:
    check = check_run_now(
        kind="name", subject_ref="p-1", subject={"name": "Kirill Shamalov", "birth_date": "1982-03-22"}
    )
    assert check.outcome in (Outcome.MATCH, Outcome.POSSIBLE_MATCH)
    hit = check.hits.order_by("-score").first()
    assert hit is not None and hit.entity_id == "OFAC:24184" and "birth year agrees" in hit.explanation
    assert check.raw_payload["list_versions"] == {"ofac": 1, "un": 1}


def test_screening_without_any_list_is_an_error_not_a_clear_result(db: Any) -> None:
    check = check_run_now(kind="name", subject_ref="p-2", subject={"name": "Ada Lovelace"})
    assert check.outcome == Outcome.ERROR and "No sanctions list" in check.error


@pytest.mark.parametrize(
    "form",
    [
        "0x098B716B8Aaf21512996dC57EB0615e2383E2f96",
        "0x098b716b8aaf21512996dc57eb0615e2383e2f96",
        "0X098B716B8AAF21512996DC57EB0615E2383E2F96",
    ],
)
def test_every_case_and_checksum_form_of_a_listed_address_is_a_hit(lists_imported: None, form: str) -> None:
    check = check_run_now(kind="wallet", subject_ref="w-1", subject={"address": form})
    assert check.outcome == Outcome.MATCH and check.hits.get().entity_id == "OFAC:27307"


def test_a_delisted_address_is_reported_as_history_not_a_hit(lists_imported: None) -> None:
    list_import(source="address-list", files={"file": FIXTURES / "eth_addresses_excerpt.csv"}, monitor=False)
    check = check_run_now(
        kind="wallet", subject_ref="w-2", subject={"address": "0x12d66f87a04a9e220743712ce6d9bb1b5616b8fc"}
    )
    assert check.outcome == Outcome.CLEAR
    assert check.hits.get().is_history and "delisted" in check.hits.get().explanation


def _add_person(tmp_path: Path, ofac_files: dict[str, Path], line: bytes) -> Path:
    sdn = tmp_path / "sdn.csv"
    raw = ofac_files["sdn"].read_bytes().rstrip(b"\x1a")
    sdn.write_bytes(raw + line + b"\r\n\x1a")
    return sdn


def test_monitoring_raises_a_new_hit_after_a_list_update_and_stays_quiet_for_a_remembered_false_positive(
    lists_imported: None, hook: list[MonitoredSubject], tmp_path: Path, ofac_files: dict[str, Path], alice: Any
) -> None:
    hook.append(MonitoredSubject("case-9:ubo", "name", {"name": "Viktor Petrovich Zolotarev"}))
    hook.append(MonitoredSubject("case-9:wallet", "wallet", {"address": "0x098b716b8aaf21512996dc57eb0615e2383e2f96"}))
    new_entry = (
        b'99001,"ZOLOTAREV, Viktor Petrovich",individual,"RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- '
    )
    sdn = _add_person(tmp_path, ofac_files, new_entry)
    version = list_import(source="ofac", files={**ofac_files, "sdn": sdn}, monitor=False).version
    assert version.diff["added"] == ["OFAC:99001"]

    raised = monitoring_run(version_id=version.pk)
    by_ref = {c.subject_ref: c for c in raised}
    assert by_ref["case-9:ubo"].hits.get().entity_id == "OFAC:99001"
    assert by_ref["case-9:ubo"].trigger == Check.Trigger.MONITORING
    assert by_ref["case-9:wallet"].outcome == Outcome.MATCH

    # The reviewer decides the UBO is not this person: the next update with the same record stays quiet.
    false_positive_record(hit=by_ref["case-9:ubo"].hits.get(), by=alice, reason="Different person, DOB 1990.")
    again = monitoring_run(version_id=None)
    assert again == []
    # ... unless the entity's record changes.
    changed = _add_person(tmp_path, ofac_files, new_entry.replace(b"RUSSIA-EO14024", b"RUSSIA-EO14024] [CYBER2"))
    v3 = list_import(source="ofac", files={**ofac_files, "sdn": changed}, monitor=False).version
    assert v3.diff["changed"] == ["OFAC:99001"]
    reraised = monitoring_run(version_id=v3.pk)
    assert [c.subject_ref for c in reraised] == ["case-9:ubo"]
    assert Hit.objects.filter(check_run__subject_ref="case-9:ubo", suppressed=False).count() == 1


def test_the_check_task_retries_then_marks_the_check_as_failed(
    settings: Any, vendor_server: Any, fast_http: None
) -> None:
    from screening.services import check_create
    from screening.tasks import check_run_task
    from screening.tests.conftest import reply_raw

    settings.SCREENING_PROVIDERS = {**settings.SCREENING_PROVIDERS, "wallet": "chainalysis"}
    settings.CHAINALYSIS_BASE_URL = vendor_server.base_url
    settings.SCREENING_HTTP_ATTEMPTS = 1
    vendor_server.on("GET", "/api/v1/address/0xabc", reply_raw(500))
    check = check_create(kind="wallet", subject_ref="w-9", subject={"address": "0xabc"}, run_async=False)
    check_run_task.apply(args=[check.pk])
    check.refresh_from_db()
    assert check.outcome == Outcome.ERROR and check.attempts == 6


def test_the_staff_lists_page_shows_versions_and_a_stale_alert(
    client: Client, reviewer: Any, charlie: Any, lists_imported: None, settings: Any, django_assert_max_num_queries: Any
) -> None:
    settings.SCREENING_LIST_MAX_AGE_HOURS = 0
    client.force_login(reviewer)
    with django_assert_max_num_queries(15):
        page = client.get("/staff/screening/lists/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "OFAC SDN" in text and "stale" in text
    client.force_login(charlie)
    assert client.get("/staff/screening/lists/").status_code == 403
