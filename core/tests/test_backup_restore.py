"""Backup and restore as docs/deploy.md describes them: pg_dump (custom format), pg_restore into a fresh database,
then `manage.py audit_verify` against the restored copy, as a separate process the way an operator runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from core.audit import audit_record
from core.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.postgres,
    # Committed data: pg_dump runs in another session and sees only what this test committed.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (shutil.which("pg_dump") and shutil.which("pg_restore")), reason="needs the pg_dump and pg_restore binaries"
    ),
]


def _db() -> dict[str, Any]:
    return dict(settings.DATABASES["default"])


def _libpq_env() -> dict[str, str]:
    db = _db()
    env = {**os.environ, "PGHOST": str(db.get("HOST") or "127.0.0.1"), "PGPORT": str(db.get("PORT") or 5432)}
    env["PGUSER"] = str(db.get("USER") or "postgres")
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _url(name: str) -> str:
    env = _libpq_env()
    password = f":{quote(env['PGPASSWORD'], safe='')}" if env.get("PGPASSWORD") else ""
    return f"postgres://{quote(env['PGUSER'], safe='')}{password}@{env['PGHOST']}:{env['PGPORT']}/{name}"


def _admin(sql: str) -> None:
    """Run DDL (CREATE/DROP DATABASE) outside a transaction, from the maintenance database."""
    with psycopg.connect(_url("postgres"), autocommit=True) as conn:
        conn.execute(sql.encode())


@pytest.fixture
def restored_name() -> Iterator[str]:
    name = f"{_db()['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}"')
    yield name
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _audit_verify(database: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": _url(database),
        "DJANGO_SETTINGS_MODULE": "claystack_portal.settings.test",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "audit_verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_restored_backup_passes_audit_verify_and_a_tampered_row_is_named(
    alice: Any, reviewer: Any, tmp_path: Path, restored_name: str
) -> None:
    from operators.services import operator_address_add, operator_create

    organisation = alice.organisations.get()
    operator = operator_create(
        by=alice,
        organisation=organisation,
        fields={
            "name": "Acme Nodes",
            "category": "professional",
            "execution_client": "geth",
            "consensus_client": "teku",
            "hosting_type": "cloud",
            "hosting_provider": "AWS",
            "country": "DE",
            "mev_relays": ["flashbots"],
        },
    )
    operator_address_add(
        operator=operator, by=alice, address="0x4D68568B8D4E6244233c685B48fEa619621B78D2", purpose="withdrawal"
    )
    audit_record(actor=reviewer, action="test.note", target=organisation, data={"note": "naïve café ✓", "n": 1})
    events = list(AuditEvent.objects.order_by("seq").values_list("seq", "action"))
    assert len(events) >= 4

    dump = tmp_path / "portal.dump"
    source = connection.settings_dict["NAME"]
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), source],
        env=_libpq_env(),
        check=True,
        capture_output=True,
        timeout=120,
    )
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored_name, str(dump)],
        env=_libpq_env(),
        check=True,
        capture_output=True,
        timeout=120,
    )

    verified = _audit_verify(restored_name)
    assert verified.returncode == 0, verified.stderr
    assert f"Audit chain intact: {len(events)} rows; head #{events[-1][0]}" in verified.stdout

    # The restored copy kept the append-only trigger: a plain UPDATE is refused.
    seq, action = events[1]
    with psycopg.connect(_url(restored_name), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute("UPDATE core_auditevent SET data = '{}' WHERE seq = %s", (seq,))
        # A superuser can still get past it; audit_verify is what catches that.
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")
            conn.execute("""UPDATE core_auditevent SET data = '{"forged": true}' WHERE seq = %s""", (seq,))
        row_id = conn.execute("SELECT id FROM core_auditevent WHERE seq = %s", (seq,)).fetchone()[0]  # type: ignore[index]

    tampered = _audit_verify(restored_name)
    assert tampered.returncode != 0
    assert f"Row #{seq} (id {row_id}, {action}) was edited" in tampered.stderr
    # The source database is untouched by any of this.
    assert _audit_verify(source).returncode == 0
