"""`bench_queue` smoke test: it measures the page and the API and ends with one JSON line."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kyc.demo import seed_demo_cases
from kyc.models import Application


def test_bench_queue_prints_cases_p95_and_queries_on_its_last_line(reviewer: Any, approver: Any) -> None:
    seed_demo_cases(60, seed=3)
    out = io.StringIO()
    # Sizes small enough that the benchmark's "page 5" exists among the ~57 seeded open and decided cases (a page
    # past the end costs the queue one more query, which is not what the benchmark measures).
    call_command("bench_queue", user=reviewer.email, page_sizes="5,10", repeat=1, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("Review queue benchmark: ")
    result = json.loads(lines[-1])
    assert {"cases", "p95_ms", "queries"} <= result.keys()
    assert result["cases"] == Application.objects.exclude(status="draft").count()
    assert result["p95_ms"] > 0
    # The queue's promise: a bounded number of queries whatever the page size.
    assert 0 < result["queries"] <= 10
    # The run leaves nothing behind (its sessions are rolled back).
    from django.contrib.sessions.models import Session

    assert not Session.objects.exists()


def test_bench_queue_refuses_a_user_who_cannot_see_the_queue(alice: Any) -> None:
    with pytest.raises(CommandError, match="cannot see the queue"):
        call_command("bench_queue", user=alice.email, stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"No user nobody@example\.com"):
        call_command("bench_queue", user="nobody@example.com", stdout=io.StringIO())
