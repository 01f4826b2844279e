from __future__ import annotations

import json
import random
import time
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from operators.allocation import Candidate, allocate
from operators.deposit_data import make_deposit_entry, parse_deposit_file

WITHDRAWAL = "0x4D68568B8D4E6244233c685B48fEa619621B78D2"


class Command(BaseCommand):
    help = (
        "Measure deposit-data checking (with and without BLS signatures) and allocation on synthetic input. "
        "Touches no database. The last line is one JSON object."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--keys", type=int, default=20, help="Deposit entries to check.")
        parser.add_argument("--operators", type=int, default=200)
        parser.add_argument("--validators", type=int, default=10_000, help="New validators to allocate.")

    def handle(self, *args: Any, **options: Any) -> None:
        entries = [
            make_deposit_entry(
                secret_key=1000 + i,
                withdrawal_address=WITHDRAWAL,
                amount_gwei=32_000_000_000,
                fork_version="00000000",
                network_name="mainnet",
            )
            for i in range(options["keys"])
        ]
        raw = json.dumps(entries, indent=2).encode()
        timings = {}
        for verify in (False, True):
            start = time.perf_counter()
            result = parse_deposit_file(
                raw,
                expected_fork_version="00000000",
                expected_network="mainnet",
                allowed_withdrawal_addresses={WITHDRAWAL},
                verify_signatures=verify,
            )
            assert result.ok  # noqa: S101 - the benchmark's own input is valid
            timings[verify] = time.perf_counter() - start
        rng = random.Random(7)  # noqa: S311 - synthetic benchmark input
        candidates = [
            Candidate(
                key=f"op{i:04d}",
                name=f"op{i:04d}",
                attributes={
                    "consensus_client": rng.choice(["lighthouse", "prysm", "teku", "nimbus", "lodestar", "grandine"]),
                    "execution_client": rng.choice(["geth", "nethermind", "besu", "erigon", "reth"]),
                    "country": rng.choice(["US", "DE", "FR", "JP", "SG", "PT", "KE", "CL", "CA", "GB"]),
                    "hosting": rng.choice(["AWS", "Google Cloud", "Hetzner", "OVH", "home", "Equinix"]),
                },
                current=rng.randint(0, 400),
                cap=500,
                score=Decimal(rng.randint(60, 100)),
            )
            for i in range(options["operators"])
        ]
        start = time.perf_counter()
        allocation = allocate(candidates, options["validators"], min_score=Decimal(70))
        allocation_seconds = time.perf_counter() - start
        summary = {
            "deposit_keys": options["keys"],
            "deposit_keys_per_s_without_signatures": round(options["keys"] / timings[False], 1),
            "deposit_keys_per_s_with_signatures": round(options["keys"] / timings[True], 2),
            "allocation_operators": options["operators"],
            "allocation_validators": options["validators"],
            "allocation_seconds": round(allocation_seconds, 3),
            "allocation_method": allocation.method,
            "sum_hhi_before": str(allocation.objective_before),
            "sum_hhi_after": str(allocation.objective_after),
            "sum_hhi_after_proportional_split": str(allocation.proportional_objective_after),
        }
        self.stdout.write(json.dumps(summary, sort_keys=True))
