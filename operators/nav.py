"""Navigation entries this app adds: (label, url name, capability). Applicant entries use None."""

from __future__ import annotations

from accounts.roles import Capability

STAFF_NAV: list[tuple[str, str, str]] = [
    ("Operators", "operators_staff_list", Capability.OPERATOR_REVIEW),
    ("Allocation", "operators_staff_allocation", Capability.OPERATOR_REVIEW),
    ("Diversity", "operators_diversity", Capability.STAFF_AREA),
]
APPLICANT_NAV: list[tuple[str, str]] = [
    ("Node operators", "operators_list"),
    ("Diversity", "operators_diversity"),
]
