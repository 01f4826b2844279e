"""Benchmark of the review queue: the page `/staff/cases/` and its API `/api/v1/review/queue/` against the
cases in this database (seed them with `seed_demo --cases N`), requested through Django's test client as a
signed-in reviewer with TOTP, across page sizes, filters and sorts. Prints a summary, then ONE JSON object on
its last line: {"cases", "p95_ms", "queries", ...}. Leaves the database as it found it (rolled back).
"""

from __future__ import annotations

import json
import math
import statistics
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from accounts.models import User
from accounts.permissions import user_has_capability
from accounts.roles import Capability
from kyc.models import Application

# (label, query parameters): what reviewers do all day.
SCENARIOS: list[tuple[str, dict[str, str]]] = [
    ("default (due date)", {}),
    ("oldest first", {"sort": "age"}),
    ("highest risk first", {"sort": "-risk"}),
    ("status ready for review", {"status": "ready_for_review"}),
    ("risk high, due date", {"risk_level": "high"}),
    ("type institution", {"type": "institution"}),
    ("unassigned", {"assignee": "none"}),
    ("overdue", {"overdue": "1"}),
    ("country DE", {"country": "DE"}),
    ("search by name", {"q": "smith"}),
    ("page 5, oldest first", {"sort": "age", "page": "5"}),
]


_SAVEPOINT_SQL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class _BenchRollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Benchmark the review queue page and API against this database's cases as a reviewer with MFA. "
        "Prints a summary and one JSON object (cases, p95_ms, queries) on its last line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", default="reviewer@claystack.local", help="A staff user with case.view and TOTP.")
        parser.add_argument("--page-sizes", default="25,50,100,200", help="Comma-separated page sizes.")
        parser.add_argument("--repeat", type=int, default=5, help="Timed requests per combination (after a warm-up).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            sizes = [int(s) for s in str(options["page_sizes"]).split(",") if s.strip()]
        except ValueError as exc:
            raise CommandError(f"--page-sizes must be comma-separated whole numbers: {exc}.") from exc
        if not sizes or any(not 1 <= s <= 200 for s in sizes):
            raise CommandError("--page-sizes must be between 1 and 200 (the API's largest page).")
        if options["repeat"] < 1:
            raise CommandError("--repeat must be at least 1.")
        user = User.objects.filter(email=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']}: run `manage.py seed_demo` first or pass --user.")
        if not user_has_capability(user, Capability.CASE_VIEW):
            raise CommandError(f"{user.email} cannot see the queue: it needs the case.view capability and TOTP.")
        result: dict[str, Any] = {}
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        # DEBUG off: measure what production serves (no debug query log, no debug templates).
        with override_settings(DEBUG=False, ALLOWED_HOSTS=hosts):
            try:
                with transaction.atomic():
                    result = self._run(user, sizes, options["repeat"])
                    raise _BenchRollback  # the sessions and last-seen writes of the run are not kept
            except _BenchRollback:
                pass
        self.stdout.write(json.dumps(result))

    def _run(self, user: User, sizes: list[int], repeat: int) -> dict[str, Any]:
        cases = Application.objects.exclude(status=Application.Status.DRAFT).count()
        client = Client()
        client.force_login(user)
        page_url, api_url = reverse("kyc:queue"), reverse("api:kyc-review-queue")
        timings: list[float] = []
        max_queries = 0
        rows: list[tuple[str, str, int, float, float, int]] = []
        for size in sizes:
            for label, params in SCENARIOS:
                api_params = {k: v for k, v in params.items() if k != "page"}
                api_params["limit"] = str(size)
                if "page" in params:
                    api_params["offset"] = str((int(params["page"]) - 1) * size)
                for kind, url, query in (("page", page_url, params), ("api", api_url, api_params)):
                    with override_settings(KYC_QUEUE_PAGE_SIZE=size):
                        ms, queries = self._measure(client, url, query, repeat)
                    timings += ms
                    max_queries = max(max_queries, queries)
                    rows.append((kind, label, size, statistics.median(ms), _p95(ms), queries))
        out = self.stdout
        out.write(f"Review queue benchmark: {cases} cases (drafts excluded), user {user.email}, {repeat} runs each")
        out.write(f"{'what':<5} {'scenario':<26} {'size':>4} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        for kind, label, size, median, p95, queries in rows:
            out.write(f"{kind:<5} {label:<26} {size:>4} {median:>10.1f} {p95:>8.1f} {queries:>8}")
        slowest = max(rows, key=lambda r: r[4])
        out.write(
            f"Overall p95 {_p95(timings):.1f} ms over {len(timings)} requests; at most {max_queries} queries per "
            f"request; slowest: {slowest[0]} {slowest[1]} (size {slowest[2]}) p95 {slowest[4]:.1f} ms."
        )
        return {
            "cases": cases,
            "p95_ms": round(_p95(timings), 1),
            "queries": max_queries,
            "median_ms": round(statistics.median(timings), 1),
            "requests": len(timings),
            "page_sizes": sizes,
            "database": connection.vendor,
        }

    def _measure(self, client: Client, url: str, params: dict[str, str], repeat: int) -> tuple[list[float], int]:
        response = client.get(url, params)  # warm-up (plans, template loading)
        if response.status_code != 200:
            raise CommandError(f"GET {url} {params} answered HTTP {response.status_code}; the benchmark stops.")
        timings: list[float] = []
        queries = 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, params)
                if hasattr(response, "content"):
                    response.content  # noqa: B018 - rendered in full, as a browser would receive it
                timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise CommandError(f"GET {url} {params} answered HTTP {response.status_code}; the benchmark stops.")
            # Savepoints exist only because the run is wrapped in a transaction to be rolled back; production
            # (autocommit) makes the same reads and writes without them.
            real = [q for q in captured.captured_queries if not q["sql"].startswith(_SAVEPOINT_SQL)]
            queries = max(queries, len(real))
        return timings, queries
