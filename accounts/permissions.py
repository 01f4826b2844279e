"""Who may do what: the one place that answers capability and staff questions for views and the API."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.roles import ROLE_CAPABILITIES

_CACHE_ATTR = "_portal_capabilities"


def user_roles(user: Any) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        cached = frozenset(user.role_assignments.values_list("role", flat=True))
        user._portal_roles = cached
    return cached


def user_capabilities(user: Any) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        caps: set[str] = set()
        for role in user_roles(user):
            caps |= ROLE_CAPABILITIES.get(role, frozenset())
        cached = frozenset(caps)
        setattr(user, _CACHE_ATTR, cached)
    return cached


def user_is_staff_member(user: Any) -> bool:
    """Anyone holding a staff role or able to use the admin site: MFA is compulsory for them."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser or user_roles(user))


def user_has_mfa(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    # Cached on the user object for the request, like the roles: middleware, view and navigation all ask.
    cached = getattr(user, "_portal_has_mfa", None)
    if cached is None:
        cached = is_mfa_enabled(user, [Authenticator.Type.TOTP])
        user._portal_has_mfa = cached
    return bool(cached)


def user_has_capability(user: Any, capability: str) -> bool:
    return capability in user_capabilities(user) and user_has_mfa(user)


class HasCapability(BasePermission):
    """DRF permission: `permission_classes = [HasCapability.for_(Capability.AUDIT_VIEW)]`."""

    capability: str = ""
    message = "You do not have permission to perform this action."

    @classmethod
    def for_(cls, capability: str) -> type[HasCapability]:
        return type(f"HasCapability_{capability.replace('.', '_')}", (cls,), {"capability": capability})

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_has_capability(request.user, self.capability)
