from __future__ import annotations

from django.contrib import admin

from screening.models import Check, FalsePositive, ListVersion, ProviderEvent


@admin.register(ListVersion)
class ListVersionAdmin(admin.ModelAdmin[ListVersion]):
    list_display = ("source", "number", "is_active", "created_at", "checksum")
    list_filter = ("source", "is_active")
    readonly_fields = ("checksum", "files", "counts", "diff")


@admin.register(Check)
class CheckAdmin(admin.ModelAdmin[Check]):
    list_display = ("pk", "kind", "provider", "subject_ref", "status", "outcome", "created_at")
    list_filter = ("kind", "provider", "status", "outcome")
    search_fields = ("subject_ref", "external_id")


admin.site.register(FalsePositive)
admin.site.register(ProviderEvent)
