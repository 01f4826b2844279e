"""Model fields that keep personal data encrypted at rest with `core.crypto` (MultiFernet, newest key writes).

The column holds Fernet tokens; Python code sees plain values. Equality lookups on these columns cannot
work (every encryption is randomised), which is on purpose: search goes through non-personal fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from core.crypto import decrypt_str, encrypt_str


class EncryptedTextField(models.TextField):
    """Text encrypted with the newest FIELD_ENCRYPTION_KEYS key. Empty strings are stored empty."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_str(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_str(str(value))


class EncryptedDateField(models.TextField):
    """A date stored as an encrypted ISO string (a date of birth is personal data)."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> dt.date | None:
        if not value:
            return None
        return dt.date.fromisoformat(decrypt_str(value))

    def to_python(self, value: Any) -> dt.date | None:
        if value in (None, ""):
            return None
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value))

    def get_prep_value(self, value: Any) -> Any:
        value = self.to_python(value)
        if value is None:
            return ""
        return encrypt_str(value.isoformat())
