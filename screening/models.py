"""Screening records: imported list versions and their entities and addresses, checks with their hits, the
false-positive memory and the provider-event log used to dedupe webhooks.

Screening knows no application: a subject is an opaque `subject_ref` string chosen by the caller (kyc).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models import BaseModel


class ListSource(models.TextChoices):
    OFAC = "ofac", "OFAC SDN"
    OFAC_CONS = "ofac-cons", "OFAC consolidated (non-SDN)"
    UN = "un", "UN Security Council consolidated"
    UK = "uk", "UK sanctions list"
    CSV = "csv", "Generic CSV"
    ADDRESS_LIST = "address-list", "Sanctioned wallet addresses"
    OPENSANCTIONS_PEP = "os-pep", "OpenSanctions PEPs"


class ListVersion(BaseModel):
    """One imported snapshot of a list. Exactly one version per source is active (the latest good import)."""

    source = models.CharField(max_length=20, choices=ListSource.choices)
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=200, blank=True)
    checksum = models.CharField(max_length=64, help_text="SHA-256 over the imported files, in option order.")
    files = models.JSONField(default=list, help_text="File names and their own SHA-256.")
    counts = models.JSONField(default=dict)
    diff = models.JSONField(default=dict, help_text="Entity ids added, removed and changed against the previous.")
    is_active = models.BooleanField(default=False)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "number"], name="screening_listversion_unique_number"),
            models.UniqueConstraint(
                fields=["source"], condition=models.Q(is_active=True), name="screening_listversion_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} v{self.number}"


class ListEntity(models.Model):
    """A listed person, organisation, vessel... as of one version. `fingerprint` hashes the record so a later
    version can tell whether the entity changed (diffs, and the false-positive memory)."""

    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="entities")
    entity_id = models.CharField(max_length=100, help_text="Source-prefixed id: OFAC:<ent_num>, UN:<ref>, UK:<id>.")
    schema = models.CharField(max_length=30)
    name = models.CharField(max_length=500)
    aliases = models.JSONField(default=list)
    birth_dates = models.JSONField(default=list)
    nationalities = models.JSONField(default=list)
    programs = models.JSONField(default=list)
    data = models.JSONField(default=dict)
    fingerprint = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "entity_id"], name="screening_listentity_unique_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.entity_id} {self.name}"

    @property
    def all_names(self) -> list[str]:
        return [self.name, *[a for a in self.aliases if a != self.name]]


class ListAddress(models.Model):
    """A digital-currency address on one list version, stored normalised (lower case for EVM chains)."""

    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="addresses")
    address = models.CharField(max_length=128)
    as_published = models.CharField(max_length=128, blank=True)
    ticker = models.CharField(max_length=12, blank=True)
    entity_id = models.CharField(max_length=100, blank=True)
    entity_name = models.CharField(max_length=500, blank=True)
    delisted = models.BooleanField(default=False, help_text="Published as delisted by the source (history only).")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["version", "address", "entity_id"], name="screening_listaddress_unique_per_version"
            )
        ]
        indexes = [
            # Serves the wallet lookup: WHERE address = %s AND version_id IN (active versions).
            models.Index(fields=["address", "version"], name="screening_address_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.entity_id})"


class CheckKind(models.TextChoices):
    IDENTITY = "identity", "Identity verification"
    NAME = "name", "Name screening"
    WALLET = "wallet", "Wallet screening"
    COMPANY = "company", "Company registry lookup"


class Outcome(models.TextChoices):
    PENDING = "pending", "Pending"
    CLEAR = "clear", "Clear"
    POSSIBLE_MATCH = "possible_match", "Possible match"
    MATCH = "match", "Match"
    NEEDS_REVIEW = "needs_review", "Needs review"
    ERROR = "error", "Error"


class CheckStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# The check lifecycle: a failed run may be retried (back to running); done is final.
CHECK_TRANSITIONS: dict[str, frozenset[str]] = {
    CheckStatus.PENDING: frozenset({CheckStatus.RUNNING, CheckStatus.FAILED}),
    CheckStatus.RUNNING: frozenset({CheckStatus.DONE, CheckStatus.FAILED, CheckStatus.RUNNING}),
    CheckStatus.FAILED: frozenset({CheckStatus.RUNNING}),
    CheckStatus.DONE: frozenset(),
}


class Check(BaseModel):
    """One screening of one subject by one provider, with the provider's raw payload kept for the audit."""

    class Trigger(models.TextChoices):
        ONBOARDING = "onboarding", "Onboarding"
        MONITORING = "monitoring", "Monitoring (list update or schedule)"
        MANUAL = "manual", "Manual"

    kind = models.CharField(max_length=10, choices=CheckKind.choices)
    provider = models.CharField(max_length=30)
    subject_ref = models.CharField(max_length=200, help_text="Opaque reference chosen by the caller.")
    subject = models.JSONField(default=dict, help_text="The plain data screened (names, dates, countries...).")
    trigger = models.CharField(max_length=12, choices=Trigger.choices, default=Trigger.ONBOARDING)
    list_version = models.ForeignKey(ListVersion, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=10, choices=CheckStatus.choices, default=CheckStatus.PENDING)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    raw_payload = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(max_length=200, blank=True, help_text="The provider's id (e.g. applicant id).")
    completed_at = models.DateTimeField(null=True, blank=True)
    provider_updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Serves check_list_for_subject: WHERE subject_ref = %s ORDER BY created_at DESC.
            models.Index(fields=["subject_ref", "-created_at"], name="screening_check_subject"),
            # Serves webhook application: WHERE provider = %s AND external_id = %s.
            models.Index(fields=["provider", "external_id"], name="screening_check_external"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} check {self.pk} ({self.outcome})"


