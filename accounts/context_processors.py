from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from accounts.permissions import user_capabilities, user_has_mfa, user_is_staff_member, user_roles
from accounts.roles import Capability, StaffRole

# (label, url name, capability). Each app adds its own entries in <app>/nav.py.
STAFF_NAV: list[tuple[str, str, str]] = [("Staff home", "staff_home", Capability.STAFF_AREA)]
APPLICANT_NAV: list[tuple[str, str]] = [("My account", "home")]
_NAV_APPS = ("kyc", "screening", "whitelist", "operators", "integrations", "privacy", "assurance")
_TRAILING_STAFF_NAV: list[tuple[str, str, str]] = [("Audit trail", "staff_audit", Capability.AUDIT_VIEW)]


@cache
def _collected() -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    staff, applicant = list(STAFF_NAV), list(APPLICANT_NAV)
    for app in _NAV_APPS:
        module = importlib.import_module(f"{app}.nav")
        staff += module.STAFF_NAV
        applicant += module.APPLICANT_NAV
    return staff + _TRAILING_STAFF_NAV, applicant


def _resolve(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "is_staff_member": False}
    items: list[dict[str, str]] = []
    if user_is_staff_member(user):
        caps = user_capabilities(user) if user_has_mfa(user) else frozenset()
        for label, name, cap in _collected()[0]:
            url = _resolve(name)
            if url and cap in caps:
                items.append({"label": label, "url": url})
        role_labels = [StaffRole(r).label for r in sorted(user_roles(user)) if r in StaffRole.values]
        return {"nav_items": items, "is_staff_member": True, "staff_role_labels": role_labels}
    for label, name in _collected()[1]:
        url = _resolve(name)
        if url:
            items.append({"label": label, "url": url})
    return {"nav_items": items, "is_staff_member": False}
