"""API keys for institutions: creation (shown once), rotation, revocation and lookup.

A key reads `csk_<prefix>_<secret>`. Only the prefix (to find the row) and a SHA-256 of the whole key are
stored; the comparison is constant-time. A request made with a key acts as the member who created it, but only
on the key's organisation and only within the key's scopes (see `accounts.authentication`); a key stops
working when its creator is no longer an owner of the organisation (demoted to member, or gone), so a departing or
demoted employee's keys die with their ownership.

Rotation creates a new key with the same name and scopes. The old key keeps working for
`API_KEY_ROTATION_GRACE_SECONDS` (default one day) so that an integration can be redeployed without an
outage; with a grace of 0 it is revoked at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiKey, ApiKeyScope, Membership, Organisation, User
from core.audit import audit_record
from core.exceptions import ApplicationError

KEY_PREFIX = "csk_"
# How often a key's last-used time is written: once a minute is precise enough and spares a write per call.
_LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class IssuedKey:
    """The stored key and its plaintext, which exists only in this object and the response that shows it."""

    api_key: ApiKey
    plaintext: str


def _hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def _new_plaintext() -> tuple[str, str]:
    prefix = secrets.token_hex(6)
    return prefix, f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


def _max_days() -> int:
    return int(getattr(settings, "API_KEY_MAX_DAYS", 365))


def _grace() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "API_KEY_ROTATION_GRACE_SECONDS", 24 * 3600)))


def organisation_is_owned_by(*, organisation: Organisation, user: User) -> bool:
    return Membership.objects.filter(organisation=organisation, user=user, role=Membership.Role.OWNER).exists()


def api_key_list(*, organisation: Organisation) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(organisation=organisation).select_related("created_by", "revoked_by")


def _require_owner(organisation: Organisation, by: User) -> None:
    if not organisation_is_owned_by(organisation=organisation, user=by):
        raise ApplicationError("Only an owner of the organisation manages its API keys.", code="not_owner")


def _validate_scopes(scopes: list[str]) -> list[str]:
    chosen = sorted(set(scopes))
    unknown = [s for s in chosen if s not in ApiKeyScope.values]
    if unknown:
        raise ApplicationError(
            f"Unknown scope {', '.join(unknown)}; choose from {', '.join(ApiKeyScope.values)}.",
            code="unknown_scope",
            extra={"field": "scopes"},
        )
    if not chosen:
        raise ApplicationError("Choose at least one scope.", code="no_scope", extra={"field": "scopes"})
    return chosen


def _audit_view(key: ApiKey) -> dict[str, object]:
    return {
        "prefix": key.prefix,
        "name": key.name,
        "scopes": key.scopes,
        "expires_at": key.expires_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


@transaction.atomic
def api_key_create(
    *, organisation: Organisation, name: str, scopes: list[str], expires_in_days: int, by: User
) -> IssuedKey:
    """Issue a key for `organisation`. `by` must be an owner. The plaintext is returned once and never stored."""
    _require_owner(organisation, by)
    name = name.strip()
    if not name:
        raise ApplicationError("Give the key a name (what uses it).", code="no_name", extra={"field": "name"})
    if not 1 <= expires_in_days <= _max_days():
        raise ApplicationError(
            f"A key lives between 1 and {_max_days()} days.", code="bad_expiry", extra={"field": "expires_in_days"}
        )
    chosen = _validate_scopes(scopes)
    prefix, plaintext = _new_plaintext()
    key = ApiKey.objects.create(
        organisation=organisation,
        name=name[:100],
        prefix=prefix,
        key_hash=_hash(plaintext),
        scopes=chosen,
        created_by=by,
        expires_at=timezone.now() + timedelta(days=expires_in_days),
    )
    audit_record(actor=by, action="api_key.created", target=key, after=_audit_view(key))
    return IssuedKey(api_key=key, plaintext=plaintext)


@transaction.atomic
def api_key_rotate(*, api_key: ApiKey, by: User) -> IssuedKey:
    """Replace `api_key` with a new key of the same name, scopes and lifetime.

    The old key stays valid for the configured grace period (or is revoked now when the grace is 0).
    A revoked, expired or already rotated key cannot be rotated.
    """
    key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    _require_owner(key.organisation, by)
    if not key.is_usable():
        raise ApplicationError("This key is revoked or expired: create a new one.", code="not_usable")
    if key.replaced_by_id is not None:
        raise ApplicationError("This key was already rotated; rotate its replacement.", code="already_rotated")
    now = timezone.now()
    lifetime = max(key.expires_at - key.created_at, timedelta(days=1))
    prefix, plaintext = _new_plaintext()
    new = ApiKey.objects.create(
        organisation=key.organisation,
        name=key.name,
        prefix=prefix,
        key_hash=_hash(plaintext),
        scopes=key.scopes,
        created_by=by,
        expires_at=now + lifetime,
    )
    before = _audit_view(key)
    key.replaced_by = new
    grace = _grace()
    if grace <= timedelta(0):
        key.revoked_at, key.revoked_by = now, by
    else:
        key.expires_at = min(key.expires_at, now + grace)
    key.save(update_fields=["replaced_by", "expires_at", "revoked_at", "revoked_by", "updated_at"])
    audit_record(
        actor=by,
        action="api_key.rotated",
        target=key,
        before=before,
        after=_audit_view(key),
        data={"replaced_by": new.prefix},
    )
    audit_record(actor=by, action="api_key.created", target=new, after=_audit_view(new), data={"replaces": key.prefix})
    return IssuedKey(api_key=new, plaintext=plaintext)


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, by: User) -> ApiKey:
    """Revoke now. Revoking a revoked key is refused so the trail shows one revocation."""
    key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    _require_owner(key.organisation, by)
    if key.revoked_at is not None:
        raise ApplicationError("This key is already revoked.", code="already_revoked")
    before = _audit_view(key)
    key.revoked_at, key.revoked_by = timezone.now(), by
    key.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    audit_record(actor=by, action="api_key.revoked", target=key, before=before, after=_audit_view(key))
    return key


def api_key_authenticate(*, plaintext: str) -> ApiKey | None:
    """The usable key matching `plaintext`, or None (unknown, wrong secret, expired, revoked, or its creator
    is no longer an owner of the organisation). Records the last-used time at most once a minute."""
    if not plaintext.startswith(KEY_PREFIX):
        return None
    prefix, sep, _secret = plaintext[len(KEY_PREFIX) :].partition("_")
    if not sep or not prefix or len(prefix) > 16:
        return None
    key = ApiKey.objects.select_related("organisation", "created_by").filter(prefix=prefix).first()
    if key is None:
        # Spend the same time as a real comparison so a prefix's existence does not show in the timing.
        hmac.compare_digest(_hash(plaintext), "0" * 64)
        return None
    if not hmac.compare_digest(_hash(plaintext), key.key_hash):
        return None
    now = timezone.now()
    if not key.is_usable(now) or not key.created_by.is_active:
        return None
    # Only owners manage keys, so a key lives only as long as its creator is an owner: demoted to member, or gone.
    if not Membership.objects.filter(
        organisation_id=key.organisation_id, user_id=key.created_by_id, role=Membership.Role.OWNER
    ).exists():
        return None
    if key.last_used_at is None or now - key.last_used_at >= _LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
