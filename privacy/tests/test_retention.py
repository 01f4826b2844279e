"""Retention: what is anonymised when, what stays, legal holds, idempotence and the audit chain."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from core.exceptions import ApplicationError
from core.models import AuditEvent
from kyc import review, services
from kyc.models import Application, Decision, Document, Person, StatusTransition
from kyc.tests.factories import complete_company, complete_individual
from privacy.models import AnonymisedAccount, RetentionRecord
from privacy.selectors import retention_due
from privacy.services import legal_hold_clear, legal_hold_set, retention_enforce
from privacy.tests.factories import approved_company, ready_for_review, rejected_individual, years_later

S = Application.Status
MARKER = "[anonymised]"


@pytest.fixture
def dana(db: Any) -> Any:
    """An individual applicant with no organisation."""
    return UserFactory(email="dana.individual@example.net", full_name="Dana Individual")


@pytest.fixture
def rejected(dana: Any, wallet_key: Any, reviewer: Any) -> Application:
    return rejected_individual(dana, wallet_key, reviewer)


def _files(application: Application) -> list[str]:
    return [d.file.name for d in Document.objects.filter(application=application)]


def test_start_up_refuses_an_aml_retention_below_five_years_naming_the_variable() -> None:
    env = {**os.environ, "PRIVACY_RETENTION_YEARS_AML": "4", "DJANGO_SETTINGS_MODULE": "claystack_portal.settings.test"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "PRIVACY_RETENTION_YEARS_AML=4 is below the legal minimum" in result.stderr


def test_a_rejected_application_is_kept_until_five_years_after_the_decision(rejected: Application) -> None:
    assert retention_due(now=years_later(5, days=-1)) == {}
    assert retention_enforce(now=years_later(5, days=-1))["applications"] == 0
    person = Person.objects.get(application=rejected)
    assert person.legal_name == "Jane Example"
    assert person.id_document_number == "123456789"


def test_the_job_anonymises_a_rejected_application_five_years_on_and_keeps_the_aml_record(
    rejected: Application, dana: Any, django_capture_on_commit_callbacks: Any
) -> None:
    storage = Document._meta.get_field("file").storage
    files = _files(rejected)
    hashes = sorted(Document.objects.filter(application=rejected).values_list("sha256", flat=True))
    history = list(StatusTransition.objects.filter(application=rejected).values_list("from_status", "to_status"))
    assert files and all(storage.exists(name) for name in files)
    Person.objects.filter(application=rejected).update(former_names=["Dana Maiden"])

    with django_capture_on_commit_callbacks(execute=True):
        summary = retention_enforce(now=years_later(5, days=1))

    assert summary == {"subjects": 1, "applications": 1, "drafts_deleted": 0, "accounts": 1, "failed": 0}
    person = Person.objects.get(application=rejected)
    assert person.legal_name == MARKER
    assert person.residential_address == MARKER
    assert person.id_document_number == MARKER
    assert person.date_of_birth is None
    assert person.other_names == [] and person.former_names == []
    # What the risk decision rested on stays.
    assert person.nationalities == ["GB"]
    assert not any(storage.exists(name) for name in files)
    documents = Document.objects.filter(application=rejected)
    assert sorted(documents.values_list("sha256", flat=True)) == hashes
    assert set(documents.values_list("original_name", flat=True)) == {MARKER}
    rejected.refresh_from_db()
    assert rejected.status == S.REJECTED
    assert rejected.reference
    assert (
        list(StatusTransition.objects.filter(application=rejected).values_list("from_status", "to_status")) == history
    )
    assert Decision.objects.get(application=rejected).reason_code == "unverifiable_identity"
    dana.refresh_from_db()
    assert dana.email.endswith("@anonymised.invalid")
    assert dana.full_name == MARKER
    assert not dana.is_active
    assert not dana.has_usable_password()
    assert AnonymisedAccount.objects.filter(user=dana).exists()
    record = RetentionRecord.objects.get(application=rejected)
    assert record.outcome == "anonymised"
    assert record.counts == {"people": 1, "documents": 2, "files_deleted": 2, "screening_checks": 0}


def test_anonymisation_is_audited_with_counts_only_and_the_audit_chain_still_verifies(
    rejected: Application, django_capture_on_commit_callbacks: Any
) -> None:
    before = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        retention_enforce(now=years_later(6))
    event = AuditEvent.objects.get(action="privacy.anonymised")
    assert event.target_id == str(rejected.pk)
    assert event.data == {
        "reference": rejected.reference,
        "rule": "aml_retention",
        "counts": {"people": 1, "documents": 2, "files_deleted": 2, "screening_checks": 0},
    }
    new_events = AuditEvent.objects.filter(seq__gt=before)
    text = str(list(new_events.values("data", "target_repr", "before", "after")))
    for value in ("Jane Example", "123456789", "1984-03-14", "High Street", "dana.individual"):
        assert value not in text
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "audit chain intact" in out.getvalue().lower()


def test_running_the_job_twice_changes_nothing_the_second_time(
    rejected: Application, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        retention_enforce(now=years_later(6))
    events = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = retention_enforce(now=years_later(6))
    assert again["subjects"] == again["applications"] == again["accounts"] == 0
    assert AuditEvent.objects.count() == events
    assert callbacks == []


def test_files_are_deleted_only_once_the_anonymisation_commits(
    rejected: Application, django_capture_on_commit_callbacks: Any
) -> None:
    storage = Document._meta.get_field("file").storage
    files = _files(rejected)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        retention_enforce(now=years_later(6))
    assert all(storage.exists(name) for name in files)  # not committed yet: the files are still there
    for callback in callbacks:
        callback()
    assert not any(storage.exists(name) for name in files)


def test_a_customer_with_a_live_approval_keeps_its_older_rejected_application(
    alice: Any, wallet_key: Any, reviewer: Any
) -> None:
    old = approved_company(alice, wallet_key, reviewer)
    review.case_revoke(application=old, by=_approver(), reason_code="other", reason="re-papering")
    approved_company(alice, wallet_key, reviewer)  # a new relationship, still live
    assert retention_enforce(now=years_later(7))["applications"] == 0
    assert Person.objects.filter(application=old, legal_name=MARKER).count() == 0


def _approver() -> Any:
    from accounts.tests.factories import StaffUserFactory

    return StaffUserFactory(roles=["approver"])


def test_the_aml_clock_of_a_customer_runs_from_the_end_of_its_last_case(
    alice: Any, wallet_key: Any, reviewer: Any
) -> None:
    first = approved_company(alice, wallet_key, reviewer)
    approver = _approver()
    review.case_revoke(application=first, by=approver, reason_code="other", reason="closed")
    # Three years later the second case ends too (simulated by moving its end date forward).
    second = approved_company(alice, wallet_key, reviewer)
    review.case_revoke(application=second, by=approver, reason_code="other", reason="closed")
    Application.objects.filter(pk=second.pk).update(status_changed_at=years_later(3))
    assert retention_due(now=years_later(6)) == {}
    due = retention_due(now=years_later(8, days=1))
    assert {i.application_id for items in due.values() for i in items} == {first.pk, second.pk}


def test_an_organisations_members_accounts_are_anonymised_with_its_last_case(
    alice: Any, bob: Any, wallet_key: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    application = approved_company(alice, wallet_key, reviewer)
    review.case_revoke(application=application, by=_approver(), reason_code="other", reason="closed")
    with django_capture_on_commit_callbacks(execute=True):
        summary = retention_enforce(now=years_later(5, days=1))
    assert summary["accounts"] == 2
    assert set(User.objects.filter(pk__in=[alice.pk, bob.pk]).values_list("full_name", flat=True)) == {MARKER}
    assert Person.objects.filter(application=application).exclude(legal_name=MARKER).count() == 0


def test_an_account_still_working_on_another_application_keeps_its_e_mail(
    alice: Any, bob: Any, wallet_key: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from eth_account import Account

    own = rejected_individual(bob, Account.create(), reviewer)
    ready_for_review(complete_company(alice, wallet_key), alice)  # Acme's case, Bob's organisation: live
    with django_capture_on_commit_callbacks(execute=True):
        summary = retention_enforce(now=years_later(5, days=1))
    assert (summary["applications"], summary["accounts"]) == (1, 0)
    assert Person.objects.get(application=own).legal_name == MARKER
    bob.refresh_from_db()
    assert bob.email == "bob@acme.example"
    assert bob.is_active


def test_a_draft_never_submitted_is_deleted_with_its_files_after_ninety_days(
    dana: Any, wallet_key: Any, django_capture_on_commit_callbacks: Any
) -> None:
    draft = complete_individual(dana, wallet_key)
    storage = Document._meta.get_field("file").storage
    files = _files(draft)
    assert retention_enforce(now=timezone.now() + timezone.timedelta(days=89))["drafts_deleted"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        summary = retention_enforce(now=timezone.now() + timezone.timedelta(days=91))
    assert summary["drafts_deleted"] == 1
    assert not Application.objects.filter(pk=draft.pk).exists()
    assert not any(storage.exists(name) for name in files)
    record = RetentionRecord.objects.get(reference=draft.reference)
    assert (record.outcome, record.application) == ("draft_deleted", None)
    assert AuditEvent.objects.filter(action="privacy.draft_deleted", target_id=str(draft.pk)).exists()


def test_a_legal_hold_stops_the_job_until_it_is_lifted(
    rejected: Application, approver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    record = legal_hold_set(application=rejected, by=approver, reason="FIU request 2026/114")
    assert (record.legal_hold, record.legal_hold_by, record.legal_hold_reason) == (
        True,
        approver,
        "FIU request 2026/114",
    )
    assert retention_enforce(now=years_later(9))["applications"] == 0
    assert Person.objects.get(application=rejected).legal_name == "Jane Example"
    event = AuditEvent.objects.get(action="privacy.legal_hold_set")
    assert (event.actor, event.data["reason"]) == (approver, "FIU request 2026/114")

    legal_hold_clear(application=rejected, by=approver, reason="request closed")
    assert AuditEvent.objects.get(action="privacy.legal_hold_cleared").data["reason"] == "request closed"
    with django_capture_on_commit_callbacks(execute=True):
        assert retention_enforce(now=years_later(9))["applications"] == 1


def test_a_hold_on_one_application_holds_every_application_of_the_customer(
    alice: Any, wallet_key: Any, reviewer: Any, approver: Any
) -> None:
    first = approved_company(alice, wallet_key, reviewer)
    review.case_revoke(application=first, by=approver, reason_code="other", reason="closed")
    draft = services.application_create(by=alice, subject_type="institution", organisation=alice.organisations.get())
    legal_hold_set(application=first, by=approver, reason="litigation hold")
    assert retention_due(now=years_later(9)) == {}
    assert Application.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize("role", ["reviewer", "auditor", "whitelist_admin", "board_member"])
def test_only_an_approver_can_place_a_legal_hold(rejected: Application, make_staff: Any, role: str) -> None:
    with pytest.raises(ApplicationError) as exc:
        legal_hold_set(application=rejected, by=make_staff(role), reason="because")
    assert exc.value.code == "forbidden"
    assert not RetentionRecord.objects.filter(legal_hold=True).exists()


def test_a_hold_needs_a_reason_and_cannot_be_placed_twice(rejected: Application, approver: Any) -> None:
    with pytest.raises(ApplicationError, match="reason"):
        legal_hold_set(application=rejected, by=approver, reason="  ")
    legal_hold_set(application=rejected, by=approver, reason="FIU")
    with pytest.raises(ApplicationError) as exc:
        legal_hold_set(application=rejected, by=approver, reason="FIU again")
    assert exc.value.code == "already_held"


def test_a_case_still_in_review_is_never_due(dana: Any, wallet_key: Any) -> None:
    ready_for_review(complete_individual(dana, wallet_key), dana)
    assert retention_due(now=years_later(50)) == {}


def test_the_beat_schedule_runs_the_retention_task_by_its_explicit_name() -> None:
    from claystack_portal.celery import app
    from privacy.tasks import retention_enforce_task

    assert settings.CELERY_BEAT_SCHEDULE["privacy.retention_enforce"]["task"] == "privacy.retention_enforce"
    assert retention_enforce_task.name == "privacy.retention_enforce"
    assert "privacy.retention_enforce" in app.tasks


def test_a_failure_rolls_back_only_its_own_subject_and_the_next_run_finishes_it(
    rejected: Application,
    wallet_key: Any,
    reviewer: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from privacy import services as privacy_services

    other = rejected_individual(UserFactory(email="omar.other@example.net"), wallet_key, reviewer)
    real = privacy_services._accounts_anonymise

    def fail_for_dana(user_ids: set[int], *, now: Any) -> int:
        if rejected.applicant_id in user_ids:
            raise RuntimeError("storage went away")
        return real(user_ids, now=now)

    monkeypatch.setattr(privacy_services, "_accounts_anonymise", fail_for_dana)
    with django_capture_on_commit_callbacks(execute=True):
        summary = retention_enforce(now=years_later(6))
    assert (summary["subjects"], summary["failed"]) == (1, 1)
    # Dana's subject failed after her people were overwritten: all of it rolled back, files included.
    assert Person.objects.get(application=rejected).legal_name == "Jane Example"
    assert all(Document._meta.get_field("file").storage.exists(name) for name in _files(rejected))
    assert not RetentionRecord.objects.filter(application=rejected, anonymised_at__isnull=False).exists()
    assert Person.objects.get(application=other).legal_name == MARKER
    assert "storage went away" in caplog.text
    assert "Jane Example" not in caplog.text

    monkeypatch.setattr(privacy_services, "_accounts_anonymise", real)
    with django_capture_on_commit_callbacks(execute=True):
        assert retention_enforce(now=years_later(6))["applications"] == 1
    assert Person.objects.get(application=rejected).legal_name == MARKER


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hold_placed_while_the_job_runs_either_waits_for_it_or_stops_it(
    dana: Any, wallet_key: Any, reviewer: Any, approver: Any
) -> None:
    """The job and the hold both lock the application row: whichever comes second sees the other's result."""
    import threading

    from django.db import connection

    from privacy.services import subject_anonymise

    application = rejected_individual(dana, wallet_key, reviewer)
    subject = f"user:{dana.public_id}"
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def job() -> None:
        try:
            barrier.wait()
            subject_anonymise(subject_key=subject, now=years_later(6))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    def hold() -> None:
        try:
            barrier.wait()
            legal_hold_set(application=application, by=approver, reason="FIU request")
        except ApplicationError as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=job), threading.Thread(target=hold)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    record = RetentionRecord.objects.get(application=application)
    person = Person.objects.get(application=application)
    if record.legal_hold:  # the hold won: nothing was anonymised
        assert errors == []
        assert person.legal_name == "Jane Example"
        assert record.anonymised_at is None
    else:  # the job won: the hold was refused because nothing is left to hold
        assert [getattr(e, "code", None) for e in errors] == ["already_anonymised"]
        assert person.legal_name == MARKER
