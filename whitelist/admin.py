"""Read-only admin views: every write goes through the services (audited), never through the admin."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyModelAdmin
from whitelist.models import Batch, Change, Deployment, Reconciliation, Transaction


class ReadOnlyAdmin(ReadOnlyModelAdmin):
    readonly_rule = (
        "Whitelist changes, batches and transactions are written by the whitelist services and the sync, "
        "which audit them; deployments by manage.py whitelist_deploy."
    )


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
