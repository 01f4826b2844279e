"""Read-only listing for superusers: holds are placed and lifted on the staff page, through the audited
services, never here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from privacy.models import RetentionRecord


@admin.register(RetentionRecord)
class RetentionRecordAdmin(admin.ModelAdmin[RetentionRecord]):
    list_display = ["reference", "legal_hold", "outcome", "anonymised_at", "retention_due_at"]
    list_filter = ["legal_hold", "outcome"]
    search_fields = ["reference", "application_public_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
