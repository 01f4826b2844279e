from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from accounts.tests.factories import UserFactory
from core.audit import GENESIS_HASH, audit_record, audit_verify, compute_hash
from core.exceptions import AuditImmutableError
from core.models import AuditChainHead, AuditEvent


def _chain(n: int, actor: Any = None) -> list[AuditEvent]:
    return [audit_record(actor=actor, action=f"test.event_{i}", data={"i": i}) for i in range(1, n + 1)]


def _tamper(sql: str, params: list[Any] | None = None) -> None:
    """Run raw SQL against the audit table as a database owner would, with the append-only triggers off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Superuser-only: switches user triggers off for this transaction, as an attacker with owner
            # rights could.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql, params or [])
            cursor.execute("SET LOCAL session_replication_role = origin")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete")
            cursor.execute(sql, params or [])


@pytest.mark.django_db
class TestAppending:
    def test_each_row_links_to_the_previous_rows_hash(self) -> None:
        events = _chain(3)
        assert events[0].prev_hash == GENESIS_HASH
        assert events[1].prev_hash == events[0].hash
        assert events[2].prev_hash == events[1].hash
        assert [e.seq for e in events] == [1, 2, 3]
        for event in AuditEvent.objects.all():
            assert compute_hash(event.prev_hash, event) == event.hash

    def test_the_stored_row_hashes_the_same_after_a_round_trip_through_the_database(self) -> None:
        audit_record(actor=None, action="test.values", data={"amount": 1.5, "nested": {"b": 2, "a": [1, "x"]}})
        event = AuditEvent.objects.get()
        assert compute_hash(event.prev_hash, event) == event.hash

    def test_it_records_the_actor_target_and_before_after(self) -> None:
        user = UserFactory(email="dora@example.com", is_staff=True)
        event = audit_record(actor=user, action="user.changed", target=user, before={"a": 1}, after={"a": 2})
        event.refresh_from_db()
        assert event.actor == user
        assert event.actor_label == "dora@example.com"
        assert (event.target_type, event.target_id) == ("accounts.user", str(user.pk))
        assert (event.before, event.after) == ({"a": 1}, {"a": 2})

    def test_an_applicant_is_named_by_public_id_so_the_trail_keeps_no_e_mail(self, make_staff: Any) -> None:
        applicant = UserFactory(email="eve.applicant@example.com")
        officer = make_staff("reviewer", email="officer@claystack.example")
        by_applicant = audit_record(actor=applicant, action="auth.login", target=applicant)
        by_officer = audit_record(actor=officer, action="case.claimed")
        assert by_applicant.actor == applicant
        assert by_applicant.actor_label == f"user:{applicant.public_id}"
        assert by_applicant.target_repr == f"user:{applicant.public_id}"
        assert "eve.applicant" not in by_applicant.actor_label + by_applicant.target_repr
        assert by_officer.actor_label == "officer@claystack.example"

    def test_a_request_records_its_id_ip_and_user_agent(self, client: Any) -> None:
        user = UserFactory()
        client.force_login(user)
        response = client.post(
            "/accounts/logout/", HTTP_USER_AGENT="TestBrowser/1.0", HTTP_X_REQUEST_ID="req-0123456789"
        )
        assert response.status_code == 302
        event = AuditEvent.objects.get(action="auth.logout")
        assert event.request_id == "req-0123456789"
        assert event.ip == "127.0.0.1"
        assert event.user_agent == "TestBrowser/1.0"

    def test_an_event_written_in_a_rolled_back_transaction_leaves_no_trace(self) -> None:
        _chain(1)
        with pytest.raises(RuntimeError), transaction.atomic():
            audit_record(actor=None, action="test.rolled_back")
            raise RuntimeError("the service failed after auditing")
        assert not AuditEvent.objects.filter(action="test.rolled_back").exists()
        assert audit_verify().ok


@pytest.mark.django_db
class TestImmutability:
    def test_the_orm_refuses_to_save_an_existing_row(self) -> None:
        event = _chain(1)[0]
        event.action = "test.forged"
        with pytest.raises(AuditImmutableError):
            event.save()

    def test_the_orm_refuses_to_delete_a_row(self) -> None:
        event = _chain(1)[0]
        with pytest.raises(AuditImmutableError):
            event.delete()

    def test_the_orm_refuses_queryset_update_and_delete(self) -> None:
        _chain(2)
        with pytest.raises(AuditImmutableError):
            AuditEvent.objects.filter(seq=1).update(action="test.forged")
        with pytest.raises(AuditImmutableError):
            AuditEvent.objects.all().delete()
        assert AuditEvent.objects.count() == 2

    def test_a_database_trigger_rejects_raw_update(self) -> None:
        _chain(1)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditevent SET action = 'test.forged'")
        assert AuditEvent.objects.get().action == "test.event_1"

    @pytest.mark.postgres
    def test_a_database_trigger_rejects_raw_delete(self) -> None:
        _chain(1)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditevent")
        assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
class TestVerification:
    def test_an_untouched_chain_verifies(self) -> None:
        _chain(5)
        report = audit_verify()
        assert report.ok
        assert (report.checked, report.head_seq) == (5, 5)

    def test_an_empty_chain_verifies(self) -> None:
        assert audit_verify().ok

    def test_it_names_the_edited_row(self) -> None:
        _chain(5)
        _tamper("UPDATE core_auditevent SET data = %s WHERE seq = 3", ['{"i": 99}'])
        report = audit_verify()
        assert report.problem is not None
        assert report.problem.kind == "edited"
        assert report.problem.seq == 3
        assert "Row #3" in report.problem.message

    def test_it_names_a_row_deleted_from_the_middle(self) -> None:
        _chain(5)
        _tamper("DELETE FROM core_auditevent WHERE seq = 3")
        report = audit_verify()
        assert report.problem is not None
        assert report.problem.kind == "deleted"
        assert "Row #3 was deleted" in report.problem.message

    def test_it_names_a_deleted_row_even_when_the_chain_was_renumbered(self) -> None:
        _chain(5)
        _tamper("DELETE FROM core_auditevent WHERE seq = 3")
        _tamper("UPDATE core_auditevent SET seq = 3 WHERE seq = 4")
        _tamper("UPDATE core_auditevent SET seq = 4 WHERE seq = 5")
        report = audit_verify()
        assert report.problem is not None
        assert report.problem.kind == "deleted"
        assert report.problem.seq == 3

    def test_it_names_reordered_rows(self) -> None:
        _chain(5)
        _tamper("UPDATE core_auditevent SET seq = 1000 WHERE seq = 3")
        _tamper("UPDATE core_auditevent SET seq = 3 WHERE seq = 4")
        _tamper("UPDATE core_auditevent SET seq = 4 WHERE seq = 1000")
        report = audit_verify()
        assert report.problem is not None
        assert report.problem.kind == "reordered"
        assert report.problem.seq == 3
        assert "written after the row now at #4" in report.problem.message

    def test_it_notices_rows_deleted_from_the_end(self) -> None:
        _chain(5)
        _tamper("DELETE FROM core_auditevent WHERE seq >= 4")
        report = audit_verify()
        assert report.problem is not None
        assert report.problem.kind == "truncated"
        assert "ends at #3" in report.problem.message

    def test_the_command_fails_and_names_the_first_bad_row(self) -> None:
        _chain(4)
        _tamper("UPDATE core_auditevent SET action = 'test.forged' WHERE seq = 2")
        with pytest.raises(CommandError, match=r"Row #2 .* was edited"):
            call_command("audit_verify")

    def test_the_command_reports_an_intact_chain(self, capsys: pytest.CaptureFixture[str]) -> None:
        _chain(3)
        call_command("audit_verify")
        assert "Audit chain intact: 3 rows" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_produce_one_unbroken_chain() -> None:
    """Eight threads append at once on PostgreSQL: the head lock serialises them into one chain."""
    AuditChainHead.objects.get_or_create(id=1)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(10):
                with transaction.atomic():
                    audit_record(actor=None, action=f"test.thread_{n}", data={"i": i})
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 81))
    report = audit_verify()
    assert report.ok, report.problem


def test_a_failed_login_keeps_no_typed_e_mail_in_the_trail(client: Any, alice: Any) -> None:
    for email in ("nobody.known@example.org", alice.email):
        response = client.post("/accounts/login/", {"login": email, "password": "wrong-password-1"})
        assert response.status_code == 200
    unknown, known = AuditEvent.objects.filter(action="auth.login_failed").order_by("seq")
    assert "nobody.known" not in str(unknown.data) and len(unknown.data["attempted_digest"]) == 24
    # Repeated attempts on one identifier stay visible as one digest.
    client.post("/accounts/login/", {"login": "Nobody.Known@example.org", "password": "again-wrong-2"})
    again = AuditEvent.objects.filter(action="auth.login_failed").latest("seq")
    assert again.data == unknown.data
    assert known.data == {"attempted": f"user:{alice.public_id}"}
    assert alice.email not in str(known.data)
