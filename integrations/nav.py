"""Navigation entries this app adds: (label, url name, capability). Applicant entries use None."""

from __future__ import annotations

STAFF_NAV: list[tuple[str, str, str]] = []
APPLICANT_NAV: list[tuple[str, str]] = [("Webhooks", "integrations:endpoints")]
