from __future__ import annotations

from django.contrib import admin

from core.admin import ReadOnlyModelAdmin
from integrations.models import Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(ReadOnlyModelAdmin):
    readonly_rule = "Webhook endpoints are managed by their organisation's owners on the integrations page, audited."
    list_display = ("url", "organisation", "status", "consecutive_failures", "created_at")
    list_filter = ("status",)
    # Secrets never appear in the admin.
    exclude = ("secret", "previous_secret")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyModelAdmin):
    readonly_rule = "Deliveries are the delivery job's record of what was sent."
    list_display = ("public_id", "endpoint", "event_type", "status", "attempts", "created_at")
    list_filter = ("status", "event_type")
