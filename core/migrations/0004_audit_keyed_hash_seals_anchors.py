"""Keyed audit hashes: `AuditEvent.key_id`, seals for rows no configured key hashed, and on-chain anchors.

Strategy for the rows already written (plain SHA-256, `key_id` empty): they cannot be rehashed (the table is
append-only), so this migration verifies their chain and seals each one with the newest AUDIT_HMAC_KEYS key
(`AuditSeal`); from then on `audit_verify` accepts an unkeyed row only with a valid seal, so nobody without the
key can rewrite the old rows either, nor pass off new rows as old unkeyed ones. Should the existing chain not
verify, nothing past the first bad row is sealed and `audit_verify` names it. `manage.py audit_rekey` does the
same sealing at every later key rotation.

On SQLite, adding a column with a default rebuilds the table, which drops its triggers: the UPDATE trigger of
0002 is created again here.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

SQLITE_NO_UPDATE = """CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON core_auditevent
   BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only: UPDATE is not allowed'); END;"""


def restore_sqlite_trigger(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_NO_UPDATE)


def seal_unkeyed_rows(apps: Any, schema_editor: Any) -> None:
    # The hashing functions are today's (canonical content is the contract of the whole trail); they read
    # only attributes the historical model has.
    from core.audit import GENESIS_HASH, audit_keys, canonical_content, legacy_hash, mac

    event_model = apps.get_model("core", "AuditEvent")
    seal_model = apps.get_model("core", "AuditSeal")
    newest_id, newest = audit_keys()[0]
    expected_prev, expected_seq = GENESIS_HASH, 1
    for event in event_model.objects.order_by("seq").iterator(chunk_size=2000):
        intact = (
            not event.key_id
            and event.seq == expected_seq
            and event.prev_hash == expected_prev
            and legacy_hash(event.prev_hash, event) == event.hash
        )
        if not intact:
            return
        seal_model.objects.create(
            event_id=event.pk,
            key_id=newest_id,
            mac=mac(newest, b"audit-seal", event.prev_hash + event.hash + canonical_content(event)),
        )
        expected_prev, expected_seq = event.hash, expected_seq + 1


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_sqlite_allow_flush"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditAnchor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("head_seq", models.PositiveBigIntegerField()),
                ("head_hash", models.CharField(max_length=64)),
                ("payload", models.TextField(help_text="The signed head, as sent in the transaction's input.")),
                ("chain_id", models.PositiveBigIntegerField()),
                ("sender", models.CharField(max_length=42)),
                ("to_address", models.CharField(max_length=42)),
                ("nonce", models.PositiveBigIntegerField()),
                ("tx_hash", models.CharField(max_length=66, unique=True)),
                ("raw", models.TextField()),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("signed", "Signed"),
                            ("broadcast", "Broadcast"),
                            ("mined", "Mined"),
                            ("failed", "Failed"),
                        ],
                        default="signed",
                        max_length=16,
                    ),
                ),
                ("block_number", models.PositiveBigIntegerField(blank=True, null=True)),
            ],
            options={
                "ordering": ["-id"],
            },
        ),
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="seal",
                        serialize=False,
                        to="core.auditevent",
                    ),
                ),
                ("key_id", models.CharField(max_length=16)),
                ("mac", models.CharField(max_length=64)),
                ("sealed_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", editable=False, max_length=16),
        ),
        migrations.RunPython(restore_sqlite_trigger, migrations.RunPython.noop),
        migrations.RunPython(seal_unkeyed_rows, migrations.RunPython.noop),
    ]
