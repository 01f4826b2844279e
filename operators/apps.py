from __future__ import annotations

from django.apps import AppConfig


class OperatorsConfig(AppConfig):
    name = "operators"
    verbose_name = "Node operators"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from operators import receivers  # noqa: F401  (operators follow their KYC case)
        from operators.whitelisting import register_sources

        register_sources()
