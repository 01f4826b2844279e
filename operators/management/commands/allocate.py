from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from operators.allocation import allocate
from operators.selectors import allocation_candidates


class Command(BaseCommand):
    help = (
        "Recommend how N new validators should be spread over eligible operators to lower client, country and "
        "hosting concentration. The last line is one JSON object with the concentration before and after."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--validators", type=int, required=True, help="How many new validators to place.")
        parser.add_argument("--min-score", type=str, default=None, help="Override OPERATORS_ALLOCATION_MIN_SCORE.")

    def handle(self, *args: Any, **options: Any) -> None:
        n = options["validators"]
        if n < 1:
            raise CommandError("--validators must be at least 1.")
        min_score = Decimal(options["min_score"] or settings.OPERATORS_ALLOCATION_MIN_SCORE)
        result = allocate(allocation_candidates(), n, min_score=min_score)
        out = self.stdout
        out.write(f"Allocation of {n} validators (minimum score {min_score}, method {result.method}):")
        for row in result.rows:
            if row.eligible:
                out.write(f"  {row.candidate.name:<32} +{row.allocated:<6} {' '.join(row.reasons)}")
            else:
                out.write(f"  {row.candidate.name:<32} not eligible: {'; '.join(row.reasons)}")
        if result.allocated < n:
            out.write(
                f"  {n - result.allocated} validators could not be placed: every eligible operator is at its cap."
            )
        out.write(json.dumps(result.summary(), sort_keys=True))
