"""Navigation entries this app adds: (label, url name, capability). Applicant entries use None."""

from __future__ import annotations

STAFF_NAV: list[tuple[str, str, str]] = [("Personal data", "privacy:retention", "audit.view")]
APPLICANT_NAV: list[tuple[str, str]] = [("My data", "privacy:my_data")]
