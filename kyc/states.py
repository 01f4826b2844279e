"""The application state machine: the ONE table of allowed transitions.

The review issue extends `TRANSITIONS` (adding edges out of submitted, screening, in_review, ...); every
change of `Application.status` goes through `kyc.services.application_transition`, which checks this table
under a row lock.
"""

from __future__ import annotations

from kyc.models import Application

S = Application.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset(),
    S.SCREENING: frozenset(),
    S.READY_FOR_REVIEW: frozenset(),
    S.IN_REVIEW: frozenset(),
    S.INFORMATION_REQUESTED: frozenset({S.RESUBMITTED}),
    S.RESUBMITTED: frozenset(),
    S.PENDING_SECOND_APPROVAL: frozenset(),
    S.APPROVED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
    S.REVOKED: frozenset(),
}

# States in which the applicant may edit (everything in DRAFT; only `requested_items` when information
# was requested).
APPLICANT_EDITABLE = frozenset({S.DRAFT, S.INFORMATION_REQUESTED})


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())
