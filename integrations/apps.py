from __future__ import annotations

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Integrations (outbound webhooks)"

    def ready(self) -> None:
        from integrations import receivers  # noqa: F401 - connects the status-event receiver
