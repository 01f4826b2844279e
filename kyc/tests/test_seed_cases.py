"""`seed_demo --cases N`: realistic cases across every state, in bulk, with an audit chain that verifies."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from core.models import AuditEvent
from kyc.demo import seed_demo_cases
from kyc.models import Application, CaseApproval, Decision, StatusTransition

S = Application.Status


def test_seeded_cases_cover_every_state_with_consistent_history(reviewer: Any, approver: Any) -> None:
    seeded = seed_demo_cases(400, chunk_size=150, seed=7)
    assert seeded.cases == 400
    statuses = set(Application.objects.values_list("status", flat=True))
    assert statuses == set(S.values)
    assert sum(seeded.by_status.values()) == 400
    # Every case but a draft has a history that ends in its status, submitted first.
    for app in Application.objects.exclude(status=S.DRAFT).prefetch_related("transitions")[:120]:
        steps = list(app.transitions.order_by("at", "id"))
        assert steps[0].to_status == S.SUBMITTED and steps[0].at == app.submitted_at
        assert steps[-1].to_status == app.status
        assert all(a.at <= b.at for a, b in itertools.pairwise(steps))
        assert app.created_at < app.submitted_at
    # Decided cases carry their decisions; approvals have a validity and an officer.
    approved = Application.objects.filter(status=S.APPROVED)
    assert Decision.objects.filter(application__in=approved, outcome="approved", valid_until__isnull=False).count() == (
        approved.count()
    )
    assert not Application.objects.filter(status=S.APPROVED, valid_until__isnull=True).exists()
    assert Decision.objects.filter(outcome="rejected").exclude(reason_code="").count() == seeded.by_status["rejected"]
    assert Decision.objects.filter(outcome="expired").count() == seeded.by_status["expired"]
    assert not Application.objects.filter(status=S.APPROVED, risk_level="prohibited").exists()
    assigned = set(Application.objects.exclude(assignee=None).values_list("assignee_id", flat=True))
    assert assigned == {reviewer.pk, approver.pk}
    assert not Application.objects.filter(status=S.READY_FOR_REVIEW).exclude(assignee=None).exists()
    # High-risk approvals have the second officer's approval too.
    high = Application.objects.filter(status=S.APPROVED, risk_level="high").first()
    assert high is not None and CaseApproval.objects.filter(application=high).count() == 2
    names = set(Application.objects.values_list("people__legal_name", flat=True))
    assert len(names) > 100
    assert StatusTransition.objects.count() > 1000


@override_settings(DEBUG=True)
def test_seed_demo_cases_adds_n_each_run_and_the_audit_chain_still_verifies(
    db: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("seed_demo", cases=40)
    out = capsys.readouterr().out
    assert "Added 40 demo cases" in out and "a further run adds 40 more" in out
    first = Application.objects.count()
    assert first == 43  # the three journey demos and the forty cases
    call_command("seed_demo", cases=40)
    assert Application.objects.count() == first + 40
    assert AuditEvent.objects.filter(action="kyc.demo_cases_seeded").count() == 2
    assert AuditEvent.objects.filter(action="kyc.demo_cases_seeded").first().data["cases"] == 40
    call_command("audit_verify")
    assert "Audit chain intact" in capsys.readouterr().out
    # Seeded demo reviewers work the seeded cases.
    assert Application.objects.filter(assignee__email="reviewer@claystack.local").exists()


@override_settings(DEBUG=True)
def test_a_negative_number_of_cases_is_refused_by_name(db: Any) -> None:
    with pytest.raises(CommandError, match="--cases must be 0 or more, not -3"):
        call_command("seed_demo", cases=-3)
