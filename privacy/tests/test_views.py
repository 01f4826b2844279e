"""The staff retention page, legal holds and the two exports, with who may reach each."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from kyc.models import Application, Document
from kyc.tests.factories import complete_company, complete_individual
from privacy.export import JSON_NAME
from privacy.models import DataExport, RetentionRecord
from privacy.tests.factories import rejected_individual

STAFF_URLS = ["privacy:retention"]


def _client(user: Any | None = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _archive(response: Any) -> zipfile.ZipFile:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _exported(client: Client, url: str, data: dict[str, Any] | None = None) -> zipfile.ZipFile:
    """Ask for an archive, build it as the worker does after commit, download it from its link."""
    from privacy.tasks import data_export_build_task

    asked = client.post(url, data or {})
    assert asked.status_code == 302, asked.content[:500]
    export = DataExport.objects.latest("created_at")
    data_export_build_task(export.pk)
    export.refresh_from_db()
    assert export.status == DataExport.Status.READY, export.error
    return _archive(client.get(reverse("privacy:export_download", args=[export.public_id])))


@pytest.fixture
def rejected(charlie: Any, wallet_key: Any, reviewer: Any) -> Application:
    """A rejected case of someone else, so the page has something to list."""
    from accounts.tests.factories import UserFactory

    return rejected_individual(UserFactory(email="erin.rejected@example.net"), wallet_key, reviewer)


# The retention page -----------------------------------------------------------------------------------------


def test_auditors_and_approvers_see_what_is_due_held_and_done(
    rejected: Application, approver: Any, auditor: Any
) -> None:
    from privacy.services import legal_hold_set

    legal_hold_set(application=rejected, by=approver, reason="FIU request 2026/114")
    for user in (approver, auditor):
        response = _client(user).get(reverse("privacy:retention"))
        assert response.status_code == 200
        body = response.content.decode()
        assert rejected.reference in body
        assert "FIU request 2026/114" in body
    # Only the approver gets the hold and export forms.
    assert b'action="/staff/privacy/holds/"' in _client(approver).get(reverse("privacy:retention")).content
    assert b'action="/staff/privacy/holds/"' not in _client(auditor).get(reverse("privacy:retention")).content


def test_the_retention_page_costs_the_same_queries_for_one_or_many_cases(
    rejected: Application, auditor: Any, reviewer: Any, wallet_key: Any, django_assert_max_num_queries: Any
) -> None:
    from accounts.tests.factories import UserFactory

    client = _client(auditor)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("privacy:retention")).status_code == 200
    for i in range(4):
        rejected_individual(UserFactory(email=f"many{i}@example.net"), wallet_key, reviewer)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("privacy:retention")).status_code == 200


@pytest.mark.parametrize("persona", ["charlie", "reviewer"])
def test_applicants_and_reviewers_are_refused_the_retention_page(persona: str, request: Any) -> None:
    user = request.getfixturevalue(persona)
    assert _client(user).get(reverse("privacy:retention")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(db: Any) -> None:
    for name in ("privacy:retention", "privacy:my_data"):
        response = _client().get(reverse(name))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


# Legal holds through the page ---------------------------------------------------------------------------------


def test_an_approver_places_and_lifts_a_hold_by_reference(rejected: Application, approver: Any) -> None:
    client = _client(approver)
    response = client.post(
        reverse("privacy:hold_set"), {"reference": rejected.reference.lower(), "reason": "FIU request 2026/114"}
    )
    assert response.status_code == 302
    record = RetentionRecord.objects.get(application=rejected)
    assert (record.legal_hold, record.legal_hold_by) == (True, approver)
    response = client.post(
        reverse("privacy:hold_clear", args=[rejected.public_id]), {"reason": "request closed"}, follow=True
    )
    assert "The legal hold on" in response.content.decode()
    record.refresh_from_db()
    assert not record.legal_hold


def test_a_hold_without_a_reason_or_with_an_unknown_reference_is_refused_with_a_message(
    rejected: Application, approver: Any
) -> None:
    client = _client(approver)
    response = client.post(reverse("privacy:hold_set"), {"reference": rejected.reference, "reason": ""}, follow=True)
    assert "say why the data must be kept" in response.content.decode()
    response = client.post(reverse("privacy:hold_set"), {"reference": "CS-0000-0000", "reason": "x"}, follow=True)
    assert "no application" in response.content.decode()
    assert not RetentionRecord.objects.filter(legal_hold=True).exists()


@pytest.mark.parametrize("persona", ["charlie", "reviewer", "auditor"])
def test_only_approvers_may_place_or_lift_holds(rejected: Application, persona: str, request: Any) -> None:
    client = _client(request.getfixturevalue(persona))
    assert client.post(reverse("privacy:hold_set"), {"reference": rejected.reference, "reason": "x"}).status_code == 403
    assert client.post(reverse("privacy:hold_clear", args=[rejected.public_id]), {"reason": "x"}).status_code == 403
    assert not RetentionRecord.objects.filter(legal_hold=True).exists()


# Exports ------------------------------------------------------------------------------------------------------


def _check_documents(archive: zipfile.ZipFile, data: dict[str, Any], application: Application) -> None:
    exported = next(a for a in data["applications"] if a["reference"] == application.reference)
    stored = {str(d.public_id): d for d in Document.objects.filter(application=application)}
    assert {d["id"] for d in exported["documents"]} == set(stored)
    for entry in exported["documents"]:
        content = archive.read(entry["file_in_archive"])
        assert hashlib.sha256(content).hexdigest() == stored[entry["id"]].sha256 == entry["sha256"]
        with stored[entry["id"]].file.open("rb") as handle:
            assert content == handle.read()


def test_an_approver_exports_a_subject_with_decrypted_values_and_byte_identical_documents(
    alice: Any, wallet_key: Any, approver: Any
) -> None:
    application = complete_company(alice, wallet_key)
    archive = _exported(_client(approver), reverse("privacy:staff_export"), {"email": "ALICE@acme.example"})
    data = json.loads(archive.read(JSON_NAME))
    assert data["account"]["email"] == "alice@acme.example"
    assert data["account"]["organisations"][0]["name"] == "Acme Capital Ltd"
    exported = data["applications"][0]
    director = next(p for p in exported["people"] if p["role"] == "director")
    # Values that are encrypted at rest come out in the clear.
    assert director["date_of_birth"] == "1984-03-14"
    assert director["id_document_number"] == "123456789"
    assert director["residential_address"] == "1 High Street\nLondon SW1A 1AA"
    assert exported["company"]["registered_address"] == "Shell Centre\nLondon SE1 7NA"
    assert exported["screening"] == []  # the staff export carries the screening results
    assert len(exported["wallets"]) == 1
    _check_documents(archive, data, application)
    assert data["documents_not_matching_their_recorded_sha256"] == []
    event = AuditEvent.objects.get(action="privacy.exported")
    assert event.actor == approver
    assert event.data["subject"] == str(alice.public_id)
    assert event.data["documents"] == 4
    assert "alice@acme.example" not in json.dumps(event.data) + event.target_repr


def test_an_export_for_an_unknown_e_mail_says_so(approver: Any) -> None:
    response = _client(approver).post(reverse("privacy:staff_export"), {"email": "nobody@example.net"}, follow=True)
    assert "no account has that e-mail address" in response.content.decode()
    assert not AuditEvent.objects.filter(action="privacy.exported").exists()


@pytest.mark.parametrize("persona", ["charlie", "reviewer", "auditor"])
def test_only_approvers_may_export_someone_elses_data(alice: Any, persona: str, request: Any) -> None:
    client = _client(request.getfixturevalue(persona))
    assert client.post(reverse("privacy:staff_export"), {"email": alice.email}).status_code == 403
    assert not AuditEvent.objects.filter(action="privacy.exported").exists()


def test_an_applicant_downloads_their_own_data_without_screening_results(
    alice: Any, bob: Any, charlie: Any, wallet_key: Any
) -> None:
    application = complete_company(alice, wallet_key)
    charlies = complete_individual(charlie, wallet_key)
    client = _client(bob)
    page = client.get(reverse("privacy:my_data"))
    assert page.status_code == 200
    assert "1 application you work on" in page.content.decode()
    archive = _exported(client, reverse("privacy:my_data"))
    data = json.loads(archive.read(JSON_NAME))
    assert data["account"]["email"] == "bob@acme.example"
    assert [a["reference"] for a in data["applications"]] == [application.reference]
    assert charlies.reference not in json.dumps(data)
    assert "screening" not in data["applications"][0]
    _check_documents(archive, data, application)
    event = AuditEvent.objects.get(action="privacy.exported")
    assert (event.actor, event.data["self_service"]) == (bob, True)


def test_an_export_after_anonymisation_holds_markers_and_no_files(
    approver: Any, wallet_key: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from accounts.tests.factories import UserFactory
    from privacy.services import retention_enforce
    from privacy.tests.factories import years_later

    user = UserFactory(email="frank.gone@example.net")
    application = rejected_individual(user, wallet_key, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        retention_enforce(now=years_later(5, days=1))
    user.refresh_from_db()
    archive = _exported(_client(approver), reverse("privacy:staff_export"), {"email": user.email})
    data = json.loads(archive.read(JSON_NAME))
    exported = data["applications"][0]
    assert exported["reference"] == application.reference
    assert exported["people"][0]["legal_name"] == "[anonymised]"
    assert {d["file_in_archive"] for d in exported["documents"]} == {None}
    assert archive.namelist() == [JSON_NAME]


def test_an_applicant_sees_the_decision_as_they_were_told_it_never_the_internal_note(
    wallet_key: Any, reviewer: Any
) -> None:
    from accounts.tests.factories import UserFactory

    user = UserFactory(email="gina.rejected@example.net")
    rejected_individual(user, wallet_key, reviewer)
    archive = _exported(_client(user), reverse("privacy:my_data"))
    text = archive.read(JSON_NAME).decode()
    decision = json.loads(text)["applications"][0]["decisions"][0]
    assert (decision["outcome"], decision["message"]) == ("rejected", "We could not verify your identity.")
    assert "passport photo unreadable" not in text


def test_asking_for_an_archive_builds_nothing_in_the_request_and_enqueues_the_build_after_commit(
    alice: Any, wallet_key: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from unittest import mock

    complete_company(alice, wallet_key)
    client = _client(alice)
    with (
        mock.patch("privacy.tasks.data_export_build_task.delay", autospec=True) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("privacy:my_data"), follow=True)
    assert response.status_code == 200
    assert "being prepared" in response.content.decode()
    export = DataExport.objects.get()
    delay.assert_called_once_with(export.pk)
    assert (export.status, export.file.name) == (DataExport.Status.PENDING, "")
    assert not AuditEvent.objects.filter(action="privacy.exported").exists()
    assert AuditEvent.objects.filter(action="privacy.export_requested", actor=alice).exists()
    # The page says it is on its way, with no link yet.
    page = client.get(reverse("privacy:my_data")).content.decode()
    assert "Waiting to be prepared" in page and "/privacy/exports/" not in page


def test_exports_are_rate_limited_per_day_and_one_at_a_time(alice: Any, settings: Any) -> None:
    import time_machine
    from django.utils import timezone

    from privacy.tasks import data_export_build_task

    settings.PRIVACY_EXPORTS_PER_DAY = 2
    client = _client(alice)
    client.post(reverse("privacy:my_data"))
    busy = client.post(reverse("privacy:my_data"), follow=True).content.decode()
    assert "already being prepared" in busy
    data_export_build_task(DataExport.objects.get().pk)
    client.post(reverse("privacy:my_data"))
    data_export_build_task(DataExport.objects.latest("created_at").pk)
    refused = client.post(reverse("privacy:my_data"), follow=True).content.decode()
    assert "At most 2 archives a day" in refused
    assert DataExport.objects.count() == 2
    with time_machine.travel(timezone.now() + dt.timedelta(hours=24, minutes=1)):
        assert _client(alice).post(reverse("privacy:my_data")).status_code == 302
        assert DataExport.objects.count() == 3


def test_only_the_requester_downloads_an_archive_and_only_until_it_expires(alice: Any, bob: Any, approver: Any) -> None:
    import time_machine
    from django.utils import timezone

    from privacy.services import data_exports_sweep

    _exported(_client(alice), reverse("privacy:my_data"))
    export = DataExport.objects.get()
    url = reverse("privacy:export_download", args=[export.public_id])
    for other in (bob, approver):
        assert _client(other).get(url).status_code == 404
    storage = DataExport._meta.get_field("file").storage
    assert storage.exists(export.file.name)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        assert _client(alice).get(url).status_code == 404
        assert data_exports_sweep()["expired"] == 1
    export.refresh_from_db()
    assert (export.status, export.file.name) == (DataExport.Status.EXPIRED, "")


def test_a_lost_build_is_enqueued_again_by_the_sweep(alice: Any) -> None:
    from unittest import mock

    import time_machine
    from django.utils import timezone

    from privacy.services import data_exports_sweep

    _client(alice).post(reverse("privacy:my_data"))
    export = DataExport.objects.get()
    with mock.patch("privacy.tasks.data_export_build_task.delay", autospec=True) as delay:
        assert data_exports_sweep()["requeued"] == 0
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
            assert data_exports_sweep()["requeued"] == 1
    delay.assert_called_once_with(export.pk)
