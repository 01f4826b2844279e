from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from whitelist.chain import ChainUnavailable, Misconfigured
from whitelist.config import deployment_current, list_keys, runtime
from whitelist.reconcile import whitelist_reconcile


class Command(BaseCommand):
    help = "Compare every deployed list with the database now and store a drift report."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rt = runtime()
            for key in list_keys():
                dep = deployment_current(list_key=key, chain_id=rt.chain_id)
                if dep is None:
                    self.stdout.write(f"{key}: not deployed on chain {rt.chain_id}")
                    continue
                rec = whitelist_reconcile(chain=rt.chain, deployment=dep)
                self.stdout.write(
                    f"{key}: {rec.addresses_checked} addresses, {rec.events_read} events, "
                    f"{len(rec.drift)} drifted, {rec.seconds} s (block {rec.block_number})"
                )
        except (Misconfigured, ChainUnavailable) as exc:
            raise CommandError(str(exc)) from exc
