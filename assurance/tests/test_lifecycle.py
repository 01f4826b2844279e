"""The promise over a customer's life: whatever happens (renewal, revocation, expiry, an operator's case, a wrongful
change), the chain lists exactly the addresses that current, four-eyes-checked approvals prove, and
`compliance_verify` says so. Real services, a real EVM (py-evm in process)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assurance.tests.helpers import approve, approved, submitted
from assurance.verify import compliance_verify
from core.models import AuditEvent
from kyc import review, services
from kyc.models import Application, CaseApproval
from kyc.renewal import application_renew
from whitelist.models import Change, Target
from whitelist.reconcile import whitelist_reconcile
from whitelist.services import whitelist_change_request, whitelist_drift_heal
from whitelist.sync import sync_until_settled

S = Application.Status
pytestmark = pytest.mark.chain


def _on_chain(tester: Any, address: str, list_key: str = "stakers") -> int:
    return tester.contract(list_key).valid_until_many([address], "latest")[0]


def _sync(tester: Any) -> None:
    report = sync_until_settled(tester.rt, mine=tester.mine)
    assert not report.problems, report


def _listed_by_hand(address: str) -> None:
    """An entry no decision made: requested straight from the outbox, as a manual edit would."""
    whitelist_change_request(
        address=address,
        list_key="stakers",
        action="add",
        valid_until=timezone.now() + dt.timedelta(days=30),
        reason="typed in by hand",
        actor=None,
    )


def _kinds(report: Any) -> list[str]:
    return [v.kind for v in report.violations]


def test_a_second_approved_case_keeps_the_wallet_on_chain_when_the_first_approval_expires(
    tester: Any, alice: Any, wallet_key: Any, reviewer: Any
) -> None:
    first = approved(alice, wallet_key, reviewer)
    _sync(tester)
    # The customer verified again with a new application (the same wallet) before the first approval ended.
    second = approved(alice, wallet_key, reviewer)
    _sync(tester)
    Application.objects.filter(pk=first.pk).update(valid_until=timezone.now() - dt.timedelta(seconds=1))
    assert review.cases_expire_due() == 1
    assert not Change.objects.filter(action="remove").exists(), "the wallet is still proven by the second case"
    _sync(tester)
    second.refresh_from_db()
    assert second.valid_until is not None
    assert _on_chain(tester, wallet_key.address) == int(second.valid_until.timestamp())
    report = compliance_verify(chain=tester.chain)
    assert report.violations == [] and report.checked["stakers"] == 1


def test_a_renewal_from_the_approved_case_supersedes_it_without_a_gap(
    tester: Any, alice: Any, wallet_key: Any, reviewer: Any
) -> None:
    old = approved(alice, wallet_key, reviewer)
    _sync(tester)
    client = Client()
    client.force_login(alice)
    response = client.post(reverse("kyc:renew", args=[old.public_id]))
    renewal = Application.objects.get(renews=old)
    assert response.status_code == 302 and str(renewal.public_id) in response["Location"]
    # Pre-filled: the same company, people and proven wallet; documents still valid are new files.
    assert renewal.company.legal_name == old.company.legal_name
    assert sorted(renewal.people.values_list("legal_name", flat=True)) == sorted(
        old.people.values_list("legal_name", flat=True)
    )
    assert list(renewal.wallets.values_list("address", "verified_at")) == list(
        old.wallets.values_list("address", "verified_at")
    )
    assert renewal.documents.count() == old.documents.count()
    assert set(renewal.documents.values_list("file", flat=True)).isdisjoint(
        old.documents.values_list("file", flat=True)
    )
    # A second click goes back to the same renewal.
    client.post(reverse("kyc:renew", args=[old.public_id]))
    assert Application.objects.filter(renews=old).count() == 1

    services.application_submit(application=renewal, by=alice)
    renewal = services.application_transition(application=renewal, to=S.READY_FOR_REVIEW, by=None)
    renewal = approve(renewal, reviewer)
    old.refresh_from_db()
    assert (renewal.status, old.status) == (S.APPROVED, S.SUPERSEDED)
    assert old.decisions.last().outcome == "superseded"
    assert not Change.objects.filter(action="remove").exists()
    _sync(tester)
    assert _on_chain(tester, wallet_key.address) == int(renewal.valid_until.timestamp())
    assert (
        Target.objects.get(list_key="stakers", address=wallet_key.address).reference
        == f"kyc.application:{renewal.public_id}"
    )
    assert compliance_verify(chain=tester.chain).violations == []


def test_only_an_approved_case_can_be_renewed(alice: Any, wallet_key: Any) -> None:
    draft = submitted(alice, wallet_key)
    with pytest.raises(Exception, match="Only an approved application can be renewed"):
        application_renew(application=draft, by=alice)
    assert not Application.objects.filter(renews=draft).exists()


def test_revocation_takes_the_wallet_off_with_its_reason(
    tester: Any, alice: Any, wallet_key: Any, reviewer: Any, approver: Any
) -> None:
    app = approved(alice, wallet_key, reviewer)
    _sync(tester)
    review.case_revoke(application=app, by=approver, reason_code="sanctions_match", reason="listed since")
    removal = Change.objects.get(action="remove")
    assert "KYC revoked" in removal.reason and removal.reference == f"kyc.application:{app.public_id}"
    _sync(tester)
    assert _on_chain(tester, wallet_key.address) == 0
    report = compliance_verify(chain=tester.chain)
    assert report.violations == [] and report.removals_checked == 1


def test_a_wrongful_removal_shows_up_as_drift_and_heals(
    tester: Any, alice: Any, wallet_key: Any, reviewer: Any, approver: Any
) -> None:
    app = approved(alice, wallet_key, reviewer)
    _sync(tester)
    # What the old latest-change-wins rule did at the expiry of a renewed customer's first case.
    whitelist_change_request(
        address=wallet_key.address, list_key="stakers", action="remove", reason="KYC expired (old case)", actor=None
    )
    _sync(tester)
    assert _on_chain(tester, wallet_key.address) == 0
    rec = whitelist_reconcile(chain=tester.chain, deployment=tester.deployments["stakers"])
    assert [(d["address"], d["kind"]) for d in rec.drift] == [(wallet_key.address, "approved_missing")]
    whitelist_drift_heal(reconciliation=rec, by=approver)
    _sync(tester)
    assert _on_chain(tester, wallet_key.address) == int(app.valid_until.timestamp())


def test_compliance_verify_names_an_address_no_case_proves_and_exits_non_zero(
    tester: Any,
    alice: Any,
    wallet_key: Any,
    other_key: Any,
    reviewer: Any,
    capsys: Any,
    monkeypatch: Any,
    settings: Any,
) -> None:
    approved(alice, wallet_key, reviewer)
    _listed_by_hand(other_key.address)
    _sync(tester)
    report = compliance_verify(chain=tester.chain)
    assert [(v.address, v.kind) for v in report.violations] == [(other_key.address, "unproven")]
    # The command reads the configured chain: point the configuration at the tester's.
    monkeypatch.setattr("whitelist.config.is_enabled", lambda: True)
    settings.WHITELIST_CHAIN_ID = tester.chain_id
    monkeypatch.setattr("whitelist.config.chain_from_settings", lambda: tester.chain)
    with pytest.raises(CommandError):
        call_command("compliance_verify")
    out = capsys.readouterr().out.strip().splitlines()
    assert f"VIOLATION stakers {other_key.address} unproven" in out[0]
    assert '"violations": 1' in out[-1]


def test_compliance_verify_names_a_high_case_approved_by_one_officer(
    tester: Any, alice: Any, wallet_key: Any, reviewer: Any, approver: Any
) -> None:
    app = approve(submitted(alice, wallet_key), reviewer, level="high", second=approver)
    _sync(tester)
    assert compliance_verify(chain=tester.chain).violations == []
    # Tampering behind the services' back: the second approval removed from the record.
    CaseApproval.objects.filter(application=app, by=approver).delete()
    report = compliance_verify(chain=tester.chain)
    assert _kinds(report) == ["case_record"]
    assert "1 approval(s) from different officers, 2 needed at high" in report.violations[0].detail


def test_a_removal_without_its_reason_is_a_violation(tester: Any, alice: Any, wallet_key: Any, reviewer: Any) -> None:
    app = approved(alice, wallet_key, reviewer)
    Application.objects.filter(pk=app.pk).update(valid_until=timezone.now() - dt.timedelta(seconds=1))
    review.cases_expire_due()
    assert Change.objects.filter(action="remove", reason__startswith="KYC expired").count() == 1
    Change.objects.filter(action="remove").update(reason="")
    report = compliance_verify(chain=tester.chain)
    assert "removal_without_reason" in _kinds(report)


def test_the_daily_check_alerts_officers_who_read_the_audit_trail(
    tester: Any, alice: Any, wallet_key: Any, other_key: Any, reviewer: Any, approver: Any, auditor: Any
) -> None:
    from assurance.services import verification_run
    from kyc.models import Notification

    _listed_by_hand(other_key.address)
    _sync(tester)
    run = verification_run(trigger="beat", chain=tester.chain)
    assert run.violation_count == 1
    notified = set(Notification.objects.values_list("recipient__email", flat=True))
    assert {approver.email, auditor.email} <= notified and reviewer.email not in notified
    assert AuditEvent.objects.filter(action="assurance.verified").exists()
    page = Client()
    page.force_login(auditor)
    html = page.get(reverse("assurance:verification", args=[run.pk])).content.decode()
    assert other_key.address in html and "unproven" in html
