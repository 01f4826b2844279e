"""Read-only admin listing for superusers. Cases are worked in the staff area (review issue), never here:
every change must go through the audited services."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyModelAdmin
from kyc.models import Application


@admin.register(Application)
class ApplicationAdmin(ReadOnlyModelAdmin):
    readonly_rule = "Cases are worked in the staff area, where every decision goes through the audited review services."
    list_display = ["reference", "subject_type", "operator_category", "organisation", "status", "created_at"]
    list_filter = ["status", "subject_type"]
    search_fields = ["reference", "public_id", "organisation__name"]
    readonly_fields = [
        "reference",
        "public_id",
        "subject_type",
        "operator_category",
        "organisation",
        "applicant",
        "status",
    ]