class HitCategory(models.TextChoices):
    SANCTION = "sanction", "Sanctions"
    PEP = "pep", "Politically exposed person"
    RCA = "rca", "Relative or close associate of a PEP"


class Hit(models.Model):
    """A normalised hit: which list and entity, the name (or address) matched, the score and why."""

    check_run = models.ForeignKey(Check, on_delete=models.CASCADE, related_name="hits")
    list_name = models.CharField(max_length=60)
    entity_id = models.CharField(max_length=200)
    matched_name = models.CharField(max_length=500)
    score = models.FloatField()
    explanation = models.TextField()
    entity_fingerprint = models.CharField(max_length=64, blank=True)
    suppressed = models.BooleanField(default=False, help_text="Remembered false positive; kept for the record.")
    is_history = models.BooleanField(default=False, help_text="A delisted address: history, not a hit.")
    category = models.CharField(
        max_length=10,
        choices=HitCategory.choices,
        default=HitCategory.SANCTION,
        help_text="A PEP hit is a risk factor (enhanced due diligence), not a sanctions match.",
    )
    query_name = models.CharField(max_length=500, blank=True, help_text="Which of the subject's names matched.")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=0) & models.Q(score__lte=1), name="screening_hit_score_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity_id} {self.matched_name} {self.score:.2f}"


class FalsePositive(BaseModel):
    """A reviewer's decision that a list entity is not this subject, valid while the entity's record is
    unchanged (same fingerprint)."""

    subject_ref = models.CharField(max_length=200)
    entity_id = models.CharField(max_length=200)
    entity_fingerprint = models.CharField(max_length=64)
    reason = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject_ref", "entity_id"], name="screening_fp_unique_pair")]


class ProviderEvent(BaseModel):
    """Every verified webhook event, once: the unique constraint makes replays and duplicates no-ops."""

    provider = models.CharField(max_length=30)
    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=100)
    external_id = models.CharField(max_length=200, blank=True)
    provider_timestamp = models.DateTimeField()
    payload = models.JSONField()
    applied = models.BooleanField(default=False, help_text="False when a newer event had already been applied.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="screening_providerevent_unique")]
        indexes = [
            # Serves the ordering check: latest event per (provider, external_id) by provider timestamp.
            models.Index(fields=["provider", "external_id", "-provider_timestamp"], name="screening_event_order"),
        ]
