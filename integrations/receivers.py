"""Status events from kyc: every `StatusTransition` row is written by `kyc.services.application_transition`
inside the status change's transaction, so a post_save receiver queues the webhook deliveries atomically
with it (the send itself waits for the commit)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from kyc.models import StatusTransition


@receiver(post_save, sender=StatusTransition, dispatch_uid="integrations.status_events")
def queue_status_event(
    sender: Any, instance: StatusTransition, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if not created or raw:
        return
    from integrations.services import TRANSITION_EVENTS, events_queue_for_transition

    if instance.to_status in TRANSITION_EVENTS:
        events_queue_for_transition(application=instance.application, to_status=instance.to_status)
