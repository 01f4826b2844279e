from __future__ import annotations

from django.contrib import admin

from operators.models import BeaconImportRun, OperatorProfile, Validator


@admin.register(OperatorProfile)
class OperatorProfileAdmin(admin.ModelAdmin[OperatorProfile]):
    list_display = ["name", "category", "pool", "status", "country"]
    list_filter = ["status", "category", "pool"]
    search_fields = ["name"]
    # Status changes go through the state machine (operators.services.operator_transition), never the admin.
    readonly_fields = ["status", "public_id"]


@admin.register(Validator)
class ValidatorAdmin(admin.ModelAdmin[Validator]):
    list_display = ["pubkey", "operator", "index", "beacon_status"]
    search_fields = ["pubkey"]
    list_select_related = ["operator"]


@admin.register(BeaconImportRun)
class BeaconImportRunAdmin(admin.ModelAdmin[BeaconImportRun]):
    list_display = ["created_at", "epoch", "result", "validators", "reason"]
    list_filter = ["result"]
