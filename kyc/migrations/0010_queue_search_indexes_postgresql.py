"""PostgreSQL-only indexes for the review queue's name search, nationality filter and risk sort (issue 5 scale
target).

Name search is `UPPER(legal_name) LIKE UPPER('%term%')` (Django's icontains), which no b-tree can answer: a
trigram GIN index (extension pg_trgm) can. The nationality filter reads the JSON list with `@>` on PostgreSQL
(see `kyc.queue`), which a jsonb_path_ops GIN index answers. The risk sort puts unscored cases last, and
SQLite cannot index NULLS LAST. SQLite (used by some test runs) has neither, so
these operations do nothing there; the indexes are not in the models' state for the same reason.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS kyc_person_name_trgm_idx ON kyc_person USING gin (UPPER(legal_name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS kyc_company_name_trgm_idx ON kyc_companyprofile "
    "USING gin (UPPER(legal_name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS kyc_person_nationalities_idx ON kyc_person USING gin (nationalities jsonb_path_ops)",
    # "Highest risk first": ORDER BY risk_score DESC NULLS LAST, id LIMIT n read in index order.
    "CREATE INDEX IF NOT EXISTS kyc_app_risk_score_idx ON kyc_application (risk_score DESC NULLS LAST, id)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS kyc_app_risk_score_idx",
    "DROP INDEX IF EXISTS kyc_person_nationalities_idx",
    "DROP INDEX IF EXISTS kyc_company_name_trgm_idx",
    "DROP INDEX IF EXISTS kyc_person_name_trgm_idx",
]


def _run(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("kyc", "0009_queue_due_date_and_indexes")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
