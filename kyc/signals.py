"""Events other apps react to.

`application_submitted` is sent after the submission has committed. `application_status_changed` is sent by the one
writer of the status (`kyc.services.application_transition`) inside the transaction that changes it, so what a
receiver does (an operator suspended with its KYC case, its whitelist entries recomputed) commits or rolls back with
the decision. Receivers must not do I/O outside the database; defer that with `transaction.on_commit`.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: application_id. Screening (issue 4) and the review queue (issue 5) connect here.
application_submitted = Signal()

# kwargs: application (locked, already saved with its new status), before, after (status values), by (User | None).
application_status_changed = Signal()
