from __future__ import annotations

from django.apps import AppConfig


class KycConfig(AppConfig):
    name = "kyc"
    verbose_name = "Applications (KYC, KYB, operators)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from kyc import screening_flow  # noqa: F401  (connects the screening receivers and registers its task)
        from kyc.whitelisting import register_sources

        register_sources()
