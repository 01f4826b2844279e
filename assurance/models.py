"""The record of each integrity check: what `compliance_verify` found, kept for auditors and the board."""

from __future__ import annotations

from django.db import models

from core.models import BaseModel


class VerificationRun(BaseModel):
    """One run of `assurance.verify.compliance_verify`: where the whitelist was read from, the summary, and every
    violation found ([{"list", "address", "kind", "detail", "reference"}])."""

    source = models.CharField(
        max_length=200, help_text="Where the whitelist was read: the chain at a block, or the target."
    )
    block_number = models.PositiveBigIntegerField(null=True, blank=True)
    summary = models.JSONField(default=dict)
    violations = models.JSONField(default=list)
    violation_count = models.PositiveIntegerField(default=0)
    trigger = models.CharField(max_length=20, default="command", help_text="command, beat or staff")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"verification {self.pk}: {self.violation_count} violations"
