"""Read-only for superusers: checks, hits, false-positive rulings and list versions are compliance evidence and
change only through the screening and review services, which write the audit trail."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyModelAdmin
from screening.models import Check, FalsePositive, ListVersion, ProviderEvent

RULE = "Screening results change only by screening again or by an officer's ruling on the case, both audited."


@admin.register(ListVersion)
class ListVersionAdmin(ReadOnlyModelAdmin):
    readonly_rule = "List versions are imported and activated by the list update job, which audits them."
    list_display = ("source", "number", "is_active", "created_at", "checksum")
    list_filter = ("source", "is_active")


@admin.register(Check)
class CheckAdmin(ReadOnlyModelAdmin):
    readonly_rule = RULE
    list_display = ("pk", "kind", "provider", "subject_ref", "status", "outcome", "created_at")
    list_filter = ("kind", "provider", "status", "outcome")
    search_fields = ("subject_ref", "external_id")


@admin.register(FalsePositive)
class FalsePositiveAdmin(ReadOnlyModelAdmin):
    readonly_rule = "False positives are ruled by an officer on the case page, with a reason, and audited."


@admin.register(ProviderEvent)
class ProviderEventAdmin(ReadOnlyModelAdmin):
    readonly_rule = "Provider events are the webhooks as received: evidence, never edited."
