"""Read-only admin views: every write goes through the services (audited), never through the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from whitelist.models import Batch, Change, Deployment, Reconciliation, Transaction


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = ("list_key", "chain_id", "address", "block_number", "created_at")


@admin.register(Change)
class ChangeAdmin(ReadOnlyAdmin):
    list_display = ("address", "list_key", "action", "status", "valid_until", "reference", "created_at")
    list_filter = ("status", "list_key", "action")
    search_fields = ("address", "reference")


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ("id", "list_key", "action", "size", "status", "mode", "block_number", "tx_hash")
    list_filter = ("status", "list_key", "mode")


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ("tx_hash", "batch", "nonce", "status", "max_fee_per_gas", "max_priority_fee_per_gas")
    exclude = ("raw",)


@admin.register(Reconciliation)
class ReconciliationAdmin(ReadOnlyAdmin):
    list_display = ("id", "list_key", "block_number", "addresses_checked", "seconds", "healed_at")
