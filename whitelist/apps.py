from __future__ import annotations

from django.apps import AppConfig


class WhitelistConfig(AppConfig):
    name = "whitelist"
    verbose_name = "On-chain whitelist"
    default_auto_field = "django.db.models.BigAutoField"
