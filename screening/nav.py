"""Navigation entries this app adds: (label, url name, capability). Applicant entries use None."""

from __future__ import annotations

from accounts.roles import Capability

STAFF_NAV: list[tuple[str, str, str]] = [("Sanctions lists", "screening_staff_lists", Capability.CASE_VIEW)]
APPLICANT_NAV: list[tuple[str, str]] = []
