"""SQLite keeps its UPDATE trigger but loses the DELETE one.

SQLite is only the embedded development default; Django's test flush (for `transaction=True` tests) empties
tables with DELETE, which the trigger refused. PostgreSQL, the production database, keeps both triggers and
the ORM refuses deletes on every backend.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_delete;")


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            """CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent
               BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only: DELETE is not allowed'); END;"""
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
