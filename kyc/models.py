"""Applications (individual KYC, institution KYB, node operators), the people on them, documents and wallets.

The application's `status` is driven only through `kyc.states` (the one transition table) and the
`application_transition` service; nothing else writes it.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import BaseModel
from kyc.fields import EncryptedDateField, EncryptedTextField
from kyc.storage import document_storage

# Crockford's base32 without I, L, O, U: references are read out on the phone and typed by hand.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    body = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"CS-{body[:4]}-{body[4:]}"


class SubjectType(models.TextChoices):
    INDIVIDUAL = "individual", "Individual staker (KYC)"
    INSTITUTION = "institution", "Institution (KYB)"
    OPERATOR_INDIVIDUAL = "operator_individual", "Node operator, individual (KYC)"
    OPERATOR_COMPANY = "operator_company", "Node operator, company (KYB)"


COMPANY_SUBJECT_TYPES = frozenset({SubjectType.INSTITUTION, SubjectType.OPERATOR_COMPANY})
OPERATOR_SUBJECT_TYPES = frozenset({SubjectType.OPERATOR_INDIVIDUAL, SubjectType.OPERATOR_COMPANY})


class OperatorCategory(models.TextChoices):
    PROFESSIONAL = "professional", "Professional operator"
    SOLO_HOME = "solo_home", "Solo or home staker"
    SSV_OPERATOR = "ssv_operator", "SSV operator"
    OBOL_CLUSTER = "obol_cluster", "Obol cluster member"


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    PROHIBITED = "prohibited", "Prohibited"


RISK_ORDER = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2, RiskLevel.PROHIBITED: 3}


class Application(BaseModel):
    """One onboarding case. `public_id` is what URLs and the API expose; `reference` is for people."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        SCREENING = "screening", "Screening"
        READY_FOR_REVIEW = "ready_for_review", "Ready for review"
        IN_REVIEW = "in_review", "In review"
        INFORMATION_REQUESTED = "information_requested", "Information requested"
        RESUBMITTED = "resubmitted", "Resubmitted"
        PENDING_SECOND_APPROVAL = "pending_second_approval", "Pending second approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"
        # Replaced by its approved renewal: the renewal's approval carries the customer on, without a gap.
        SUPERSEDED = "superseded", "Superseded by renewal"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=16, unique=True, default=new_reference, editable=False)
    subject_type = models.CharField(max_length=32, choices=SubjectType.choices)
    operator_category = models.CharField(max_length=32, choices=OperatorCategory.choices, blank=True)
    # Company applications belong to an organisation (all its members work on them); an individual's
    # application has no organisation and belongs to `applicant` alone.
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.DRAFT)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Hook for the review issue: the section keys / document kinds a reviewer asked the applicant to change
    # while INFORMATION_REQUESTED. `kyc.editing.editable_sections` reads it.
    requested_items = models.JSONField(default=list, blank=True)
    # Review: who works the case, the risk level it is judged at, and until when an approval holds.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_cases"
    )
    # The governing level: never below `risk_level_computed` except through a recorded override (CaseApproval
    # with `override_from`), which always takes a second approver (`kyc.review.case_approve`).
    risk_level = models.CharField(max_length=16, choices=RiskLevel.choices, blank=True)
    # What the risk rules gave at the last assessment; an officer may raise the level above it, not lower it.
    risk_level_computed = models.CharField(max_length=16, choices=RiskLevel.choices, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    # A renewal points at the approved case it re-verifies; approving it supersedes that case.
    renews = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewals", editable=False
    )
    # Start of the service-level clock: the submission, moved later by every period spent waiting for the
    # applicant (information requested), so the due date pauses while the ball is in their court.
    sla_started_at = models.DateTimeField(null=True, blank=True)
    # The service-level due date: the clock's start plus the days `KYC_SLA_DAYS` gives the risk level (medium
    # if unscored). Derived, stored so the queue can sort and filter on an index; `save` keeps it in step with
    # the fields it is computed from and `manage.py recompute_due_dates` follows a change of the settings.
    due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the applicant was told the approval runs out soon and invited to re-verify (sent once).
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    # The last risk assessment: score, the rule-set version it was computed under and each factor's share.
    risk_score = models.IntegerField(null=True, blank=True)
    risk_rules_version = models.PositiveIntegerField(null=True, blank=True)
    risk_factors = models.JSONField(default=list, blank=True)
    # Wizard steps the applicant has completed at least once (progress bar, resume point).
    completed_steps = models.JSONField(default=list, blank=True)
    expected_volume_eth = models.DecimalField(
        max_digits=20, decimal_places=2, null=True, blank=True, help_text="Expected staking volume in ETH."
    )
    source_of_funds = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(subject_type__in=[SubjectType.INSTITUTION, SubjectType.OPERATOR_COMPANY])
                | Q(organisation__isnull=False),
                name="kyc_application_company_has_organisation",
            ),
            models.CheckConstraint(
                condition=Q(subject_type__in=[SubjectType.OPERATOR_INDIVIDUAL, SubjectType.OPERATOR_COMPANY])
                | Q(operator_category=""),
                name="kyc_application_category_only_for_operators",
            ),
        ]
        indexes = [
            # "My applications": WHERE organisation_id IN (...) OR applicant_id = ? ORDER BY created_at DESC
            models.Index(fields=["organisation", "-created_at"], name="kyc_app_org_created_idx"),
            # The review queue's counts and filters per status (issue 5).
            models.Index(fields=["status", "status_changed_at"], name="kyc_app_status_idx"),
            # The queue's sorts, each read in index order and stopped after one page (100,000 cases):
            # ORDER BY due_at, id / submitted_at, id  LIMIT n. (risk_score DESC NULLS LAST, id: migration 0010,
            # PostgreSQL only, as SQLite cannot index NULLS LAST.)
            # The due-date index also carries the columns the queue filters on most, so a filter that keeps few
            # of the first rows in due order (open cases come late: decided ones fell due long ago) is checked
            # in the index (index-only scan) rather than by reading every skipped row (PostgreSQL; SQLite
            # ignores INCLUDE).
            models.Index(
                fields=["due_at", "id"],
                include=["status", "assignee", "risk_level", "subject_type"],
                name="kyc_app_due_idx",
            ),
            models.Index(fields=["submitted_at", "id"], name="kyc_app_submitted_idx"),
            # Counting the cases a risk or type filter matches (the queue's total) without reading every row.
            models.Index(fields=["risk_level", "status"], name="kyc_app_risk_level_idx"),
            models.Index(fields=["subject_type", "status"], name="kyc_app_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_subject_type_display()})"

    def compute_due_at(self) -> dt.datetime | None:
        """When the case is due under the service levels in force: the clock's start (the submission, moved
        later by time spent waiting for the applicant) plus the days of its risk level."""
        start = self.sla_started_at or self.submitted_at
        if start is None:
            return None
        days = settings.KYC_SLA_DAYS.get(self.risk_level or "medium", settings.KYC_SLA_DAYS["medium"])
        return start + dt.timedelta(days=int(days))

    def save(self, *args: Any, update_fields: Iterable[str] | None = None, **kwargs: Any) -> None:
        # Every writer of the clock or the risk level (transitions, the RFI pause, risk assessment, approval at
        # a chosen level) saves through here, so the stored due date cannot drift from what it derives from.
        self.due_at = self.compute_due_at()
        if update_fields is not None:
            update_fields = list(update_fields)
            if _DUE_SOURCES.intersection(update_fields) and "due_at" not in update_fields:
                update_fields.append("due_at")
        super().save(*args, update_fields=update_fields, **kwargs)

    @property
    def is_company(self) -> bool:
        return self.subject_type in COMPANY_SUBJECT_TYPES

    @property
    def is_operator(self) -> bool:
        return self.subject_type in OPERATOR_SUBJECT_TYPES


_DUE_SOURCES = frozenset({"sla_started_at", "submitted_at", "risk_level"})


class StatusTransition(models.Model):
    """History of every status change (the timeline and the review issue's SLA clock read it)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=32, choices=Application.Status.choices)
    to_status = models.CharField(max_length=32, choices=Application.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            # Reporting: WHERE at >= <weeks ago> [AND to_status IN (...)] GROUP BY week, to_status.
            models.Index(fields=["at", "to_status"], name="kyc_transition_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} -> {self.to_status}"


class CompanyProfile(BaseModel):
    """KYB facts of an institution or operator company (one per company application)."""

    class EntityType(models.TextChoices):
        LIMITED_COMPANY = "limited_company", "Private limited company"
        PUBLIC_COMPANY = "public_company", "Public company"
        PARTNERSHIP = "partnership", "Partnership"
        FUND = "fund", "Fund or investment vehicle"
        TRUST = "trust", "Trust or foundation"
        BANK = "bank", "Bank or credit institution"
        OTHER = "other", "Other"

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="company")
    legal_name = models.CharField(max_length=300, blank=True)
    trading_names = models.JSONField(default=list, blank=True)
    former_names = models.JSONField(default=list, blank=True, help_text="Names the company was registered under.")
    registration_number = models.CharField(max_length=64, blank=True)
    lei = models.CharField(max_length=20, blank=True, help_text="ISO 17442 Legal Entity Identifier.")
    jurisdiction = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code.")
    incorporation_date = models.DateField(null=True, blank=True)
    registered_address = EncryptedTextField(blank=True)
    operating_address = EncryptedTextField(blank=True)
    entity_type = models.CharField(max_length=32, choices=EntityType.choices, blank=True)
    is_regulated = models.BooleanField(default=False)
    regulator = models.CharField(max_length=200, blank=True)
    licence_number = models.CharField(max_length=100, blank=True)
    website = models.URLField(blank=True)
    business_description = models.TextField(blank=True)
    # The explicit declaration that no natural person owns or controls 25 % or more (instead of listing UBOs);
    # the application then needs its senior managing official.
    no_ubo_declared = models.BooleanField(default=False)

    class Meta:
        indexes = [
            # Review queue search by LEI (issue 5): WHERE lei = ?
            models.Index(fields=["lei"], name="kyc_company_lei_idx"),
            # Review queue country filter: application_id IN (SELECT ... WHERE jurisdiction = ?).
            models.Index(fields=["jurisdiction", "application"], name="kyc_company_country_idx"),
        ]

    def __str__(self) -> str:
        return self.legal_name or f"company of {self.application_id}"


class Person(BaseModel):
    """A natural person on an application with the KYC fields: the individual applicant, a director, a
    beneficial owner or an authorised signatory. The same human in two roles is two rows (roles differ in
    what must be filled in and what is screened)."""

    class Role(models.TextChoices):
        SUBJECT = "subject", "Applicant"
        DIRECTOR = "director", "Director"
        UBO = "ubo", "Ultimate beneficial owner"
        SIGNATORY = "signatory", "Authorised signatory"
        # Recorded (and screened like every person) when the company declares that no natural person owns or
        # controls 25 % or more: the senior managing official then stands in for the beneficial owner.
        SENIOR_MANAGER = "senior_manager", "Senior managing official"

    class PepStatus(models.TextChoices):
        NOT_PEP = "not_pep", "Not a politically exposed person"
        PEP = "pep", "Politically exposed person"
        RELATIVE = "relative", "Family member or close associate of a PEP"

    class IdDocumentType(models.TextChoices):
        PASSPORT = "passport", "Passport"
        NATIONAL_ID = "national_id", "National identity card"
        DRIVING_LICENCE = "driving_licence", "Driving licence"
        RESIDENCE_PERMIT = "residence_permit", "Residence permit"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="people")
    role = models.CharField(max_length=16, choices=Role.choices)
    legal_name = models.CharField(max_length=300)
    other_names = models.JSONField(default=list, blank=True)
    former_names = models.JSONField(default=list, blank=True, help_text="Names the person was known by before.")
    date_of_birth = EncryptedDateField(blank=True, default="")
    nationalities = models.JSONField(default=list, blank=True, help_text="ISO 3166-1 alpha-2 codes.")
    country_of_residence = models.CharField(max_length=2, blank=True)
    residential_address = EncryptedTextField(blank=True)
    tax_residence = models.CharField(max_length=2, blank=True)
    occupation = models.CharField(max_length=200, blank=True)
    source_of_funds = models.TextField(blank=True)
    source_of_wealth = models.TextField(blank=True)
    pep_status = models.CharField(max_length=16, choices=PepStatus.choices, blank=True)
    pep_details = models.TextField(blank=True)
    id_document_type = models.CharField(max_length=32, choices=IdDocumentType.choices, blank=True)
    id_document_number = EncryptedTextField(blank=True)
    id_document_country = models.CharField(max_length=2, blank=True)
    id_document_expiry = models.DateField(null=True, blank=True)
    # UBOs only: share of ownership or control, and whether it is held through other entities.
    ownership_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    ownership_indirect = models.BooleanField(default=False)
    ownership_chain = models.TextField(blank=True, help_text="For indirect ownership: through which entities.")
    # Directors and signatories: position held.
    position = models.CharField(max_length=200, blank=True)
    # On a renewal: the person of the renewed case this row was copied from (false-positive rulings carry over
    # while the screened facts stay the same).
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["role", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=Q(role="subject"), name="kyc_person_one_subject_per_application"
            ),
            models.CheckConstraint(
                condition=Q(ownership_percent__isnull=True)
                | (Q(ownership_percent__gte=0) & Q(ownership_percent__lte=100)),
                name="kyc_person_ownership_0_100",
            ),
        ]
        indexes = [
            # Review queue country filter: application_id IN (SELECT ... WHERE country_of_residence = ?).
            # Nationalities (a JSON list) and name search get PostgreSQL-only GIN indexes (migration 0010).
            models.Index(fields=["country_of_residence", "application"], name="kyc_person_country_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.get_role_display()})"


class Document(BaseModel):
    """An uploaded file, stored through the default storage under a random name; served only by a view
    that checks who is asking."""

    class Kind(models.TextChoices):
        ID_FRONT = "id_front", "Identity document (front or photo page)"
        ID_BACK = "id_back", "Identity document (back)"
        PROOF_OF_ADDRESS = "proof_of_address", "Proof of address"
        CERTIFICATE_OF_INCORPORATION = "certificate_of_incorporation", "Certificate of incorporation"
        REGISTER_OF_DIRECTORS = "register_of_directors", "Register of directors"
        SHAREHOLDER_REGISTER = "shareholder_register", "Shareholder register or ownership chart"
        ARTICLES = "articles", "Articles of association"
        OTHER = "other", "Other supporting document"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    file = models.FileField(max_length=200, storage=document_storage)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"


class WalletAddress(BaseModel):
    """A wallet the applicant will stake from or be paid to, with its proof of ownership."""

    class Purpose(models.TextChoices):
        STAKING_DEPOSITS = "staking_deposits", "Staking deposits"
        WITHDRAWALS = "withdrawals", "Withdrawals"
        FEE_RECIPIENT = "fee_recipient", "Fee recipient (node operators)"

    class ProofMethod(models.TextChoices):
        BROWSER_WALLET = "browser_wallet", "Signed in a browser wallet (EIP-4361)"
        PASTED_SIGNATURE = "pasted_signature", "Signature pasted from an offline or custody wallet"
        CONTRACT_WALLET = "contract_wallet", "Contract wallet signature (EIP-1271)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="wallets")
    address = models.CharField(max_length=42, help_text="EIP-55 checksummed.")
    label = models.CharField(max_length=100)
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    verified_at = models.DateTimeField(null=True, blank=True)
    proof_method = models.CharField(max_length=32, choices=ProofMethod.choices, blank=True)
    proof_message = models.TextField(blank=True)
    proof_signature = models.TextField(blank=True)
    proof_chain_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "address"], name="kyc_wallet_unique_per_application"),
        ]
        indexes = [
            # "Is this address proven by another customer?" (review_selectors) and the review queue's wallet search:
            # WHERE address = ?
            models.Index(fields=["address"], name="kyc_wallet_address_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.address}"


class WalletChallenge(BaseModel):
    """A server-issued EIP-4361 message for one wallet. Single use: `used_at` is set by the verification
    that consumes it, under a row lock, so a replayed signature finds it used."""

    wallet = models.ForeignKey(WalletAddress, on_delete=models.CASCADE, related_name="challenges")
    nonce = models.CharField(max_length=32, unique=True)
    message = models.TextField()
    chain_id = models.PositiveBigIntegerField()
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    issued_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"challenge {self.nonce} for {self.wallet_id}"


class IdempotencyRecord(models.Model):
    """An unsafe API call made with an `Idempotency-Key`: its status and what its answer showed (`resource`,
    "<kind>:<public id>"), so a retry is answered without acting twice. No response body: see kyc.idempotency."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    resource = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="kyc_idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class CaseApproval(models.Model):
    """One officer's approval of a case. Four-eyes needs several, each by a different officer: the unique
    constraint makes "the same person twice" impossible even if two requests race."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="approvals")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    # The governing level this officer approved at.
    risk_level = models.CharField(max_length=16, choices=RiskLevel.choices)
    # An override: the computed level this approval went below, and why. Always needs a second approver.
    override_from = models.CharField(max_length=16, choices=RiskLevel.choices, blank=True)
    override_reason = models.TextField(blank=True)
    # Approvals count only within one review round: a rejection or a request for information starts a new one.
    round = models.PositiveIntegerField(default=1)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(fields=["application", "round", "by"], name="kyc_approval_one_per_officer_round")
        ]

    def __str__(self) -> str:
        return f"approval of {self.application_id} by {self.by_id}"


class Decision(models.Model):
    """The outcome of a case: approved (with its validity), rejected (reason code, internal note, message to
    the applicant), revoked or expired. Kept forever; the application's status says which one is current."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"
        SUPERSEDED = "superseded", "Superseded by renewal"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    risk_level = models.CharField(max_length=16, choices=RiskLevel.choices, blank=True)
    # What the risk rules gave when the decision was taken: `risk_level` is below it only through an override.
    risk_level_computed = models.CharField(max_length=16, choices=RiskLevel.choices, blank=True)
    reason_code = models.CharField(max_length=64, blank=True)
    internal_note = models.TextField(blank=True)
    applicant_message = models.TextField(blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    # The risk rule-set version the decision was made under (a later rule change does not rewrite it).
    risk_rules_version = models.PositiveIntegerField(null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at"]
        indexes = [
            # Reporting and the decisions export: WHERE at >= ? [AND outcome = ?] ORDER BY at.
            models.Index(fields=["at", "outcome"], name="kyc_decision_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} {self.application_id}"


class CountryRisk(models.Model):
    """A jurisdiction's FATF listing over a period. Staff add a row when a plenary changes the lists (with
    the date it takes effect) and close the previous one; the scorer reads the row in force today."""

    class FatfStatus(models.TextChoices):
        COUNTERMEASURES = "call_for_action_countermeasures", "Call for action: countermeasures"
        ENHANCED_DUE_DILIGENCE = "call_for_action_enhanced_due_diligence", "Call for action: enhanced due diligence"
        INCREASED_MONITORING = "increased_monitoring", "Increased monitoring (grey list)"

    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code.")
    fatf_status = models.CharField(max_length=64, choices=FatfStatus.choices)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Empty: still in force.")
    source = models.CharField(max_length=200)

    class Meta:
        ordering = ["country", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["country", "effective_from"], name="kyc_country_risk_one_per_date"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=models.F("effective_from")),
                name="kyc_country_risk_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country} {self.fatf_status} from {self.effective_from}"


class RiskRuleSet(models.Model):
    """A versioned, immutable set of scoring weights and level thresholds. A change is a new version; the
    newest active one scores new assessments, and each assessment and decision keeps its version."""

    version = models.PositiveIntegerField(unique=True)
    rules = models.JSONField()
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"risk rules v{self.version}"


class HitAdjudication(models.Model):
    """A reviewer's ruling on one screening hit of a case, with the rationale the audit needs."""

    class Ruling(models.TextChoices):
        TRUE_MATCH = "true_match", "True match"
        FALSE_POSITIVE = "false_positive", "False positive"
        ESCALATE = "escalate", "Escalate"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="adjudications")
    hit = models.ForeignKey("screening.Hit", on_delete=models.PROTECT, related_name="+")
    ruling = models.CharField(max_length=16, choices=Ruling.choices)
    rationale = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.ruling} on hit {self.hit_id}"


class Notification(models.Model):
    """An in-portal message for one officer (a case assigned to them, a case waiting for their second
    approval, a resubmission, a monitoring alert). Officers only: applicants are told by e-mail and on their
    status page."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # Where the notification leads (the case page); kept as a path so a renamed host does not break it.
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The bell in the staff header on every page: COUNT(*) WHERE recipient_id = ? AND read_at IS NULL.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="kyc_notif_unread_idx"),
            # The list page: WHERE recipient_id = ? ORDER BY created_at DESC.
            models.Index(fields=["recipient", "-created_at"], name="kyc_notif_recipient_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} for {self.recipient_id}"


class CaseNote(models.Model):
    """An officer's internal note on a case. Never shown to the applicant; adding one is audited."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note on {self.application_id} by {self.author_id}"


class ReviewRotation(models.Model):
    """The round robin's position for automatic assignment: the reviewer who got the last case. One row,
    locked while a case is assigned, so two cases becoming ready at once go to two different reviewers."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"review rotation (last: {self.last_assignee_id})"
