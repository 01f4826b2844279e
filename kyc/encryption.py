"""Key rotation for everything encrypted with FIELD_ENCRYPTION_KEYS: the encrypted columns of every app
(personal data in kyc, webhook secrets in integrations) and the second-factor secrets allauth stores for us
(`accounts.adapters` encrypts them with the same keys). An old key may be dropped only after this has run."""

from __future__ import annotations

from django.apps import apps
from django.db import connection, models, transaction

from core.crypto import rotate_str
from kyc.fields import EncryptedDateField, EncryptedTextField

# allauth's Authenticator.data keys that hold ciphertext: the TOTP secret and the recovery codes' seed.
_MFA_SECRET_KEYS = ("secret", "seed")


def _encrypted_columns(model: type[models.Model]) -> list[str]:
    return [
        str(f.column) for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField | EncryptedDateField)
    ]


def reencrypt_all(*, batch_size: int = 500) -> dict[str, int]:
    """Rewrite each ciphertext with the newest key, one locked batch per transaction.

    Works on the raw tokens (SQL, not the model fields, which would decrypt): `rotate_str` decrypts with
    whichever key matches and encrypts with the newest. Rows are locked while rotated, so a concurrent edit
    is not overwritten with the older value.
    """
    quote = connection.ops.quote_name
    counts: dict[str, int] = {}
    for model in apps.get_models():
        columns = _encrypted_columns(model)
        if not columns:
            continue
        table = quote(model._meta.db_table)
        select_cols = ", ".join(quote(c) for c in columns)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
        rotated = 0
        last_pk = 0
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id, {select_cols} FROM {table} WHERE id > %s ORDER BY id LIMIT %s{lock}",  # noqa: S608 - names from model metadata
                    [last_pk, batch_size],
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                for pk, *values in rows:
                    if not any(values):
                        continue
                    new_values = [rotate_str(v) if v else v for v in values]
                    cursor.execute(
                        f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608 - names from model metadata
                        [*new_values, pk],
                    )
                    rotated += 1
                last_pk = rows[-1][0]
        counts[model._meta.label] = rotated
    counts["mfa.Authenticator"] = _reencrypt_mfa_secrets()
    return counts


def _reencrypt_mfa_secrets() -> int:
    from allauth.mfa.models import Authenticator

    rotated = 0
    with transaction.atomic():
        for authenticator in Authenticator.objects.select_for_update().order_by("pk"):
            data = dict(authenticator.data or {})
            keys = [k for k in _MFA_SECRET_KEYS if isinstance(data.get(k), str) and data[k]]
            if not keys:
                continue
            for key in keys:
                data[key] = rotate_str(data[key])
            authenticator.data = data
            authenticator.save(update_fields=["data"])
            rotated += 1
    return rotated
