"""Retention state of applications and accounts. Kept here, not on the kyc models, so the retention rules can
change without touching the onboarding tables; the kyc rows themselves are only ever overwritten with the
anonymisation marker, never deleted (except drafts that never became AML records)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import BaseModel


class RetentionRecord(BaseModel):
    """One application's retention state: a legal hold, and what the retention job did to it.

    Created when a hold is first set or when the job acts. `reference` and `application_public_id` are copies,
    so the record still names a deleted draft.
    """

    class Outcome(models.TextChoices):
        ANONYMISED = "anonymised", "Personal data anonymised"
        DRAFT_DELETED = "draft_deleted", "Draft never submitted, deleted"

    application = models.OneToOneField(
        "kyc.Application", null=True, blank=True, on_delete=models.SET_NULL, related_name="retention"
    )
    reference = models.CharField(max_length=16)
    application_public_id = models.UUIDField()
    # "organisation:<uuid>" for company applications, "user:<uuid>" for an individual's: the unit the job
    # anonymises atomically and a hold covers.
    subject_key = models.CharField(max_length=80)
    relationship_ended_at = models.DateTimeField(null=True, blank=True)
    retention_due_at = models.DateTimeField(null=True, blank=True)
    legal_hold = models.BooleanField(default=False)
    legal_hold_reason = models.TextField(blank=True)
    legal_hold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    legal_hold_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    # What was done, as numbers only (people, documents, files, screening checks, accounts).
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(legal_hold=False) | ~Q(legal_hold_reason=""), name="privacy_hold_has_reason"
            ),
        ]
        indexes = [
            # The staff page's "held" list and the job's hold check: WHERE legal_hold = true.
            models.Index(fields=["legal_hold"], condition=Q(legal_hold=True), name="privacy_held_idx"),
            # Subjects held as a whole: WHERE subject_key IN (...) AND legal_hold.
            models.Index(fields=["subject_key"], name="privacy_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"retention of {self.reference}"


class AnonymisedAccount(models.Model):
    """An applicant account whose e-mail and name were replaced, once none of its applications held personal
    data any more. The row keeps no personal data either: only when."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    anonymised_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"account {self.user_id} anonymised"
