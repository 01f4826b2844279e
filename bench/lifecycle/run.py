"""The lifecycle model (assurance/tests/test_lifecycle_model.py) run longer than CI runs it: more examples, more
steps, random seeds. Prints one JSON object on its last line.

    .venv/bin/python bench/lifecycle/run.py --examples 40 --steps 30

Uses the test settings and the database `make test` uses (DATABASE_URL, else SQLite).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=40)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--derandomize", action="store_true", help="the CI seed instead of random ones")
    args = parser.parse_args()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "claystack_portal.settings.test",
        "LIFECYCLE_EXAMPLES": str(args.examples),
        "LIFECYCLE_STEPS": str(args.steps),
        "LIFECYCLE_RANDOM": "0" if args.derandomize else "1",
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "assurance/tests/test_lifecycle_model.py", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    sys.stdout.write(result.stdout[-20000:])  # the falsifying example, when there is one
    print(
        json.dumps(
            {
                "examples": args.examples,
                "steps": args.steps,
                "random": not args.derandomize,
                "passed": result.returncode == 0,
                "seconds": round(time.monotonic() - started, 1),
            }
        )
    )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
