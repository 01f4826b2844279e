"""Read-only admin listing for superusers. Cases are worked in the staff area (review issue), never here:
every change must go through the audited services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kyc.models import Application


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin[Application]):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
