"""Retention state of applications and accounts. Kept here, not on the kyc models, so the retention rules can
change without touching the onboarding tables; the kyc rows themselves are only ever overwritten with the
anonymisation marker, never deleted (except drafts that never became AML records)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import BaseModel
from kyc.storage import document_storage


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


class DataExport(BaseModel):
    """One personal-data archive (privacy.export), built by a Celery task rather than in the request: an
    archive holds every document of every application of its subject and can take long to build.

    Requested by the subject (self-service, without screening results) or by an approver answering a subject
    access request (with them); only the requester may download it, until `expires_at`, after which the beat
    job deletes the file. The archive is personal data: it lives in the documents' private storage.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be prepared"
        BUILDING = "building", "Being prepared"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Could not be prepared"
        EXPIRED = "expired", "Expired"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    include_screening = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(max_length=200, storage=document_storage, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # The exception's class name only: messages can carry paths or values.
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The rate limit and the requester's list: WHERE requested_by = ? AND created_at >= ?.
            models.Index(fields=["requested_by", "created_at"], name="privacy_export_requester_idx"),
            # The beat job: WHERE status IN ('pending', 'building', 'ready').
            models.Index(fields=["status"], name="privacy_export_status_idx"),
        ]

    def __str__(self) -> str:
        return f"data export {self.public_id} ({self.status})"

    @property
    def filename(self) -> str:
        stamp = (self.ready_at or self.created_at).strftime("%Y%m%dT%H%M%SZ")
        return f"personal-data-{self.subject.public_id}-{stamp}.zip"
