"""The whitelist's records: deployments, the outbox of changes, batches and their transactions.

Nothing reaches the chain that these tables do not record first: a change row is written in the same
transaction as the decision that causes it; a batch is signed and its raw transaction stored before it is
broadcast, so a crash at any point leaves a row that the next sync picks up.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import BaseModel


class ListKey(models.TextChoices):
    # One contract per list (see ClayStackWhitelist.sol): a pool checks one contract, and the lists can be
    # governed and audited apart.
    STAKERS = "stakers", "Stakers"
    OPERATORS = "operators", "Node operators"


class Deployment(BaseModel):
    """A deployed whitelist contract. The newest row per (chain, list) is the one the portal uses."""

    list_key = models.CharField(max_length=20, choices=ListKey.choices)
    chain_id = models.PositiveBigIntegerField()
    address = models.CharField(max_length=42)
    tx_hash = models.CharField(max_length=66)
    block_number = models.PositiveBigIntegerField()
    deployer = models.CharField(max_length=42)
    admin = models.CharField(max_length=42)
    manager = models.CharField(max_length=42, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain_id", "address"], name="wl_deployment_unique_address")]
        indexes = [
            # deployment_current(): WHERE chain_id=? AND list_key=? ORDER BY id DESC LIMIT 1
            models.Index(fields=["chain_id", "list_key", "-id"], name="wl_deployment_current"),
        ]

    def __str__(self) -> str:
        return f"{self.list_key} whitelist {self.address} on chain {self.chain_id}"


class Batch(BaseModel):
    class Status(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting board approval"
        AWAITING_SAFE = "awaiting_safe", "Awaiting Safe execution"
        READY = "ready", "Ready to send"
        SIGNED = "signed", "Signed, not yet broadcast"
        BROADCAST = "broadcast", "Broadcast"
        MINED = "mined", "Mined, waiting for confirmations"
        CONFIRMED = "confirmed", "Confirmed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Action(models.TextChoices):
        ADD = "add", "Add"
        REMOVE = "remove", "Remove"

    # The on-chain batch id (bytes32) carried by every event of this batch.
    batch_id = models.CharField(max_length=66, unique=True)
    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT, related_name="batches")
    list_key = models.CharField(max_length=20, choices=ListKey.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    valid_until = models.PositiveBigIntegerField(default=0, help_text="Unix time; 0 for removals.")

    class Mode(models.TextChoices):
        KEY = "key", "Portal key"
        BOARD = "board", "Board approval, then portal key"
        SAFE = "safe", "Safe (owners sign)"

    status = models.CharField(max_length=20, choices=Status.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.KEY)
    size = models.PositiveIntegerField()
    # Safe mode: the block from which the contract's events are followed to find the execution.
    watch_from_block = models.PositiveBigIntegerField(default=0)
    calldata = models.TextField()
    gas_limit = models.PositiveBigIntegerField(default=0)
    gas_used = models.PositiveBigIntegerField(null=True, blank=True)
    block_number = models.PositiveBigIntegerField(null=True, blank=True)
    block_hash = models.CharField(max_length=66, blank=True)
    tx_hash = models.CharField(max_length=66, blank=True, help_text="The transaction that was mined.")
    failure_reason = models.TextField(blank=True)
    approvals_required = models.PositiveSmallIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The sync engine's work queue: WHERE status IN (...) ORDER BY id
            models.Index(fields=["status", "id"], name="wl_batch_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action="remove", valid_until=0) | Q(action="add", valid_until__gt=0),
                name="wl_batch_valid_until_matches_action",
            ),
        ]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.action} {self.size} on {self.list_key})"

    @staticmethod
    def new_batch_id() -> str:
        return "0x" + secrets.token_hex(32)

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_BATCH_STATES


FINAL_BATCH_STATES = frozenset({Batch.Status.CONFIRMED, Batch.Status.FAILED, Batch.Status.CANCELLED})

# The batch state machine: every transition goes through services.batch_transition, which checks this table.
BATCH_TRANSITIONS: dict[str, frozenset[str]] = {
    Batch.Status.AWAITING_APPROVAL: frozenset({Batch.Status.READY, Batch.Status.CANCELLED}),
    Batch.Status.AWAITING_SAFE: frozenset({Batch.Status.MINED, Batch.Status.CONFIRMED, Batch.Status.CANCELLED}),
    Batch.Status.READY: frozenset({Batch.Status.SIGNED, Batch.Status.CANCELLED, Batch.Status.FAILED}),
    # Back to READY when the nonce was taken by a transaction that is not ours: it is signed again.
    Batch.Status.SIGNED: frozenset(
        {Batch.Status.BROADCAST, Batch.Status.MINED, Batch.Status.FAILED, Batch.Status.READY}
    ),
    Batch.Status.BROADCAST: frozenset(
        {Batch.Status.MINED, Batch.Status.SIGNED, Batch.Status.FAILED, Batch.Status.READY}
    ),
    # A reorg can take a mined batch's block away: back to broadcast (the stored transaction is re-sent).
    Batch.Status.MINED: frozenset(
        {Batch.Status.CONFIRMED, Batch.Status.BROADCAST, Batch.Status.FAILED, Batch.Status.AWAITING_SAFE}
    ),
    Batch.Status.CONFIRMED: frozenset(),
    Batch.Status.FAILED: frozenset(),
    Batch.Status.CANCELLED: frozenset(),
}


class BatchEvent(models.Model):
    """The batch's history: one row per transition."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"batch {self.batch_id}: {self.from_status or 'new'} -> {self.to_status}"


