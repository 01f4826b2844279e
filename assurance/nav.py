"""Navigation entries this app adds: (label, url name, capability)."""

from __future__ import annotations

from accounts.roles import Capability

STAFF_NAV: list[tuple[str, str, str]] = [("Integrity", "assurance:overview", Capability.ASSURANCE_VIEW)]
APPLICANT_NAV: list[tuple[str, str]] = []
