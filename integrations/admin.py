from __future__ import annotations

from django.contrib import admin

from integrations.models import Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin[Endpoint]):
    list_display = ("url", "organisation", "status", "consecutive_failures", "created_at")
    list_filter = ("status",)
    # Secrets never appear in the admin.
    exclude = ("secret", "previous_secret")
    readonly_fields = ("organisation", "url", "events", "status", "disabled_reason", "created_by")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = ("public_id", "endpoint", "event_type", "status", "attempts", "created_at")
    list_filter = ("status", "event_type")
    readonly_fields = [f.name for f in Delivery._meta.fields]
