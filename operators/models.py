"""Node operators, their addresses, validators and DVT clusters, onboarding, performance history and exits."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import BaseModel

PUBKEY_RE = r"^0x[0-9a-f]{96}$"
ADDRESS_RE = r"^0x[0-9a-fA-F]{40}$"


class Category(models.TextChoices):
    PROFESSIONAL = "professional", "Professional operator"
    SOLO_HOME = "solo_home", "Solo or home staker"
    SSV_OPERATOR = "ssv_operator", "SSV operator"
    OBOL_CLUSTER = "obol_cluster", "Obol cluster"


class Pool(models.TextChoices):
    PERMISSIONED = "permissioned", "Permissioned (KYC) pool"
    PUBLIC = "public", "Public pool"


class HostingType(models.TextChoices):
    CLOUD = "cloud", "Cloud provider"
    DATA_CENTRE = "data_centre", "Data centre (own or colocated)"
    HOME = "home", "Home"


class ExecutionClient(models.TextChoices):
    GETH = "geth", "Geth"
    NETHERMIND = "nethermind", "Nethermind"
    BESU = "besu", "Besu"
    ERIGON = "erigon", "Erigon"
    RETH = "reth", "Reth"


class ConsensusClient(models.TextChoices):
    LIGHTHOUSE = "lighthouse", "Lighthouse"
    PRYSM = "prysm", "Prysm"
    TEKU = "teku", "Teku"
    NIMBUS = "nimbus", "Nimbus"
    LODESTAR = "lodestar", "Lodestar"
    GRANDINE = "grandine", "Grandine"


class OperatorProfile(BaseModel):
    """A node operator: who they are (an organisation or a person), what they run and where.

    `kyc_application` is the KYC (person) or KYB (company) case the operator was vetted under; approval needs it
    approved, and the operator's addresses must be wallets proven on it (so they went through screening).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        IN_REVIEW = "in_review", "In technical review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SUSPENDED = "suspended", "Suspended"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="operator_profiles"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="operator_profiles"
    )
    kyc_application = models.ForeignKey(
        "kyc.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="operator_profiles"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    pool = models.CharField(max_length=20, choices=Pool.choices, default=Pool.PUBLIC)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)

    execution_client = models.CharField(max_length=20, choices=ExecutionClient.choices)
    execution_client_version = models.CharField(max_length=40, blank=True)
    consensus_client = models.CharField(max_length=20, choices=ConsensusClient.choices)
    consensus_client_version = models.CharField(max_length=40, blank=True)
    hosting_type = models.CharField(max_length=20, choices=HostingType.choices)
    hosting_provider = models.CharField(
        max_length=100, help_text="Cloud provider or data centre (e.g. AWS, Hetzner, Equinix FR5); 'home' at home."
    )
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code.")
    region = models.CharField(max_length=100, blank=True)
    mev_relays = models.JSONField(default=list, blank=True)
    years_experience = models.PositiveSmallIntegerField(default=0)
    other_networks = models.JSONField(default=list, blank=True)
    ssv_operator_ids = models.JSONField(default=list, blank=True)
    validator_cap = models.PositiveIntegerField(default=500)

    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(organisation__isnull=False, user__isnull=True) | Q(organisation__isnull=True, user__isnull=False)
                ),
                name="operator_owned_by_org_xor_user",
            ),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="operator_country_iso2"),
        ]
        indexes = [
            # The staff queue and the diversity/allocation selectors: WHERE status = ? ORDER BY name.
            models.Index(fields=["status", "name"], name="operator_status_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class OperatorStatusChange(BaseModel):
    """History of the onboarding state machine; the audit trail holds the same with request context."""

    operator = models.ForeignKey(OperatorProfile, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.operator}: {self.from_status} -> {self.to_status}"


class OperatorAddress(BaseModel):
    """An execution address the operator uses: withdrawals or fee recipient. Goes to the operators' whitelist."""

    class Purpose(models.TextChoices):
        WITHDRAWAL = "withdrawal", "Withdrawal address"
        FEE_RECIPIENT = "fee_recipient", "Fee recipient"

    class WhitelistState(models.TextChoices):
        NOT_REQUESTED = "not_requested", "Not requested"
        REQUESTED = "requested", "Addition requested"
        REMOVAL_REQUESTED = "removal_requested", "Removal requested"
        HELD = "held", "Held for compliance review"

    class Screening(models.TextChoices):
        NOT_SCREENED = "not_screened", "Not screened"
        CLEAR = "clear", "Clear"
        SANCTIONED = "sanctioned", "On a sanctions list"

    operator = models.ForeignKey(OperatorProfile, on_delete=models.CASCADE, related_name="addresses")
    address = models.CharField(max_length=42)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    label = models.CharField(max_length=100, blank=True)
    whitelist_state = models.CharField(
        max_length=20, choices=WhitelistState.choices, default=WhitelistState.NOT_REQUESTED
    )
    whitelist_reference = models.CharField(max_length=100, blank=True)
    # The last wallet screening (screening.selectors.wallet_lookup): its verdict, when, and the list entries found
    # (current listings and delisted history alike, so staff see what was considered).
    screening_status = models.CharField(max_length=20, choices=Screening.choices, default=Screening.NOT_SCREENED)
    screened_at = models.DateTimeField(null=True, blank=True)
    screening_findings = models.JSONField(default=list, blank=True)
    # Proof of control made in the operator flow: an EIP-4361 message signed by the address. For an address that is
    # not (yet) a proven wallet of the linked application, which is read-only while it is reviewed. The nonce is
    # single-use: cleared when a signature over it is accepted.
    proven_at = models.DateTimeField(null=True, blank=True)
    proof_message = models.TextField(blank=True)
    proof_signature = models.TextField(blank=True)
    proof_nonce = models.CharField(max_length=32, blank=True)
    proof_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["purpose", "address"]
        constraints = [
            models.UniqueConstraint(fields=["operator", "address", "purpose"], name="operator_address_unique"),
            models.CheckConstraint(condition=Q(address__regex=ADDRESS_RE), name="operator_address_format"),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.purpose})"


class DueDiligenceItem(BaseModel):
    """One line of the technical due-diligence checklist, as staff assessed it."""

    class Result(models.TextChoices):
        PENDING = "pending", "Not assessed"
        PASS = "pass", "Pass"
        FAIL = "fail", "Fail"
        NOT_APPLICABLE = "n_a", "Not applicable"

    operator = models.ForeignKey(OperatorProfile, on_delete=models.CASCADE, related_name="checklist")
    key = models.CharField(max_length=40)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.PENDING)
    note = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["operator", "key"], name="dd_item_unique")]

    def __str__(self) -> str:
        return f"{self.operator}: {self.key}={self.result}"