class BatchApproval(models.Model):
    """A board member's approval of a batch (board mode: M of N before it is sent)."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="approvals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "user"], name="wl_approval_once_per_member")]

    def __str__(self) -> str:
        return f"approval of batch {self.batch_id} by user {self.user_id}"


class Change(BaseModel):
    """The outbox: one requested change of one address on one list."""

    class Action(models.TextChoices):
        ADD = "add", "Add"
        REMOVE = "remove", "Remove"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        BATCHED = "batched", "In a batch"
        CONFIRMED = "confirmed", "Confirmed on chain"
        SKIPPED = "skipped", "Already so on chain"
        SUPERSEDED = "superseded", "Superseded by a later change"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    address = models.CharField(max_length=42, help_text="EIP-55 checksummed.")
    list_key = models.CharField(max_length=20, choices=ListKey.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    valid_until = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=500)
    # An opaque reference to whatever decided this (a case, a reconciliation run): whitelist knows no case.
    reference = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="changes")
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            # Claiming the queue: WHERE status='pending' ORDER BY id
            models.Index(fields=["status", "id"], name="wl_change_status"),
            # An address's history and the public lookup: WHERE address=? [AND list_key=?] ORDER BY id DESC
            models.Index(fields=["address", "list_key", "-id"], name="wl_change_address"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(action="remove", valid_until__isnull=True) | Q(action="add", valid_until__isnull=False),
                name="wl_change_valid_until_matches_action",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["batched", "confirmed"]) | Q(batch__isnull=False),
                name="wl_change_batched_has_batch",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.address} on {self.list_key}"


class Transaction(BaseModel):
    """One signed transaction of a batch. A replacement (same nonce, higher fees) is a new row."""

    class Status(models.TextChoices):
        SIGNED = "signed", "Signed"
        BROADCAST = "broadcast", "Broadcast"
        REPLACED = "replaced", "Replaced"
        MINED = "mined", "Mined"

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="transactions")
    chain_id = models.PositiveBigIntegerField()
    sender = models.CharField(max_length=42)
    nonce = models.PositiveBigIntegerField()
    tx_hash = models.CharField(max_length=66, unique=True)
    raw = models.TextField(help_text="The signed transaction, so it can be re-sent byte for byte.")
    max_fee_per_gas = models.DecimalField(max_digits=40, decimal_places=0)
    max_priority_fee_per_gas = models.DecimalField(max_digits=40, decimal_places=0)
    gas_limit = models.PositiveBigIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SIGNED)
    broadcast_at = models.DateTimeField(null=True, blank=True)
    broadcast_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        indexes = [
            # Attempts of one nonce when checking for a replacement: WHERE chain_id=? AND sender=? AND nonce=?
            models.Index(fields=["chain_id", "sender", "nonce"], name="wl_tx_nonce"),
        ]


class NonceCursor(models.Model):
    """The next nonce per chain and signer, handed out under this row's lock (never web3's implicit nonce)."""

    chain_id = models.PositiveBigIntegerField()
    sender = models.CharField(max_length=42)
    next_nonce = models.PositiveBigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain_id", "sender"], name="wl_nonce_one_per_signer")]

    def __str__(self) -> str:
        return f"next nonce {self.next_nonce} of {self.sender} on chain {self.chain_id}"


class Reconciliation(BaseModel):
    """One comparison of the contract with what the database says should be true."""

    list_key = models.CharField(max_length=20, choices=ListKey.choices)
    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT, related_name="+")
    block_number = models.PositiveBigIntegerField()
    addresses_checked = models.PositiveIntegerField(default=0)
    events_read = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    # [{"address", "kind": on_chain_not_approved|approved_missing|expiry_differs, "expected", "actual"}]
    drift = models.JSONField(default=list)
    healed_at = models.DateTimeField(null=True, blank=True)
    healed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-id"]


class Target(models.Model):
    """What the chain must say about one address on one list: listed until `valid_until`, or not listed (None).

    Derived, never typed in: `whitelist.services.whitelist_targets_update` recomputes it from the sources the
    deciding apps register (`whitelist.targets`) in the decision's own transaction, and queues the difference in
    the outbox. Reconciliation compares the chain with this table, so a wrongful change shows up as drift.
    """

    list_key = models.CharField(max_length=20, choices=ListKey.choices)
    address = models.CharField(max_length=42, help_text="EIP-55 checksummed.")
    valid_until = models.DateTimeField(null=True, blank=True)
    # The source that proves the entry (a case reference) while listed; the reason of the last change.
    reference = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["list_key", "address"], name="wl_target_one_per_address")]
        indexes = [
            # Reconciliation and compliance_verify: WHERE list_key = ? AND valid_until IS NOT NULL.
            models.Index(fields=["list_key", "valid_until"], name="wl_target_listed"),
        ]

    def __str__(self) -> str:
        return f"{self.address} on {self.list_key}: {'until ' + str(self.valid_until) if self.valid_until else 'off'}"
