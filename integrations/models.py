"""Outbound webhooks: an organisation's endpoints, the events queued for them and every delivery attempt.

A `Delivery` row is the outbox: it is written in the same transaction as the status change it reports, and
the Celery task only sends what the database already holds.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from core.models import BaseModel
from kyc.fields import EncryptedTextField


class EventType(models.TextChoices):
    SUBMITTED = "application.submitted", "Application submitted"
    INFORMATION_REQUESTED = "application.information_requested", "Information requested"
    APPROVED = "application.approved", "Application approved"
    REJECTED = "application.rejected", "Application rejected"
    EXPIRED = "application.expired", "Approval expired"
    REVOKED = "application.revoked", "Approval revoked"


# The synthetic event an owner sends from the endpoint page to check their receiver.
TEST_EVENT = "webhook.test"


class Endpoint(BaseModel):
    """An HTTPS URL an organisation's owner registered, the events it wants and its signing secrets.

    The secrets are encrypted at rest (they must be readable to sign). During a rotation the previous one
    keeps signing alongside the new one until `previous_secret_until`, so a receiver can switch over
    without dropping an event.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISABLED = "disabled", "Disabled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    secret = EncryptedTextField()
    previous_secret = EncryptedTextField(blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    disabled_reason = models.TextField(blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Failed attempts in a row across deliveries; a success resets it. Reaching the limit disables.
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One event for one endpoint: the exact body that is signed and sent, and where its delivery stands."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=64)
    body = models.TextField(help_text="The JSON body exactly as signed and sent.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep: WHERE status = 'pending' AND next_attempt_at <= now
            models.Index(fields=["status", "next_attempt_at"], name="integ_delivery_due_idx"),
            # The endpoint page: WHERE endpoint_id = ? ORDER BY created_at DESC
            models.Index(fields=["endpoint", "-created_at"], name="integ_delivery_endpoint_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One HTTP POST of a delivery: what came back (or the error) and how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.TextField(blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="integ_attempt_unique_number"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
