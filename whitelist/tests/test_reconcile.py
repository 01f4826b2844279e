"""Reconciliation finds every kind of drift, and healing it queues audited outbox changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from core.models import AuditEvent
from whitelist.models import Change
from whitelist.reconcile import whitelist_reconcile
from whitelist.services import whitelist_drift_heal
from whitelist.sync import sync_until_settled
from whitelist.tests.factories import fresh_address, request_add, request_remove

pytestmark = [pytest.mark.chain, pytest.mark.django_db]


def _send_outside_the_portal(env, data: str) -> None:
    chain = env.chain
    tx = chain.build_tx(
        chain_id=env.chain_id,
        nonce=chain.nonce(env.signer.address),
        to=env.contract().address,
        data=data,
        gas=1_000_000,
        fees=chain.suggest_fees(),
    )
    chain.send_raw(env.signer.sign(tx).raw)
    # The portal's nonce cursor must learn about it, as it would in real life from the chain.


def test_reconciliation_reports_each_kind_of_drift_and_healing_queues_audited_changes(tester, approver):
    kept, removed_behind_our_back, redated = request_add(), request_add(), request_add()
    sync_until_settled(tester.rt, mine=lambda: tester.mine(1))
    stranger = fresh_address()
    contract = tester.contract()
    far = int((timezone.now() + dt.timedelta(days=400)).timestamp())
    _send_outside_the_portal(tester, contract.add_data([stranger], far, "0x" + "ee" * 32))
    _send_outside_the_portal(tester, contract.remove_data([removed_behind_our_back.address], "0x" + "ee" * 32))
    _send_outside_the_portal(tester, contract.add_data([redated.address], far, "0x" + "ee" * 32))
    pending = request_add()  # in flight: not drift

    rec = whitelist_reconcile(chain=tester.chain, deployment=tester.deployments["stakers"])

    kinds = {item["address"]: item["kind"] for item in rec.drift}
    assert kinds == {
        stranger: "on_chain_not_approved",
        removed_behind_our_back.address: "approved_missing",
        redated.address: "expiry_differs",
    }
    assert rec.addresses_checked == 4 and rec.events_read == 6
    assert kept.address not in kinds and pending.address not in kinds

    changes = whitelist_drift_heal(reconciliation=rec, by=approver)
    by_address = {c.address: c for c in changes}
    assert by_address[stranger].action == "remove"
    assert by_address[removed_behind_our_back.address].valid_until == removed_behind_our_back.valid_until
    assert by_address[redated.address].valid_until == redated.valid_until
    assert all(c.reference == f"whitelist.reconciliation:{rec.pk}" and c.requested_by == approver for c in changes)
    assert AuditEvent.objects.filter(action="whitelist.drift_healed", actor=approver).exists()

    sync_until_settled(tester.rt, mine=lambda: tester.mine(1))
    again = whitelist_reconcile(chain=tester.chain, deployment=tester.deployments["stakers"])
    assert again.drift == []


def test_a_removed_address_is_expected_absent(tester):
    change = request_add()
    sync_until_settled(tester.rt, mine=lambda: tester.mine(1))
    request_remove(change.address)
    sync_until_settled(tester.rt, mine=lambda: tester.mine(1))
    rec = whitelist_reconcile(chain=tester.chain, deployment=tester.deployments["stakers"])
    assert rec.drift == []
    assert Change.objects.filter(status=Change.Status.CONFIRMED).count() == 2


def test_an_approval_that_expired_before_it_was_sent_is_skipped_and_is_not_drift(tester):
    change = request_add(valid_until=timezone.now() + dt.timedelta(seconds=90))
    tester.chain.tester.time_travel(int(change.valid_until.timestamp()) + 10)
    sync_until_settled(tester.rt, mine=lambda: tester.mine(1))
    change.refresh_from_db()
    assert change.status == Change.Status.SKIPPED and change.note == "expired before it was sent"
    rec = whitelist_reconcile(chain=tester.chain, deployment=tester.deployments["stakers"])
    assert rec.drift == []
    assert tester.contract().valid_until(change.address) == 0
