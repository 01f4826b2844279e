"""The audit trail cannot be rewritten silently: keyed hashes stop someone who can write to the database but
does not hold AUDIT_HMAC_KEYS, and a head published outside the database catches rows removed from the end
(with the head rolled back) and rows rewritten by someone who does hold the key."""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as global_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from core.audit import (
    GENESIS_HASH,
    audit_keys,
    audit_record,
    audit_verify,
    canonical_content,
    compute_hash,
    key_id,
    legacy_hash,
    mac,
)
from core.audit_head import HeadError, head_from_argument, head_from_signed, head_serialise, head_sign
from core.models import AuditChainHead, AuditEvent, AuditSeal
from core.tasks import audit_publish_head_task
from core.tests.test_audit import _tamper

pytestmark = pytest.mark.django_db

NEW_KEY = "rotated-in-audit-key-0123456789-abcdefghijklmnop"
OLD_KEY = "original-audit-key-9876543210-qrstuvwxyzabcdefg"
ATTACKER_KEY = "a-key-the-attacker-made-up-0123456789-abcdefghij"


def _chain(n: int) -> list[AuditEvent]:
    return [audit_record(actor=None, action=f"test.event_{i}", data={"i": i}) for i in range(1, n + 1)]


def _rehash_from(seq: int, *, hasher: Any) -> None:
    """What an attacker with database rights does after editing row `seq`: recompute the hash of that row
    and of every later one, relink them, and move the head to the new last hash."""
    rows = list(AuditEvent.objects.filter(seq__gte=seq).order_by("seq"))
    prev = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else GENESIS_HASH
    for row in rows:
        row.prev_hash = prev
        row.hash = hasher(prev, row)
        _tamper(
            "UPDATE core_auditevent SET prev_hash = %s, hash = %s, key_id = %s WHERE id = %s",
            [row.prev_hash, row.hash, row.key_id, row.pk],
        )
        prev = row.hash
    AuditChainHead.objects.filter(id=1).update(hash=prev)


def _delete_tail_and_roll_back_head(keep: int) -> None:
    _tamper("DELETE FROM core_auditevent WHERE seq > %s", [keep])
    AuditChainHead.objects.filter(id=1).update(seq=keep, hash=AuditEvent.objects.get(seq=keep).hash)


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "audit-heads.jsonl"
    with override_settings(AUDIT_HEAD_SINK=str(path)):
        yield path


class TestKeyedHashes:
    def test_each_row_names_the_key_that_hashed_it_and_its_hash_is_keyed(self) -> None:
        event = _chain(1)[0]
        newest_id = audit_keys()[0][0]
        assert event.key_id == newest_id
        assert event.hash != legacy_hash(event.prev_hash, event)
        assert compute_hash(event.prev_hash, event) == event.hash

    def test_an_edited_row_rehashed_without_the_key_is_named_even_with_the_trigger_off(self) -> None:
        _chain(5)
        # The attack of the issue: edit row 3, then recompute every later hash with the project's own
        # compute_hash; without the key the attacker can only use a key of their own.
        _tamper("""UPDATE core_auditevent SET data = '{"i": 99}' WHERE seq = 3""")
        with override_settings(AUDIT_HMAC_KEYS=[ATTACKER_KEY]):
            attacker_id = key_id(ATTACKER_KEY)
            _rehash_from(3, hasher=lambda prev, row: compute_hash(prev, _with_key(row, attacker_id)))
        report = audit_verify()
        assert report.problem is not None
        assert (report.problem.kind, report.problem.seq) == ("unverifiable", 3)

        with pytest.raises(CommandError, match=r"Row #3 \(id \d+, test.event_3\) was hashed with key"):
            call_command("audit_verify")

    def test_an_edited_row_rehashed_with_a_wrong_key_under_the_real_key_id_is_named_as_edited(self) -> None:
        _chain(5)
        _tamper("""UPDATE core_auditevent SET data = '{"i": 99}' WHERE seq = 3""")
        # Keeping the real key id, with a key of their own.
        _rehash_from(
            3, hasher=lambda prev, row: mac(ATTACKER_KEY.encode(), b"audit-row", prev + canonical_content(row))
        )
        report = audit_verify()
        assert report.problem is not None
        assert (report.problem.kind, report.problem.seq) == ("edited", 3)

    def test_rows_rewritten_as_old_unkeyed_rows_are_named(self) -> None:
        _chain(5)
        _tamper("""UPDATE core_auditevent SET data = '{"i": 99}' WHERE seq = 4""")
        _rehash_from(4, hasher=lambda prev, row: legacy_hash(prev, _with_key(row, "")))
        report = audit_verify()
        assert report.problem is not None
        assert (report.problem.kind, report.problem.seq) == ("unverifiable", 4)
        assert "no keyed hash and no seal" in report.problem.message

    def test_a_key_shorter_than_32_characters_is_refused_naming_the_setting(self) -> None:
        from django.core.exceptions import ImproperlyConfigured

        with (
            override_settings(AUDIT_HMAC_KEYS=[NEW_KEY, "short"]),
            pytest.raises(ImproperlyConfigured, match="entry 2"),
        ):
            audit_keys()


