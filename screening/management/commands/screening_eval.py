"""`manage.py screening_eval pairs|search|addresses FILE.csv`: quality and speed of the embedded screening,
as run by bench/screening/run.py and by outside checks. The last line of output is one JSON object.

- pairs: columns query_name, candidate_name, label (match|no_match), optional schema, query_dob,
  candidate_dob. Prints precision, recall, f1, n, pairs_per_s.
- search: columns query_name, optional query_dob, schema, expected_entity_id, expected_name; screens each
  query against the active lists. A row with an expectation is found when a hit at or above the threshold
  has that id or a name equal to it (case aside); a row with neither must give no hit. Prints recall,
  false_positive_rate, n, queries_per_s. With `--details FILE.jsonl`, writes one JSON line per query: the query,
  what was expected, whether it counted as found (or as a false hit), and every hit with its entity id, schema,
  list, category, score, the listed name matched, the explanation and every name of the entity, so a reviewer
  can see why a row counted.
- addresses: columns address, expected (hit|clear). Prints accuracy, n, per_s.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from screening.matching import Evidence, IndexedEntity, IndexHit, score_pair
from screening.selectors import name_index, wallet_lookup


def _rows(path: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{path} does not exist.")
    with file.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise CommandError(f"{path}: missing column(s) {', '.join(missing)}.")
        return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _detail(
    row: dict[str, str], counted: str, hits: list[IndexHit], entities: dict[str, IndexedEntity]
) -> dict[str, Any]:
    """One line of --details: the query, what it was expected to find, how it counted, and each hit in full."""
    return {
        "query_name": row["query_name"],
        "query_dob": row.get("query_dob", ""),
        "schema": row.get("schema", ""),
        "expected_entity_id": row.get("expected_entity_id", ""),
        "expected_name": row.get("expected_name", ""),
        "counted": counted,
        "hits": [
            {
                "entity_id": h.entity_id,
                "schema": entities[h.entity_id].schema if h.entity_id in entities else "",
                "list": h.source,
                "category": h.category,
                "score": h.score,
                "matched_name": h.matched_name,
                "explanation": h.explanation,
                "names": list(entities[h.entity_id].names) if h.entity_id in entities else [h.matched_name],
            }
            for h in hits
        ],
    }


class Command(BaseCommand):
    help = "Evaluate the embedded matcher and wallet screening on a CSV; prints one JSON object last."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("mode", choices=["pairs", "search", "addresses"])
        parser.add_argument("file")
        parser.add_argument("--threshold", type=float, default=None)
        parser.add_argument("--limit", type=int, default=0, help="only the first N rows")
        parser.add_argument(
            "--details",
            default=None,
            metavar="FILE.jsonl",
            help="search: write per query its hits with entity id, schema, score and every name of the entity",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        threshold = options["threshold"] if options["threshold"] is not None else settings.SCREENING_REVIEW_THRESHOLD
        if not 0 < threshold <= 1:
            raise CommandError("--threshold must be in (0, 1].")
        mode = options["mode"]
        if mode == "pairs":
            result = self._pairs(options["file"], threshold, options["limit"])
        elif mode == "search":
            result = self._search(options["file"], threshold, options["limit"], details=options["details"])
        else:
            result = self._addresses(options["file"], options["limit"])
        self.stdout.write(json.dumps(result))

    def _pairs(self, path: str, threshold: float, limit: int) -> dict[str, Any]:
        rows = _rows(path, ("query_name", "candidate_name", "label"))[: limit or None]
        bad = [i for i, r in enumerate(rows, start=2) if r["label"] not in ("match", "no_match")]
        if bad:
            raise CommandError(f"{path} line {bad[0]}: label must be match or no_match.")
        tp = fp = fn = 0
        started = time.perf_counter()
        for row in rows:
            scored = score_pair(
                row["query_name"],
                row["candidate_name"],
                schema=row.get("schema") or None,
                query=Evidence(dobs=(row.get("query_dob", ""),)),
                candidate=Evidence(dobs=(row.get("candidate_dob", ""),)),
            )
            predicted = scored.score >= threshold
            actual = row["label"] == "match"
            tp += predicted and actual
            fp += predicted and not actual
            fn += actual and not predicted
        elapsed = time.perf_counter() - started
        precision, recall, f1 = _f1(tp, fp, fn)
        return {
            "mode": "pairs",
            "threshold": threshold,
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "n": len(rows),
            "pairs_per_s": round(len(rows) / elapsed, 1) if elapsed else None,
        }

    def _search(self, path: str, threshold: float, limit: int, details: str | None = None) -> dict[str, Any]:
        rows = _rows(path, ("query_name",))[: limit or None]
        details_file = None
        if details:
            target = Path(details)
            if not target.parent.is_dir():
                raise CommandError(f"--details: the folder {target.parent} does not exist.")
            details_file = target.open("w", encoding="utf-8")
        build_started = time.perf_counter()
        index = name_index()
        build_s = time.perf_counter() - build_started
        if not len(index):
            raise CommandError("No list is imported: run manage.py sanctions_import first.")
        names_by_id: dict[str, set[str]] = {}
        entity_by_id = {}
        for entity in index.entities:
            names_by_id.setdefault(entity.entity_id, set()).update(n.casefold() for n in entity.names)
            entity_by_id[entity.entity_id] = entity
        positives = found = negatives = false_hits = 0
        started = time.perf_counter()
        for row in rows:
            hits = index.search(
                row["query_name"],
                schema=row.get("schema") or None,
                evidence=Evidence(dobs=(row.get("query_dob", ""),), nationalities=(row.get("query_nationality", ""),)),
                threshold=threshold,
                limit=10,
            )
            expected_id = row.get("expected_entity_id", "")
            expected_name = row.get("expected_name", "").casefold()
            counted: str
            if expected_id or expected_name:
                positives += 1
                if any(
                    (expected_id and h.entity_id == expected_id)
                    or (expected_name and expected_name in names_by_id.get(h.entity_id, set()))
                    for h in hits
                ):
                    found += 1
                    counted = "found"
                else:
                    counted = "missed"
            else:
                negatives += 1
                false_hits += bool(hits)
                counted = "false_hit" if hits else "clear"
            if details_file is not None:
                details_file.write(json.dumps(_detail(row, counted, hits, entity_by_id), ensure_ascii=False) + "\n")
        elapsed = time.perf_counter() - started
        if details_file is not None:
            details_file.close()
        return {
            "mode": "search",
            "threshold": threshold,
            "recall": round(found / positives, 4) if positives else None,
            "false_positive_rate": round(false_hits / negatives, 4) if negatives else None,
            "n": len(rows),
            "positives": positives,
            "negatives": negatives,
            "indexed_entities": len(index),
            "index_build_s": round(build_s, 2),
            "queries_per_s": round(len(rows) / elapsed, 1) if elapsed else None,
        }

    def _addresses(self, path: str, limit: int) -> dict[str, Any]:
        rows = _rows(path, ("address", "expected"))[: limit or None]
        correct = 0
        started = time.perf_counter()
        for row in rows:
            is_hit = any(not f.history for f in wallet_lookup(row["address"]))
            correct += is_hit == (row["expected"] == "hit")
        elapsed = time.perf_counter() - started
        return {
            "mode": "addresses",
            "accuracy": round(correct / len(rows), 4) if rows else None,
            "n": len(rows),
            "per_s": round(len(rows) / elapsed, 1) if elapsed else None,
        }
