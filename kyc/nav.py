"""Navigation entries this app adds: (label, url name, capability). Applicant entries use None."""

from __future__ import annotations

STAFF_NAV: list[tuple[str, str, str]] = [
    ("Review queue", "kyc:queue", "case.view"),
    # The rules page links to the FATF listings: one entry keeps the staff header short.
    ("Risk settings", "kyc:risk_rules", "case.view"),
    ("Reports", "reporting:dashboard", "report.view"),
]
APPLICANT_NAV: list[tuple[str, str]] = [("My applications", "kyc:list"), ("New application", "kyc:new")]
