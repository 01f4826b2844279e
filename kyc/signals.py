"""Events other apps react to. Sent only after the transaction that caused them has committed."""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: application_id. Screening (issue 4) and the review queue (issue 5) connect here.
application_submitted = Signal()
