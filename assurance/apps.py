from __future__ import annotations

from django.apps import AppConfig


class AssuranceConfig(AppConfig):
    name = "assurance"
    verbose_name = "Compliance assurance"
    default_auto_field = "django.db.models.BigAutoField"