class ObolCluster(BaseModel):
    """A distributed-validator cluster: its members and the signing threshold."""

    operator = models.ForeignKey(OperatorProfile, on_delete=models.CASCADE, related_name="clusters")
    name = models.CharField(max_length=100)
    lock_hash = models.CharField(max_length=66, blank=True, help_text="cluster-lock hash, 0x + 64 hex")
    threshold = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["operator", "name"], name="obol_cluster_name_unique"),
            models.CheckConstraint(condition=Q(threshold__gte=1), name="obol_cluster_threshold_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class ObolClusterMember(BaseModel):
    cluster = models.ForeignKey(ObolCluster, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(max_length=100)
    address = models.CharField(max_length=42)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "address"], name="obol_member_unique"),
            models.CheckConstraint(condition=Q(address__regex=ADDRESS_RE), name="obol_member_address_format"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.address}"


class DepositImport(BaseModel):
    """One accepted deposit-data file (refused files leave nothing behind)."""

    operator = models.ForeignKey(OperatorProfile, on_delete=models.CASCADE, related_name="deposit_imports")
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    network = models.CharField(max_length=20)
    keys = models.PositiveIntegerField()
    signatures_checked = models.PositiveIntegerField(default=0, help_text="How many BLS signatures were verified.")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.keys} keys)"


