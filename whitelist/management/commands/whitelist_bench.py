from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Sum
from django.test.utils import override_settings
from django.utils import timezone

from whitelist import anvil
from whitelist.chain import Chain, signer_from_key
from whitelist.config import Runtime
from whitelist.deploy import whitelist_deploy
from whitelist.models import Batch, Change
from whitelist.reconcile import whitelist_reconcile
from whitelist.sync import sync_until_settled


class Command(BaseCommand):
    help = (
        "Benchmark: whitelist N fresh addresses on a local anvil this command starts, then reconcile everything "
        "on chain. Prints one JSON object on its last line. Leaves the database as it found it (rolled back)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addresses", type=int, default=1000)
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        n, size = options["addresses"], options["batch_size"]
        if n < 1 or not 1 <= size <= 700:
            raise CommandError("--addresses must be positive and --batch-size between 1 and 700.")
        node = anvil.start(extra=["--gas-limit", "60000000"])
        try:
            result = self._run(node, n, size)
        finally:
            node.stop()
        self.stdout.write(json.dumps(result))

    def _run(self, node: anvil.Anvil, n: int, size: int) -> dict[str, Any]:
        chain = Chain.http(node.url, timeout=60)
        signer = signer_from_key(anvil.DEV_KEYS[0])
        result: dict[str, Any] = {}
        with (
            override_settings(WHITELIST_CONFIRMATIONS=1, WHITELIST_BATCH_SIZE=size, WHITELIST_GOVERNANCE="key"),
            transaction.atomic(),
        ):
            # Existing rows of this database would be reconciled too: count only what this run creates.
            before = set(Change.objects.values_list("pk", flat=True)[:1])
            if before:
                self.stderr.write("Note: the database already has whitelist changes; they are left alone.")
            dep = whitelist_deploy(
                chain=chain, signer=signer, list_key="stakers", admin=signer.address, manager=signer.address
            )
            rt = Runtime(chain=chain, chain_id=chain.chain_id(), signer=signer, mode="key")
            until = (timezone.now() + dt.timedelta(days=365)).replace(microsecond=0)
            addresses = [f"0x{(0xC1A5000000000000000000000000000000000000 + i + 1):040x}" for i in range(n)]
            from whitelist.chain import checksum

            # The outbox rows are bulk-inserted: the benchmark measures the chain side, not audit writes.
            Change.objects.bulk_create(
                [
                    Change(address=checksum(a), list_key="stakers", action="add", valid_until=until, reason="bench")
                    for a in addresses
                ],
                batch_size=2000,
            )
            started = time.monotonic()
            sync_until_settled(rt, mine=lambda: chain.rpc("evm_mine"), rounds=1000)
            seconds = time.monotonic() - started
            batches = Batch.objects.filter(deployment=dep)
            confirmed = batches.filter(status=Batch.Status.CONFIRMED)
            gas = confirmed.aggregate(total=Sum("gas_used"))["total"] or 0
            started = time.monotonic()
            rec = whitelist_reconcile(chain=chain, deployment=dep)
            reconcile_seconds = time.monotonic() - started
            result = {
                "addresses": n,
                "batches": batches.count(),
                "batch_size": size,
                "confirmed_addresses": sum(confirmed.values_list("size", flat=True)),
                "gas_per_address": round(gas / n, 1),
                "seconds_to_confirmed": round(seconds, 3),
                "reconcile_seconds": round(reconcile_seconds, 3),
                "reconcile_addresses": rec.addresses_checked,
                "reconcile_events": rec.events_read,
                "drift": len(rec.drift),
            }
            transaction.set_rollback(True)
        return result
