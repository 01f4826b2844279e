"""The onboarding state machine of an operator profile: the ONE table of allowed transitions and who may take each.

`operators.services.operator_transition` is the only code that changes `OperatorProfile.status`; it checks this
table under a row lock.
"""

from __future__ import annotations

from operators.models import OperatorProfile

S = OperatorProfile.Status
OPERATOR = "operator"  # a member of the operator's organisation, or the individual operator
STAFF = "staff"  # staff with Capability.OPERATOR_REVIEW

TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, S.SUBMITTED): OPERATOR,
    (S.CHANGES_REQUESTED, S.SUBMITTED): OPERATOR,
    (S.SUBMITTED, S.IN_REVIEW): STAFF,
    (S.IN_REVIEW, S.CHANGES_REQUESTED): STAFF,
    (S.IN_REVIEW, S.APPROVED): STAFF,
    (S.IN_REVIEW, S.REJECTED): STAFF,
    (S.APPROVED, S.SUSPENDED): STAFF,
    (S.SUSPENDED, S.IN_REVIEW): STAFF,
}

# The operator edits the profile, addresses and clusters only while it is theirs to change.
OPERATOR_EDITABLE = frozenset({S.DRAFT, S.CHANGES_REQUESTED})
# Validators may be added to a draft (to be reviewed) and to an approved operator.
KEYS_ACCEPTED = frozenset({S.DRAFT, S.CHANGES_REQUESTED, S.APPROVED})


# What the button that takes each step says.
ACTION_LABELS: dict[str, str] = {
    S.SUBMITTED: "Submit for review",
    S.IN_REVIEW: "Start technical review",
    S.CHANGES_REQUESTED: "Request changes",
    S.APPROVED: "Approve",
    S.REJECTED: "Reject",
    S.SUSPENDED: "Suspend",
}


def allowed_actor(from_status: str, to_status: str) -> str | None:
    return TRANSITIONS.get((from_status, to_status))


def next_states(from_status: str, actor: str) -> list[str]:
    return [to for (frm, to), who in TRANSITIONS.items() if frm == from_status and who == actor]
