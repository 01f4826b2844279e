from __future__ import annotations

import subprocess
import sys
from typing import Any

from rest_framework.test import APIClient

DEEP = "[" * 200_000 + "]" * 200_000


def test_a_deeply_nested_json_body_is_a_400_naming_the_problem(alice: Any) -> None:
    client = APIClient()
    client.force_authenticate(alice)
    response = client.post("/api/v1/applications/", DEEP, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_loading_the_project_keeps_the_default_recursion_limit() -> None:
    # py_ecc raises it to 100,000 at import, at which depth the C stack overflows before Python notices: the
    # process dies instead of answering 400. Checked in a fresh interpreter, the way a worker starts.
    code = (
        "import os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'claystack_portal.settings.test';"
        "import django; django.setup(); import operators.deposit_data, json;"
        "print(sys.getrecursionlimit());"
        "\ntry:\n json.loads('[' * 200000 + ']' * 200000)\nexcept RecursionError:\n print('refused')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["1000", "refused"]
