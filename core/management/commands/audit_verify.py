"""Verify the audit chain: every row's keyed hash (or seal) and link, the head row, and, when given, heads
published outside the database (a hash, a sink file, anchor transactions read back from the chain)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.audit import PublishedHead, audit_verify
from core.audit_head import (
    AnchorUnavailable,
    HeadError,
    head_from_anchor,
    head_from_argument,
    heads_from_file,
    recorded_anchor_heads,
)


class Command(BaseCommand):
    help = (
        "Verify the whole audit chain and name the first row that was edited, deleted or reordered; with a "
        "published head, also rows deleted from the end or rewritten."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect-head",
            action="append",
            default=[],
            metavar="HEAD",
            help="A published head: its 64-hex hash, SEQ:HASH, or a signed head line (repeatable).",
        )
        parser.add_argument(
            "--heads-file", action="append", default=[], help="A sink file of signed heads, one JSON line each."
        )
        parser.add_argument(
            "--anchor-tx",
            action="append",
            default=[],
            metavar="TX_HASH",
            help="An anchor transaction: its head is read from the chain (repeatable).",
        )
        parser.add_argument(
            "--check-anchors",
            action="store_true",
            help="Read every anchor transaction the database recorded back from the chain and check its head.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        heads: list[PublishedHead] = []
        try:
            heads += [head_from_argument(value) for value in options["expect_head"]]
            for path in options["heads_file"]:
                heads += heads_from_file(path)
            heads += [head_from_anchor(tx) for tx in options["anchor_tx"]]
            if options["check_anchors"]:
                heads += recorded_anchor_heads()
        except (HeadError, OSError) as exc:
            raise CommandError(str(exc)) from None
        except AnchorUnavailable as exc:
            raise CommandError(f"The chain did not answer, so the anchors cannot be checked: {exc}") from None
        report = audit_verify(expected_heads=heads)
        if report.problem is not None:
            raise CommandError(f"Audit chain BROKEN after checking {report.checked} rows. {report.problem.message}")
        against = f"; matches {report.heads_checked} published head(s)" if report.heads_checked else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.checked} rows; head #{report.head_seq} {report.head_hash}{against}"
            )
        )
