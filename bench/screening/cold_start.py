"""A worker's cold start: the time from a fresh process to the answer of its first `screen_name`, and its resident
memory after it, with the lists of the configured database. Prints one JSON object last.

    DATABASE_URL=postgres://... .venv/bin/python bench/screening/cold_start.py [--import]

`--import` first imports OFAC SDN, UN, UK and the OpenSanctions PEP sample from ../shared/data (a no-op when
already imported). The measurement itself runs in a child process, so nothing is warm.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claystack_portal.settings.local")


def _import(data: Path) -> None:
    import django

    django.setup()
    from screening.services import list_import

    lists = data / "sanctions_lists"
    jobs = {
        "ofac": {
            "sdn": lists / "ofac_sdn_2024-05-03.csv",
            "alt": lists / "ofac_alt_2025-12.csv",
            "add": lists / "ofac_add_2025-12.csv",
            "comments": lists / "ofac_sdn_comments_2025-12.csv",
        },
        "un": {"file": lists / "un_consolidated_2026-02-27.xml"},
        "uk": {"file": lists / "uk_sanctions_list_2026-05_covyr"},
        "os-pep": {"file": data / "pep" / "opensanctions_us_congress_senzing.jsonl"},
    }
    for source, files in jobs.items():
        list_import(source=source, files=files, label="bench", monitor=False)


def _child() -> None:
    started = time.perf_counter()
    import django

    django.setup()
    from screening.base import Subject
    from screening.providers.embedded import EmbeddedProvider
    from screening.selectors import name_index

    setup_s = time.perf_counter() - started
    result = EmbeddedProvider().screen_name(Subject(name="Nancy Pelosi", birth_date="1940"))
    first_s = time.perf_counter() - started
    index = name_index()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "django_setup_s": round(setup_s, 2),
                "first_query_s": round(first_s, 2),
                "max_rss_mb": round(rss_mb, 1),
                "entities": len(index),
                "names": len(index._names),
                "first_query_hits": [h.entity_id for h in result.hits][:3],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--import", dest="do_import", action="store_true")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        _child()
        return
    if args.do_import:
        _import(ROOT.parent / "shared" / "data")
    # Our own interpreter and this file: no untrusted input reaches the command line.
    out = subprocess.run([sys.executable, __file__, "--child"], capture_output=True, text=True, check=True)  # noqa: S603
    print(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
