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
    # Screening starts on submission; without a screening run (or when it finished) the case is ready.
    S.SUBMITTED: frozenset({S.SCREENING, S.READY_FOR_REVIEW}),
    S.SCREENING: frozenset({S.READY_FOR_REVIEW}),
    # Claiming a case puts it in review.
    S.READY_FOR_REVIEW: frozenset({S.IN_REVIEW}),
    # Released back to the queue, information asked for, or decided (alone or first of four eyes).
    S.IN_REVIEW: frozenset(
        {S.READY_FOR_REVIEW, S.INFORMATION_REQUESTED, S.PENDING_SECOND_APPROVAL, S.APPROVED, S.REJECTED}
    ),
    S.INFORMATION_REQUESTED: frozenset({S.RESUBMITTED}),
    # Changed data is screened again; the assignee picks it up again.
    S.RESUBMITTED: frozenset({S.SCREENING, S.READY_FOR_REVIEW, S.IN_REVIEW}),
    # The second officer approves, rejects, or sends it back to the reviewer.
    S.PENDING_SECOND_APPROVAL: frozenset({S.APPROVED, S.REJECTED, S.IN_REVIEW}),
    # Its validity ends, it is withdrawn, or its approved renewal takes over.
    S.APPROVED: frozenset({S.EXPIRED, S.REVOKED, S.SUPERSEDED}),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
    S.REVOKED: frozenset(),
    S.SUPERSEDED: frozenset(),
}

# States in which the applicant may edit (everything in DRAFT; only `requested_items` when information
# was requested).
APPLICANT_EDITABLE = frozenset({S.DRAFT, S.INFORMATION_REQUESTED})


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())
