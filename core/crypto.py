"""Symmetric encryption for secrets and personal data at rest.

Keys come from FIELD_ENCRYPTION_KEYS (Fernet keys, newest first). The newest key encrypts; every key
decrypts, so a key can be rotated in by prepending it and the old one removed once data is re-encrypted.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """The ciphertext was not produced by any configured key (or was tampered with)."""


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key.")
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS entry {position} is not a valid Fernet key (32 url-safe base64-encoded bytes)."
            ) from exc
    return MultiFernet(fernets)


def _current() -> MultiFernet:
    return _multifernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_str(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt_str(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("The value cannot be decrypted with any configured key.") from exc


def rotate_str(token: str) -> str:
    """Re-encrypt a token with the newest key (no-op in meaning, new ciphertext)."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("The value cannot be decrypted with any configured key.") from exc