# What an operator declares about itself: the profile form and the profile service use the same list.
PROFILE_FIELDS = (
    "name",
    "category",
    "pool",
    "execution_client",
    "execution_client_version",
    "consensus_client",
    "consensus_client_version",
    "hosting_type",
    "hosting_provider",
    "country",
    "region",
    "mev_relays",
    "years_experience",
    "other_networks",
    "ssv_operator_ids",
)


# What an operator declares about a node: the form, the API and the audit trail use the same list.
NODE_FIELDS = (
    "name",
    "execution_client",
    "execution_client_version",
    "consensus_client",
    "consensus_client_version",
    "hosting_type",
    "hosting_provider",
    "country",
    "region",
    "mev_relays",
)


class Node(BaseModel):
    """A machine (or machine pair) the operator runs validators on. A professional operator spreads its validators
    over several nodes with different clients, hosts and countries; diversity counts each validator by its node,
    falling back to the operator profile for validators not attached to one."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    operator = models.ForeignKey(OperatorProfile, on_delete=models.CASCADE, related_name="nodes")
    name = models.CharField(max_length=100)
    execution_client = models.CharField(max_length=20, choices=ExecutionClient.choices)
    execution_client_version = models.CharField(max_length=40, blank=True)
    consensus_client = models.CharField(max_length=20, choices=ConsensusClient.choices)
    consensus_client_version = models.CharField(max_length=40, blank=True)
    hosting_type = models.CharField(max_length=20, choices=HostingType.choices)
    hosting_provider = models.CharField(max_length=100)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code.")
    region = models.CharField(max_length=100, blank=True)
    mev_relays = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["operator", "name"], name="node_name_unique_per_operator"),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="node_country_iso2"),
        ]

    def __str__(self) -> str:
        return self.name


class Validator(BaseModel):
    """A validator key run by an operator. Beacon fields are filled by the performance import."""

    class BeaconStatus(models.TextChoices):
        UNKNOWN = "unknown", "Not yet seen on the beacon chain"
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        EXITING = "exiting", "Exiting"
        EXITED = "exited", "Exited"
        SLASHED = "slashed", "Slashed"

    operator = models.ForeignKey(OperatorProfile, on_delete=models.PROTECT, related_name="validators")
    pubkey = models.CharField(max_length=98, unique=True)
    withdrawal_credentials = models.CharField(max_length=66)
    fee_recipient = models.CharField(max_length=42, blank=True)
    amount_gwei = models.PositiveBigIntegerField(default=32_000_000_000)
    deposit_data_root = models.CharField(max_length=66, blank=True)
    deposit_import = models.ForeignKey(DepositImport, null=True, blank=True, on_delete=models.PROTECT)
    cluster = models.ForeignKey(ObolCluster, null=True, blank=True, on_delete=models.PROTECT, related_name="validators")
    # PROTECT: a node is removed only once its validators moved elsewhere, so no validator silently changes the
    # client or country it is counted under.
    node = models.ForeignKey(Node, null=True, blank=True, on_delete=models.PROTECT, related_name="validators")
    ssv_operator_ids = models.JSONField(default=list, blank=True)
    index = models.PositiveBigIntegerField(null=True, blank=True, unique=True)
    beacon_status = models.CharField(max_length=10, choices=BeaconStatus.choices, default=BeaconStatus.UNKNOWN)
    exit_epoch = models.PositiveBigIntegerField(null=True, blank=True)
    exit_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(pubkey__regex=PUBKEY_RE), name="validator_pubkey_format"),
            models.CheckConstraint(
                condition=Q(withdrawal_credentials__regex=r"^0x[0-9a-f]{64}$"), name="validator_wc_format"
            ),
        ]
        indexes = [
            # Diversity and allocation count an operator's live validators: WHERE operator_id=? AND beacon_status IN.
            models.Index(fields=["operator", "beacon_status"], name="validator_operator_status_idx"),
        ]

    def __str__(self) -> str:
        return self.pubkey[:12] + "…"


class BeaconImportRun(BaseModel):
    """One attempt to import an epoch from the beacon node; a failed run keeps its reason and no data."""

    class Result(models.TextChoices):
        OK = "ok", "Imported"
        FAILED = "failed", "Failed"

    epoch = models.PositiveBigIntegerField(null=True, blank=True)
    result = models.CharField(max_length=10, choices=Result.choices)
    reason = models.TextField(blank=True)
    validators = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["epoch"], condition=Q(result="ok"), name="beacon_run_epoch_once"),
        ]

    def __str__(self) -> str:
        return f"epoch {self.epoch}: {self.result}"


class ValidatorEpoch(models.Model):
    """What the beacon node said about one validator in one epoch. Rewards in gwei, signed."""

    validator = models.ForeignKey(Validator, on_delete=models.CASCADE, related_name="epochs")
    epoch = models.PositiveBigIntegerField()
    status = models.CharField(max_length=30)
    balance_gwei = models.BigIntegerField()
    effective_balance_gwei = models.BigIntegerField()
    head_reward = models.BigIntegerField(default=0)
    target_reward = models.BigIntegerField(default=0)
    source_reward = models.BigIntegerField(default=0)
    inactivity_penalty = models.BigIntegerField(default=0)
    ideal_reward = models.BigIntegerField(default=0)
    proposer_duties = models.PositiveSmallIntegerField(default=0)
    blocks_proposed = models.PositiveSmallIntegerField(default=0)
    slashed = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["validator", "epoch"], name="validator_epoch_unique")]
        indexes = [
            # Per-operator aggregates over an epoch range: WHERE epoch BETWEEN ? AND ? joined on validator.
            models.Index(fields=["epoch"], name="validator_epoch_epoch_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.validator_id}@{self.epoch}"


class SlashingEvent(BaseModel):
    validator = models.OneToOneField(Validator, on_delete=models.CASCADE, related_name="slashing")
    epoch = models.PositiveBigIntegerField()

    def __str__(self) -> str:
        return f"slashing of {self.validator} at {self.epoch}"


class OperatorScore(BaseModel):
    """A performance score as computed at one time, with its inputs, so the history can be charted and explained."""

    operator = models.ForeignKey(OperatorProfile, on_delete=models.CASCADE, related_name="scores")
    formula_version = models.CharField(max_length=10)
    epoch_from = models.PositiveBigIntegerField()
    epoch_to = models.PositiveBigIntegerField()
    score = models.DecimalField(max_digits=6, decimal_places=2)
    components = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The latest score per operator and its history chart: WHERE operator_id=? ORDER BY created_at DESC.
            models.Index(fields=["operator", "-created_at"], name="operator_score_latest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.operator}: {self.score} ({self.formula_version})"


class RewardAdjustment(BaseModel):
    """O in the rewards formula: a signed, reasoned adjustment staff record for an operator and epoch range."""

    operator = models.ForeignKey(OperatorProfile, on_delete=models.CASCADE, related_name="reward_adjustments")
    epoch = models.PositiveBigIntegerField()
    amount_eth = models.DecimalField(max_digits=20, decimal_places=9)
    reason = models.CharField(max_length=300)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.operator}: {self.amount_eth} at {self.epoch}"


class ExitRequest(BaseModel):
    """A validator exit with its deadline. Requested and forced exits that are honoured late lower the score."""

    class Kind(models.TextChoices):
        VOLUNTARY = "voluntary", "Voluntary (by the operator)"
        REQUESTED = "requested", "Requested by the pool"
        FORCED = "forced", "Forced by the pool"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Exited"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    operator = models.ForeignKey(OperatorProfile, on_delete=models.CASCADE, related_name="exits")
    validator = models.ForeignKey(Validator, on_delete=models.PROTECT, related_name="exit_requests")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    reason = models.CharField(max_length=300)
    deadline = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    on_time = models.BooleanField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["deadline"]
        constraints = [
            # One open exit per validator: a second request would carry a second, conflicting deadline.
            models.UniqueConstraint(fields=["validator"], condition=Q(status="open"), name="exit_one_open"),
        ]
        indexes = [
            # The overdue sweep: WHERE status='open' AND deadline < now.
            models.Index(fields=["status", "deadline"], name="exit_status_deadline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} exit of {self.validator}"
