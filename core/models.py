from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models

from core.exceptions import AuditImmutableError


class BaseModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("Audit events are append-only: they cannot be updated.")

    def delete(self) -> NoReturn:
        raise AuditImmutableError("Audit events are append-only: they cannot be deleted.")


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit trail.

    Written only by `core.audit.audit_record`. `hash` is SHA-256 over the previous row's hash and this
    row's canonical content, so editing, deleting or reordering rows breaks the chain, which
    `manage.py audit_verify` detects. On PostgreSQL and SQLite a trigger rejects UPDATE and DELETE.
    """

    seq = models.PositiveBigIntegerField(unique=True, editable=False)
    occurred_at = models.DateTimeField(editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    # The actor's e-mail at the time: the trail stays readable even if the account is later anonymised.
    actor_label = models.CharField(max_length=254, blank=True, editable=False)
    action = models.CharField(max_length=100, editable=False)
    target_type = models.CharField(max_length=100, blank=True, editable=False)
    target_id = models.CharField(max_length=64, blank=True, editable=False)
    target_repr = models.CharField(max_length=200, blank=True, editable=False)
    before = models.JSONField(null=True, blank=True, editable=False)
    after = models.JSONField(null=True, blank=True, editable=False)
    data = models.JSONField(default=dict, blank=True, editable=False)
    request_id = models.CharField(max_length=64, blank=True, editable=False)
    ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    user_agent = models.CharField(max_length=400, blank=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [
            # The timeline of one object (case page, address history): WHERE target_type=? AND target_id=?
            models.Index(fields=["target_type", "target_id", "seq"], name="audit_target_idx"),
            # "What did this person do": the audit log filtered by actor.
            models.Index(fields=["actor", "seq"], name="audit_actor_idx"),
            # The audit log filtered by action prefix, newest first.
            models.Index(fields=["action", "seq"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutableError("Audit events are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError("Audit events are append-only: they cannot be deleted.")


class AuditChainHead(models.Model):
    """The single row holding the chain's tip.

    Appending locks it, which serialises writers so each row links to exactly one predecessor; it also lets
    `audit_verify` notice rows removed from the end of the chain.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_chain_head_singleton")]

    def __str__(self) -> str:
        return f"audit head #{self.seq}"
