"""Events of the screening app, sent only after the transaction that caused them has committed.

`check_settled` (kwargs: check_id, subject_ref, status, outcome): a check reached a result (done), failed for
good after its retries, or a provider changed its verdict later (a webhook). The caller that owns the subject
(kyc) connects here to move its case on; screening itself never learns what the subject is.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

check_settled = Signal()


def check_settled_on_commit(*, check_id: int, subject_ref: str, status: str, outcome: str) -> None:
    """Send `check_settled` once the current transaction commits (at once outside one)."""

    def send() -> None:
        check_settled.send(sender=None, check_id=check_id, subject_ref=subject_ref, status=status, outcome=outcome)

    transaction.on_commit(send, robust=True)
