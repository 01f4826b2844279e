"""OFAC entities imported before programmes were split on `] [` hold them as one string (`SDGT] [SYRIA`).

Split them in place and recompute each entity's fingerprint, and carry reviewers' false-positive decisions and
stored hits over from the old fingerprint to the new one: the listed record did not change, only how it was
read, so a dismissal stays valid and the next import shows no spurious change. (An entity whose stored fields
do not reproduce its fingerprint, e.g. a name cut at 500 characters, keeps its fingerprint; the next import
reports it as changed, which only asks for another look.) Reversing leaves the split programmes in place.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from django.db import migrations

_SEPARATOR = re.compile(r"\]\s*\[|;")


def _split(programs: list[str]) -> list[str]:
    out: list[str] = []
    for value in programs:
        for part in _SEPARATOR.split(str(value).strip().removeprefix("[").removesuffix("]")):
            if part.strip() and part.strip() not in out:
                out.append(part.strip())
    return out


def _fingerprint(row: Any, programs: list[str]) -> str:
    # screening.importers.EntityRecord.fingerprint, frozen here as migrations must be.
    canonical = json.dumps(
        {
            "schema": row.schema,
            "name": row.name,
            "aliases": sorted(set(row.aliases)),
            "birth_dates": sorted(set(row.birth_dates)),
            "nationalities": sorted(set(row.nationalities)),
            "programs": sorted(set(programs)),
            "data": row.data,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def split_ofac_programmes(apps: Any, schema_editor: Any) -> None:
    ListEntity = apps.get_model("screening", "ListEntity")
    FalsePositive = apps.get_model("screening", "FalsePositive")
    Hit = apps.get_model("screening", "Hit")
    renamed: dict[tuple[str, str], str] = {}
    changed = []
    rows = ListEntity.objects.filter(version__source__in=["ofac", "ofac-cons"]).order_by("pk")
    for row in rows.iterator(chunk_size=2000):
        programs = _split(row.programs or [])
        if programs == row.programs:
            continue
        if _fingerprint(row, row.programs) == row.fingerprint:
            new = _fingerprint(row, programs)
            renamed[(row.entity_id, row.fingerprint)] = new
            row.fingerprint = new
        row.programs = programs
        changed.append(row)
    ListEntity.objects.bulk_update(changed, ["programs", "fingerprint"], batch_size=2000)
    for model in (FalsePositive, Hit):
        for (entity_id, old), new in renamed.items():
            model.objects.filter(entity_id=entity_id, entity_fingerprint=old).update(entity_fingerprint=new)


class Migration(migrations.Migration):
    dependencies = [("screening", "0001_initial")]

    operations = [migrations.RunPython(split_ofac_programmes, migrations.RunPython.noop, elidable=True)]
