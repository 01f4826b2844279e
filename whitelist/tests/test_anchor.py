"""The audit chain's head anchored on chain: the head travels as a transaction's input to AUDIT_ANCHOR_ADDRESS,
the transaction hash is recorded, and `audit_verify` checks the trail against the head read back from the chain."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from core.audit import audit_record, audit_verify
from core.audit_head import audit_head_anchor, head_from_anchor
from core.models import AuditAnchor, AuditChainHead, AuditEvent
from core.tasks import audit_anchor_head_task
from core.tests.test_audit import _tamper
from whitelist import anvil as anvil_mod
from whitelist.anchor import ChainAnchor
from whitelist.chain import random_address
from whitelist.models import NonceCursor

ANCHOR_ADDRESS = "0x000000000000000000000000000000000000a0d1"


def _chain(n: int) -> list[AuditEvent]:
    return [audit_record(actor=None, action=f"test.event_{i}", data={"i": i}) for i in range(1, n + 1)]


def _roll_back_to(event: AuditEvent) -> None:
    """The attack: delete every row after `event` with the trigger off, and roll the head back to it."""
    _tamper("DELETE FROM core_auditevent WHERE seq > %s", [event.seq])
    AuditChainHead.objects.filter(id=1).update(seq=event.seq, hash=event.hash)


@override_settings(AUDIT_ANCHOR_ADDRESS=ANCHOR_ADDRESS)
def test_anchoring_on_eth_tester_puts_the_signed_head_in_a_transaction_input(tester: Any) -> None:
    events = _chain(3)
    backend = ChainAnchor(runtime=tester.rt)
    anchor = audit_head_anchor(backend=backend)
    assert anchor is not None
    tx = tester.chain.w3.eth.get_transaction(anchor.tx_hash)
    assert tx["to"].lower() == ANCHOR_ADDRESS.lower()
    head = json.loads(bytes(tx["input"]).decode())
    assert (head["seq"], head["hash"]) == (events[-1].seq, events[-1].hash)
    # The nonce came from the sync's cursor, so the next whitelist batch cannot reuse it.
    assert NonceCursor.objects.get(sender=tester.signer.address).next_nonce == anchor.nonce + 1
    # The next run records the receipt and does not anchor the same head twice.
    assert audit_head_anchor(backend=backend) is None
    anchor.refresh_from_db()
    assert anchor.status == AuditAnchor.Status.MINED and anchor.block_number

    published = head_from_anchor(anchor.tx_hash, backend=backend)
    assert audit_verify(expected_heads=[published]).ok
    # Rows deleted from the end and the head rolled back: consistent inside the database, not against the chain.
    _roll_back_to(events[0])
    assert audit_verify().ok
    report = audit_verify(expected_heads=[head_from_anchor(anchor.tx_hash, backend=backend)])
    assert report.problem is not None
    assert report.problem.kind == "truncated"
    first, last = events[1].seq, events[-1].seq
    assert f"Rows #{first} to #{last} were deleted from the end: Anchor transaction {anchor.tx_hash}" in (
        report.problem.message
    )


@override_settings(AUDIT_ANCHOR_ADDRESS=ANCHOR_ADDRESS)
def test_a_transaction_to_another_address_is_not_taken_for_an_anchor(tester: Any) -> None:
    _chain(1)
    backend = ChainAnchor(runtime=tester.rt)
    anchor = audit_head_anchor(backend=backend)
    assert anchor is not None
    from core.audit_head import HeadError

    with (
        override_settings(AUDIT_ANCHOR_ADDRESS=random_address()),
        pytest.raises(HeadError, match="not to AUDIT_ANCHOR"),
    ):
        head_from_anchor(anchor.tx_hash, backend=backend)


def test_anchoring_is_off_without_an_anchor_address(tester: Any) -> None:
    _chain(1)
    with override_settings(AUDIT_ANCHOR_ADDRESS=""):
        assert audit_head_anchor(backend=ChainAnchor(runtime=tester.rt)) is None
    assert not AuditAnchor.objects.exists()


def test_the_daily_beat_job_anchors_on_anvil_and_audit_verify_checks_the_chain(
    anvil: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    events = _chain(4)
    with override_settings(
        AUDIT_ANCHOR_ADDRESS=ANCHOR_ADDRESS,
        WHITELIST_RPC_URL=anvil.node.url,
        WHITELIST_CHAIN_ID=anvil.chain_id,
        WHITELIST_SIGNER_KEY=anvil_mod.DEV_KEYS[0],
    ):
        audit_anchor_head_task.apply().get()
        anchor = AuditAnchor.objects.get()
        tx = anvil.chain.w3.eth.get_transaction(anchor.tx_hash)
        assert json.loads(bytes(tx["input"]).decode())["hash"] == events[-1].hash
        call_command("audit_verify", "--check-anchors")
        assert "matches 1 published head(s)" in capsys.readouterr().out

        _roll_back_to(events[1])
        call_command("audit_verify")
        with pytest.raises(CommandError, match=rf"Rows #{events[2].seq} to #{events[3].seq} were deleted from the end"):
            call_command("audit_verify", "--anchor-tx", anchor.tx_hash)
