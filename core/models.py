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

    Written only by `core.audit.audit_record`. `hash` is HMAC-SHA-256, under the key named by `key_id` (one
    of AUDIT_HMAC_KEYS, held outside the database), over the previous row's hash and this row's canonical
    content, so editing, deleting or reordering rows breaks the chain, and whoever can write to the database
    but does not hold the key cannot forge it again. Rows written before keyed hashing have an empty
    `key_id` and a plain SHA-256 hash; an `AuditSeal` under a configured key vouches for them. On PostgreSQL
    and SQLite a trigger rejects UPDATE and DELETE; `manage.py audit_verify` detects whatever gets past it.
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
    # Which AUDIT_HMAC_KEYS entry keyed `hash` (core.audit.key_id); empty for the unkeyed rows of before.
    key_id = models.CharField(max_length=16, blank=True, default="", editable=False)

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


class AuditSeal(models.Model):
    """A keyed MAC that vouches for one audit row whose own hash a configured key cannot check.

    Audit rows are immutable, so rotating AUDIT_HMAC_KEYS cannot rehash them: `manage.py audit_rekey`
    verifies each row hashed under an older key (or under no key, from before keyed hashing) and seals it
    with the newest key, after which the older key can be dropped. A seal is rewritten by the next rotation;
    forging or moving one needs the key, and a deleted seal leaves its row unverifiable, which
    `audit_verify` reports.
    """

    event = models.OneToOneField(AuditEvent, primary_key=True, on_delete=models.PROTECT, related_name="seal")
    key_id = models.CharField(max_length=16)
    mac = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"seal of audit row {self.event_id} under key {self.key_id}"


class AuditAnchor(BaseModel):
    """The chain's signed head sent on chain as the input of a transaction to AUDIT_ANCHOR_ADDRESS.

    Stored, signed, before it is broadcast (nothing reaches the chain that the database does not record
    first), so a crash between the two re-sends the same bytes. `audit_verify --check-anchors` reads each
    transaction back from the chain and checks the trail against the head it carries.
    """

    class Status(models.TextChoices):
        SIGNED = "signed", "Signed"
        BROADCAST = "broadcast", "Broadcast"
        MINED = "mined", "Mined"
        FAILED = "failed", "Failed"

    head_seq = models.PositiveBigIntegerField()
    head_hash = models.CharField(max_length=64)
    payload = models.TextField(help_text="The signed head, as sent in the transaction's input.")
    chain_id = models.PositiveBigIntegerField()
    sender = models.CharField(max_length=42)
    to_address = models.CharField(max_length=42)
    nonce = models.PositiveBigIntegerField()
    tx_hash = models.CharField(max_length=66, unique=True)
    raw = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SIGNED)
    block_number = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"audit head #{self.head_seq} anchored in {self.tx_hash}"
