"""Read-only for superusers: operator profiles, validators and beacon imports change through the operators'
services (state machine, profile edits, imports), which write the audit trail."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyModelAdmin
from operators.models import BeaconImportRun, OperatorProfile, Validator


@admin.register(OperatorProfile)
class OperatorProfileAdmin(ReadOnlyModelAdmin):
    readonly_rule = (
        "Operators change on the operator pages: status through the audited state machine, profile by its owner."
    )
    list_display = ["name", "category", "pool", "status", "country"]
    list_filter = ["status", "category", "pool"]
    search_fields = ["name"]


@admin.register(Validator)
class ValidatorAdmin(ReadOnlyModelAdmin):
    readonly_rule = "Validators come from the operator's node registration and the beacon chain import."
    list_display = ["pubkey", "operator", "index", "beacon_status"]
    search_fields = ["pubkey"]
    list_select_related = ["operator"]


@admin.register(BeaconImportRun)
class BeaconImportRunAdmin(ReadOnlyModelAdmin):
    readonly_rule = "Beacon imports are records of the import job's runs."
    list_display = ["created_at", "epoch", "result", "validators", "reason"]
    list_filter = ["result"]