def _with_key(row: AuditEvent, kid: str) -> AuditEvent:
    row.key_id = kid
    return row


class TestRotation:
    def test_after_rotation_and_audit_rekey_the_old_key_can_be_dropped(self, capsys: Any) -> None:
        with override_settings(AUDIT_HMAC_KEYS=[OLD_KEY]):
            _chain(3)
        with override_settings(AUDIT_HMAC_KEYS=[NEW_KEY, OLD_KEY]):
            _chain(2)
            assert audit_verify().ok
            call_command("audit_rekey")
        assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["sealed"] == 3
        with override_settings(AUDIT_HMAC_KEYS=[NEW_KEY]):
            report = audit_verify()
        assert report.ok, report.problem
        assert report.checked == 5

    def test_dropping_a_key_before_audit_rekey_names_the_first_row_it_hashed(self) -> None:
        with override_settings(AUDIT_HMAC_KEYS=[OLD_KEY]):
            _chain(2)
        with override_settings(AUDIT_HMAC_KEYS=[NEW_KEY]):
            report = audit_verify()
        assert report.problem is not None
        assert report.problem.seq == 1
        assert f"key {key_id(OLD_KEY)}, which AUDIT_HMAC_KEYS no longer holds" in report.problem.message

    def test_audit_rekey_refuses_to_seal_an_edited_row_and_seals_nothing(self) -> None:
        with override_settings(AUDIT_HMAC_KEYS=[OLD_KEY]):
            _chain(4)
        _tamper("""UPDATE core_auditevent SET data = '{"i": 99}' WHERE seq = 3""")
        with (
            override_settings(AUDIT_HMAC_KEYS=[NEW_KEY, OLD_KEY]),
            pytest.raises(CommandError, match=r"Nothing was sealed. Row #3 .* was edited"),
        ):
            call_command("audit_rekey")
        assert not AuditSeal.objects.exists()


class TestRowsFromBeforeKeyedHashing:
    def _legacy_chain(self, n: int) -> None:
        """Rows as the portal wrote them before this change: no key id, plain SHA-256."""
        AuditChainHead.objects.get_or_create(id=1)
        for i in range(1, n + 1):
            event = audit_record(actor=None, action=f"test.legacy_{i}", data={"i": i})
            _tamper(
                "UPDATE core_auditevent SET key_id = '', hash = %s WHERE id = %s",
                [legacy_hash(event.prev_hash, _with_key(event, "")), event.pk],
            )
            # The next row links to the legacy hash, as it did then.
            event.refresh_from_db()
            AuditChainHead.objects.filter(id=1).update(hash=event.hash)

    def test_the_migration_seals_them_so_they_verify_and_keyed_rows_follow_them(self) -> None:
        self._legacy_chain(3)
        unsealed = audit_verify().problem
        assert unsealed is not None and unsealed.kind == "unverifiable"
        migration = importlib.import_module("core.migrations.0004_audit_keyed_hash_seals_anchors")
        migration.seal_unkeyed_rows(global_apps, None)  # it reads and writes rows only, through `apps`
        assert AuditSeal.objects.count() == 3
        _chain(2)
        report = audit_verify()
        assert report.ok, report.problem
        assert report.checked == 5

    def test_a_sealed_old_row_edited_later_is_named(self) -> None:
        self._legacy_chain(3)
        call_command("audit_rekey")
        _tamper("""UPDATE core_auditevent SET data = '{"i": 99}' WHERE seq = 2""")
        _rehash_from(2, hasher=lambda prev, row: legacy_hash(prev, row))
        report = audit_verify()
        assert report.problem is not None
        assert (report.problem.kind, report.problem.seq) == ("edited", 2)


