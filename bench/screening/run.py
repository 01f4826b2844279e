"""Screening benchmark: our matcher, search and wallet screening on the development data, with OpenSanctions'
nomenklatura logic-v1 and logic-v2 scoring the same pairs in the same run. Prints one JSON object last.

    DATABASE_URL=postgres://... .venv/bin/python bench/screening/run.py [--nk-limit N] [--negatives N]

It imports OFAC SDN, UN and UK and the address file (a no-op when already imported with the same files) into
the configured database, writes the search and address query files into a temporary directory, runs
`manage.py screening_eval` on them and on the two pair files, and scores the pair files with nomenklatura
(from requirements-bench.txt; reported as unavailable when it is not installed). See README.md here.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "claystack_portal.settings.local")
NK_THRESHOLD = 0.7  # yente's default match threshold for both logic versions


def _eval(*args: str) -> dict[str, Any]:
    from django.core.management import call_command

    out = io.StringIO()
    with redirect_stdout(out):
        call_command("screening_eval", *args, stdout=out)
    return dict(json.loads(out.getvalue().strip().splitlines()[-1]))


def _import_lists(data: Path) -> dict[str, Any]:
    from screening.models import ListSource
    from screening.services import list_import

    lists = data / "sanctions_lists"
    jobs = {
        ListSource.OFAC: {
            "sdn": lists / "ofac_sdn_2024-05-03.csv",
            "alt": lists / "ofac_alt_2025-12.csv",
            "add": lists / "ofac_add_2025-12.csv",
            "comments": lists / "ofac_sdn_comments_2025-12.csv",
        },
        ListSource.UN: {"file": lists / "un_consolidated_2026-02-27.xml"},
        ListSource.UK: {"file": lists / "uk_sanctions_list_2026-05_covyr"},
        ListSource.ADDRESS_LIST: {"file": data / "dev" / "dev_ofac_eth_addresses.csv"},
    }
    versions = {}
    for source, files in jobs.items():
        outcome = list_import(source=source, files=files, label="bench", monitor=False)
        versions[source.value] = outcome.version.number
    return versions


def _search_file(data: Path, tmp: Path, negatives_per_file: int, seed: int) -> tuple[Path, dict[str, int]]:
    """Positives: listed aliases and variants (official pairs, candidate id known to the loaded lists) and
    perturbed UN names (curated yente_un rows, expected by name). Negatives: synthetic people with DOB and
    nationality, sampled from both negative files."""
    from screening.models import ListEntity

    loaded = set(ListEntity.objects.filter(version__is_active=True).values_list("entity_id", flat=True))
    rows: list[dict[str, str]] = []
    composition = {"official_aliases": 0, "curated_un_perturbed": 0, "negatives": 0}
    with (data / "dev" / "dev_official_list_name_pairs.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["label"] == "match" and row["candidate_entity_id"] in loaded:
                rows.append(
                    {
                        "query_name": row["query_name"],
                        "schema": row["schema"],
                        "query_dob": row["query_dob"],
                        "expected_entity_id": row["candidate_entity_id"],
                    }
                )
                composition["official_aliases"] += 1
    with (data / "dev" / "dev_curated_name_pairs.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["source_group"] == "yente_un_treated" and row["label"] == "match":
                rows.append(
                    {
                        "query_name": row["query_name"],
                        "schema": row["schema"],
                        "query_dob": row["query_dob"],
                        "expected_name": row["candidate_name"],
                    }
                )
                composition["curated_un_perturbed"] += 1
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    for name in ("dev_screening_negatives_global_synthetic.csv", "dev_screening_negatives_us_synthetic.csv"):
        with (data / "dev" / name).open(newline="") as handle:
            people = list(csv.DictReader(handle))
        sample = people if negatives_per_file <= 0 else rng.sample(people, min(negatives_per_file, len(people)))
        for person in sample:
            rows.append(
                {
                    "query_name": person["full_name"],
                    "schema": "Person",
                    "query_dob": person["date_of_birth"],
                    "query_nationality": person["nationality"],
                }
            )
            composition["negatives"] += 1
    path = tmp / "search.csv"
    fields = ["query_name", "schema", "query_dob", "query_nationality", "expected_entity_id", "expected_name"]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({f: row.get(f, "") for f in fields})
    return path, composition


def _address_file(data: Path, tmp: Path) -> Path:
    """Every case and checksum form of each listed address must hit; delisted ones must be clear."""
    from eth_utils import to_checksum_address

    path = tmp / "addresses.csv"
    with (data / "dev" / "dev_ofac_eth_addresses.csv").open(newline="") as handle, path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["address", "expected"])
        for row in csv.DictReader(handle):
            expected = "hit" if row["status"] == "listed" else "clear"
            lower = row["address"].lower()
            forms = {lower, lower.upper().replace("0X", "0x"), to_checksum_address(lower), "0X" + lower[2:].upper()}
            if row["address_as_published"]:
                forms.add(row["address_as_published"])
            for form in sorted(forms):
                writer.writerow([form, expected])
    return path


def _nomenklatura(path: Path, limit: int) -> dict[str, Any]:
    try:
        from followthemoney import model
        from nomenklatura.matching import LogicV1, LogicV2
    except ImportError as exc:
        return {"available": False, "reason": f"nomenklatura not importable: {exc}"}
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))[: limit or None]

    def entity(name: str, schema: str, dob: str, key: str) -> Any:
        schema = schema if schema in model.schemata else "LegalEntity"
        proxy = model.make_entity(schema)
        proxy.id = key
        proxy.add("name", name)
        if dob and proxy.schema.get("birthDate") is not None:
            proxy.add("birthDate", dob)
        return proxy

    pairs = [
        (
            # Unique ids per pair: nomenklatura caches per entity id, so reused ids would replay old scores.
            entity(r["query_name"], r["schema"] or "LegalEntity", r["query_dob"], f"q{i}"),
            entity(r["candidate_name"], r["schema"] or "LegalEntity", r["candidate_dob"], f"c{i}"),
            r["label"] == "match",
        )
        for i, r in enumerate(rows)
    ]
    result: dict[str, Any] = {"available": True, "n": len(pairs), "threshold": NK_THRESHOLD}
    for algorithm in (LogicV1, LogicV2):
        config = algorithm.default_config()
        started = time.perf_counter()
        scores = [(algorithm.compare(q, c, config).score, label) for q, c, label in pairs]
        elapsed = time.perf_counter() - started
        best_f1 = max(_f1(scores, t)[2] for t in (0.5, 0.6, 0.7, 0.8, 0.9))
        precision, recall, f1 = _f1(scores, NK_THRESHOLD)
        result[algorithm.NAME] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "best_f1_any_threshold": round(best_f1, 4),
            "pairs_per_s": round(len(pairs) / elapsed, 1),
        }
    return result


def _f1(scores: list[tuple[float, bool]], threshold: float) -> tuple[float, float, float]:
    tp = sum(1 for s, label in scores if s >= threshold and label)
    fp = sum(1 for s, label in scores if s >= threshold and not label)
    fn = sum(1 for s, label in scores if s < threshold and label)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--nk-limit", type=int, default=0, help="score only the first N pairs with nomenklatura")
    parser.add_argument("--negatives", type=int, default=5000, help="negatives sampled per file (0: all 35,000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    data = Path(args.data)
    if not (data / "dev").is_dir():
        sys.exit(f"No development data at {data}: pass --data.")
    report: dict[str, Any] = {"lists": _import_lists(data)}
    with tempfile.TemporaryDirectory(prefix="screening-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for label, name in (
            ("curated", "dev_curated_name_pairs.csv"),
            ("official", "dev_official_list_name_pairs.csv"),
        ):
            path = data / "dev" / name
            report[f"pairs_{label}"] = {
                "ours": _eval("pairs", str(path)),
                "nomenklatura": _nomenklatura(path, args.nk_limit),
            }
        search_path, composition = _search_file(data, tmp, args.negatives, args.seed)
        report["search"] = _eval("search", str(search_path)) | {"composition": composition}
        report["addresses"] = _eval("addresses", str(_address_file(data, tmp)))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
