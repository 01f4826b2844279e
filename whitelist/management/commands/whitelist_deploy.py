from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from whitelist import config
from whitelist.chain import ChainError, Misconfigured, checksum
from whitelist.deploy import whitelist_deploy
from whitelist.models import ListKey


class Command(BaseCommand):
    help = (
        "Deploy the whitelist contract (one per list) to the node at ETH_RPC_URL with the portal's signer, and "
        "record address, chain id, transaction and block. The admin role goes to --admin (a Safe or timelock in "
        "production), the manager role to --manager (default: the signer, or WHITELIST_SAFE_ADDRESS in Safe mode)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--list", choices=[*ListKey.values, "all"], default="all")
        parser.add_argument("--admin", default="", help="Address that receives DEFAULT_ADMIN_ROLE (default: signer).")
        parser.add_argument("--manager", default="", help="Address that receives WHITELIST_MANAGER_ROLE.")
        parser.add_argument(
            "--if-missing", action="store_true", help="Skip a list whose recorded contract is on chain already."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            chain = config.chain_from_settings()
            chain_id = config.check_chain_id(chain)
            signer = config.signer_from_settings()
            if signer is None:
                raise Misconfigured("WHITELIST_SIGNER_KEY", "deploying needs a funded key (set it for the deployment)")
            admin = checksum(options["admin"]) if options["admin"] else signer.address
            if options["manager"]:
                manager = checksum(options["manager"])
            elif settings.WHITELIST_GOVERNANCE == "safe":
                manager = config.safe_address()
            else:
                manager = signer.address
        except Misconfigured as exc:
            raise CommandError(str(exc)) from exc
        except ValueError as exc:
            raise CommandError(f"--admin/--manager: {exc}") from exc
        keys = ListKey.values if options["list"] == "all" else [options["list"]]
        for key in keys:
            current = config.deployment_current(list_key=key, chain_id=chain_id)
            if options["if_missing"] and current is not None and chain.code_at(current.address):
                self.stdout.write(f"{key}: already deployed at {current.address} (block {current.block_number})")
                continue
            try:
                dep = whitelist_deploy(chain=chain, signer=signer, list_key=key, admin=admin, manager=manager)
            except ChainError as exc:
                raise CommandError(f"{key}: deployment failed: {exc}") from exc
            self.stdout.write(
                self.style.SUCCESS(
                    f"{key}: deployed at {dep.address} on chain {dep.chain_id}, "
                    f"tx {dep.tx_hash}, block {dep.block_number}"
                )
            )