class TestPublishedHead:
    def test_the_beat_job_writes_the_signed_head_to_the_sink_and_the_log(
        self, sink: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        events = _chain(3)
        with caplog.at_level("INFO", logger="core.audit.head"):
            audit_publish_head_task.apply().get()
        line = sink.read_text().strip().splitlines()[-1]
        signed = json.loads(line)
        assert (signed["seq"], signed["hash"], signed["event_id"]) == (3, events[-1].hash, events[-1].pk)
        assert signed["at"] and signed["key_id"] == audit_keys()[0][0] and len(signed["mac"]) == 64
        assert head_from_signed(line, source="the sink").seq == 3
        assert line in caplog.text

    def test_the_sink_may_be_a_url_that_receives_the_signed_head_as_json(self) -> None:
        received: list[bytes] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                received.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = HTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            _chain(2)
            with override_settings(AUDIT_HEAD_SINK=f"http://127.0.0.1:{server.server_port}/heads"):
                audit_publish_head_task.apply().get()
        finally:
            server.shutdown()
        assert json.loads(received[0])["seq"] == 2

    def test_a_plain_http_sink_off_the_loopback_is_refused_naming_the_setting(self) -> None:
        from django.core.exceptions import ImproperlyConfigured

        with (
            override_settings(AUDIT_HEAD_SINK="http://heads.example.org/in"),
            pytest.raises(ImproperlyConfigured, match="AUDIT_HEAD_SINK"),
        ):
            audit_publish_head_task.apply().get()

    def test_a_head_with_a_forged_signature_is_refused(self) -> None:
        _chain(1)
        signed = head_sign()
        signed["seq"] = 7
        with pytest.raises(HeadError, match="signature that does not verify"):
            head_from_signed(head_serialise(signed), source="the head")
        with pytest.raises(HeadError, match="is not a head"):
            head_from_argument("not-a-hash")

    def test_rows_deleted_from_the_end_with_the_head_rolled_back_are_named_against_the_published_head(
        self, sink: Path
    ) -> None:
        events = _chain(5)
        audit_publish_head_task.apply().get()
        _delete_tail_and_roll_back_head(keep=3)
        # Inside the database everything agrees again: only the published head shows the loss.
        assert audit_verify().ok
        call_command("audit_verify")
        with pytest.raises(CommandError, match=r"Rows #4 to #5 were deleted from the end"):
            call_command("audit_verify", "--heads-file", str(sink))
        with pytest.raises(CommandError, match=rf"{events[-1].hash} is not in the chain, which ends at #3"):
            call_command("audit_verify", "--expect-head", events[-1].hash)
        with pytest.raises(CommandError, match=r"Rows #4 to #5 were deleted from the end"):
            call_command("audit_verify", "--expect-head", f"5:{events[-1].hash}")

    def test_rows_rewritten_by_someone_holding_the_key_are_placed_between_two_published_heads(self, sink: Path) -> None:
        _chain(3)
        audit_publish_head_task.apply().get()
        _chain(3)
        audit_publish_head_task.apply().get()
        _tamper("""UPDATE core_auditevent SET data = '{"i": 99}' WHERE seq = 5""")
        _rehash_from(5, hasher=compute_hash)
        assert audit_verify().ok
        with pytest.raises(CommandError, match=r"the first rewritten row is between #4 and #6"):
            call_command("audit_verify", "--heads-file", str(sink))

    def test_an_intact_chain_matches_its_published_heads(self, sink: Path, capsys: Any) -> None:
        _chain(2)
        audit_publish_head_task.apply().get()
        _chain(2)
        head = head_sign()
        call_command("audit_verify", "--heads-file", str(sink), "--expect-head", head["hash"])
        out = capsys.readouterr().out
        assert "Audit chain intact: 4 rows; head #4" in out
        assert "matches 2 published head(s)" in out
