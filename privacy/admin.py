"""Read-only listing for superusers: holds are placed and lifted on the staff page, through the audited
services, never here."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyModelAdmin
from privacy.models import RetentionRecord


@admin.register(RetentionRecord)
class RetentionRecordAdmin(ReadOnlyModelAdmin):
    readonly_rule = "Legal holds are placed and lifted on the staff privacy page, audited."
    list_display = ["reference", "legal_hold", "outcome", "anonymised_at", "retention_due_at"]
    list_filter = ["legal_hold", "outcome"]
    search_fields = ["reference", "application_public_id"]
