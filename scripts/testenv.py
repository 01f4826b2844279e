"""The test command: picks the database and broker, then runs ruff, mypy and pytest (which
includes the `makemigrations --check` test).

PostgreSQL and Redis are used when DATABASE_URL / REDIS_URL are set or their standard local ports answer;
otherwise SQLite and in-memory stand-ins, and it says so. With REQUIRE_SERVICES=1 (CI) a missing service is
an error, so CI always exercises PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from claystack_portal.env import tcp_reachable  # noqa: E402

BIN = Path(sys.executable).parent


def choose_backends() -> None:
    require = os.environ.get("REQUIRE_SERVICES") == "1"
    if not os.environ.get("DATABASE_URL"):
        if tcp_reachable("127.0.0.1", 5432):
            os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/claystack_portal"
        elif require:
            sys.exit("REQUIRE_SERVICES=1 but PostgreSQL is not reachable on 127.0.0.1:5432 and DATABASE_URL is unset.")
    if not os.environ.get("REDIS_URL"):
        if tcp_reachable("127.0.0.1", 6379):
            os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/15"
        elif require:
            sys.exit("REQUIRE_SERVICES=1 but Redis is not reachable on 127.0.0.1:6379 and REDIS_URL is unset.")
    db = os.environ.get("DATABASE_URL", "")
    print(
        "Database: "
        + (
            f"PostgreSQL ({db.split('@')[-1]})"
            if db.startswith("postgres")
            else "SQLite (fallback: PostgreSQL not reachable)"
        )
    )
    redis = os.environ.get("REDIS_URL", "")
    print("Redis:    " + (redis.split("@")[-1] if redis else "not used (fallback: in-memory cache, no broker tests)"))


def step(name: str, cmd: list[str]) -> bool:
    print(f"\n=== {name}: {' '.join(cmd)}", flush=True)
    started = time.monotonic()
    ok = subprocess.run(cmd, cwd=ROOT).returncode == 0
    print(f"=== {name}: {'ok' if ok else 'FAILED'} in {time.monotonic() - started:.1f}s", flush=True)
    return ok


def main(argv: list[str]) -> int:
    os.environ["DJANGO_SETTINGS_MODULE"] = "claystack_portal.settings.test"
    choose_backends()
    results: dict[str, bool] = {}
    if "--only-pytest" not in argv:
        results["ruff check"] = step("ruff check", [str(BIN / "ruff"), "check", "."])
        results["ruff format"] = step("ruff format", [str(BIN / "ruff"), "format", "--check", "."])
        results["mypy"] = step("mypy", [str(BIN / "mypy"), "."])
    pytest_args = [a for a in argv if a != "--only-pytest"]
    results["pytest"] = step("pytest", [sys.executable, "-m", "pytest", *pytest_args])
    failed = [name for name, ok in results.items() if not ok]
    print("\nSummary: " + ", ".join(f"{n} {'ok' if ok else 'FAILED'}" for n, ok in results.items()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
