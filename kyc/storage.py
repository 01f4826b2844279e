"""Where documents are stored: S3-compatible storage when KYC_S3_BUCKET is set, otherwise the default storage
(local files under MEDIA_ROOT, which is never routed)."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, default_storage, storages
from django.utils.module_loading import import_string


def document_storage() -> Storage:
    config = getattr(settings, "KYC_DOCUMENT_STORAGE", {})
    if not config:
        return storages["default"] if "default" in settings.STORAGES else default_storage
    backend = import_string(str(config["BACKEND"]))
    options = config.get("OPTIONS", {})
    return backend(**options)
