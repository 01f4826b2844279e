"""Celery interfaces of the webhooks: thin, they take ids and call the services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="integrations.deliver", acks_late=True, time_limit=120, soft_time_limit=100)
def webhook_deliver_task(delivery_id: int) -> None:
    """One attempt; schedules the next (with backoff) itself. Idempotent: a delivery that is not pending
    and due is left alone, so a duplicate message sends nothing."""
    from integrations.services import delivery_attempt

    result = delivery_attempt(delivery_id)
    if result.retry_in is not None:
        webhook_deliver_task.apply_async((delivery_id,), countdown=result.retry_in)


@shared_task(name="integrations.deliveries_sweep", time_limit=120, soft_time_limit=100)
def webhook_deliveries_sweep_task() -> int:
    from integrations.services import deliveries_due

    due = deliveries_due()
    for pk in due:
        webhook_deliver_task.delay(pk)
    return len(due)
