from __future__ import annotations

import importlib
import os
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured

from kyc.storage import document_storage


def test_documents_use_s3_compatible_storage_when_configured(settings: Any) -> None:
    settings.KYC_DOCUMENT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "kyc-docs", "access_key": "k", "secret_key": "s", "default_acl": "private"},
    }
    storage = document_storage()
    assert type(storage).__name__ == "S3Storage"
    assert storage.bucket_name == "kyc-docs"


def test_documents_default_to_local_private_files(settings: Any) -> None:
    settings.KYC_DOCUMENT_STORAGE = {}
    assert type(document_storage()).__name__ == "FileSystemStorage"


def test_a_half_configured_bucket_stops_start_up_naming_the_variable() -> None:
    import claystack_portal.settings.components.kyc as component

    with mock.patch.dict(os.environ, {"KYC_S3_BUCKET": "kyc-docs"}, clear=False):
        os.environ.pop("KYC_S3_ACCESS_KEY_ID", None)
        with pytest.raises(ImproperlyConfigured, match="KYC_S3_ACCESS_KEY_ID"):
            importlib.reload(component)
    importlib.reload(component)
