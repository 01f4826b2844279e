"""Navigation entries this app adds: (label, url name, capability). Applicant entries use None."""

from __future__ import annotations

from accounts.roles import Capability

STAFF_NAV: list[tuple[str, str, str]] = [
    ("Whitelist", "whitelist_overview", Capability.WHITELIST_VIEW),
    ("Drift", "whitelist_drift", Capability.WHITELIST_VIEW),
    ("Dry run", "whitelist_dry_run", Capability.WHITELIST_MANAGE),
]
APPLICANT_NAV: list[tuple[str, str]] = []
