"""A model of customers' lives, run in random orders: whatever happens, the chain lists exactly what current,
four-eyes-checked approvals prove, and every removal has its reason.

A Hypothesis `RuleBasedStateMachine` drives the real services: submission, screening against the shipped OFAC and
UN excerpts (real entries, a listed director for some customers), review at each level with attempted overrides and
lowered second approvals, requests for information, renewal, revocation, expiry, a list update whose monitoring
hit is confirmed on an approved wallet, operators linked, approved and suspended, and the whitelist sync on py-evm.
After every step it checks what `compliance_verify` checks, and that every derived target matches the cases.

CI runs it bounded and derandomised; `bench/lifecycle/run.py` runs it longer (LIFECYCLE_EXAMPLES, LIFECYCLE_STEPS).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from eth_account import Account
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from accounts.tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from assurance.verify import case_record_violations, compliance_verify
from core.exceptions import ApplicationError
from kyc import review, services
from kyc.adjudication import open_hits
from kyc.models import Application
from kyc.renewal import application_renew
from kyc.screening_flow import case_screening_settle, case_screening_start, monitoring_alert
from kyc.tests.factories import complete_company, complete_individual, person_data
from operators import checklist
from operators.models import OperatorProfile
from operators.services import checklist_item_review, operator_transition
from operators.tests.factories import OperatorAddressFactory, OperatorFactory
from screening.demo import seed_demo_lists
from screening.models import ListSource
from screening.services import check_run, list_import, monitoring_run
from whitelist.models import Change, ListKey, Target
from whitelist.sync import sync_until_settled
from whitelist.targets import target_candidates, targets_derive

S = Application.Status
pytestmark = [pytest.mark.chain, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("LIFECYCLE_EXAMPLES", "3"))
STEPS = int(os.environ.get("LIFECYCLE_STEPS", "14"))
LISTED_DIRECTOR = "Kirill Nikolaevich SHAMALOV"  # OFAC SDN 24184, in the shipped excerpt


class Lifecycle(RuleBasedStateMachine):
    cases = Bundle("cases")

    def __init__(self) -> None:
        super().__init__()
        env = self.env
        self.tester, self.tmp = env["tester"], env["tmp"]
        self.reviewer, self.approver, self.approver2 = env["reviewer"], env["approver"], env["approver2"]
        # Each example starts from the same world: the database in a savepoint, the chain at a snapshot, both
        # rolled back at teardown (Hypothesis replays examples while it shrinks one).
        self._snapshot = self.tester.chain.tester.take_snapshot()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)
        self.tester.chain.tester.revert_to_snapshot(self._snapshot)

    env: dict[str, Any] = {}

    # Customers ---------------------------------------------------------------------------------------------

    def _screen(self, app: Application) -> Application:
        """What the worker does after a submission: every planned check run, then the case settled."""
        for check in case_screening_start(application_id=app.pk):
            check_run(check_id=check.pk)
        case_screening_settle(application_id=app.pk)
        app.refresh_from_db()
        return app

    @rule(target=cases, company=st.booleans(), listed_director=st.booleans())
    def submit(self, company: bool, listed_director: bool) -> Application:
        return self._new_customer(company, listed_director)

    def _new_customer(self, company: bool, listed_director: bool) -> Application:
        user = UserFactory()
        key = Account.create()
        if company:
            MembershipFactory(user=user, organisation=OrganisationFactory(), role="owner")
            app = complete_company(user, key)
            if listed_director:
                services.person_add(
                    application=app,
                    by=user,
                    role="director",
                    data=person_data(
                        legal_name=LISTED_DIRECTOR,
                        other_names=[],
                        date_of_birth=dt.date(1982, 3, 22),
                        nationalities=["RU"],
                        position="Director",
                    ),
                )
        else:
            app = complete_individual(user, key)
        services.application_submit(application=app, by=user)
        return self._screen(app)

    def _approve(self, app: Application, level: str, override: bool, second_lowers: bool, ruling: str) -> None:
        if app.status in (S.READY_FOR_REVIEW, S.RESUBMITTED):
            review.case_claim(application=app, by=self.reviewer)
        app.refresh_from_db()
        if app.status != S.IN_REVIEW:
            return
        for hit in open_hits(app):
            review.case_hit_adjudicate(
                application=app, by=self.reviewer, hit_id=hit.pk, ruling=ruling, rationale="checked birth date"
            )
        if any(a.ruling == "true_match" for a in app.adjudications.all()):
            review.case_reject(
                application=app,
                by=self.reviewer,
                reason_code="sanctions_match",
                internal_note="confirmed match",
                applicant_message="We cannot onboard you.",
            )
            return
        try:
            app = review.case_approve(
                application=app,
                by=self.reviewer,
                reason="verified",
                risk_level=level,
                override_reason="documented exception" if override else "",
            )
        except ApplicationError as refused:
            # The rules: a prohibited case, or a lower level without its reason, are refused with nothing saved.
            assert refused.code in ("prohibited", "override_reason_required", "open_hits", "screening_incomplete")
            assert not app.approvals.exists() or refused.code != "override_reason_required"
            return
        if app.status == S.PENDING_SECOND_APPROVAL:
            if second_lowers and app.risk_level != "low":
                with pytest.raises(ApplicationError):
                    review.case_approve(application=app, by=self.approver, reason="lower", risk_level="low")
            app = review.case_approve(application=app, by=self.approver, reason="agree")
        assert app.status == S.APPROVED
        # The decision's own record: enough approvals for its level, never below the level the rules computed at
        # the time (rulings reassess the risk) without an override, a validity the level allows.
        assert case_record_violations(app, at=timezone.now()) == []

    @initialize(target=cases, company=st.booleans(), level=st.sampled_from(["low", "medium", "high"]))
    def an_approved_customer(self, company: bool, level: str) -> Application:
        """Every run starts from customers already approved (four eyes where the level asks), on chain."""
        app = self._new_customer(company, False)
        self._approve(app, level, False, False, "false_positive")
        app.refresh_from_db()
        assert app.status == S.APPROVED
        self.sync()
        return app

    @rule(
        app=cases,
        level=st.sampled_from(["low", "medium", "high"]),
        override=st.booleans(),
        second_lowers=st.booleans(),
        ruling=st.sampled_from(["false_positive", "true_match"]),
    )
    def review_case(self, app: Application, level: str, override: bool, second_lowers: bool, ruling: str) -> None:
        app.refresh_from_db()
        self._approve(app, level, override, second_lowers, ruling)

    @rule(app=cases)
    def request_information(self, app: Application) -> None:
        app.refresh_from_db()
        if app.status in (S.READY_FOR_REVIEW, S.RESUBMITTED):
            review.case_claim(application=app, by=self.reviewer)
            app.refresh_from_db()
        if app.status != S.IN_REVIEW:
            return
        review.case_request_information(application=app, by=self.reviewer, items=["details"], message="Update it")
        review.case_resubmit(application=app, by=app.applicant)
        self._screen(app)

    @rule(target=cases, app=cases, level=st.sampled_from(["low", "high"]))
    def renew(self, app: Application, level: str) -> Application:
        app.refresh_from_db()
        if app.status != S.APPROVED:
            with pytest.raises(ApplicationError):
                application_renew(application=app, by=app.applicant)
            return app
        renewal = application_renew(application=app, by=app.applicant)
        if renewal.status == S.DRAFT:
            services.application_submit(application=renewal, by=app.applicant)
        renewal = self._screen(renewal)
        self._approve(renewal, level, False, False, "false_positive")
        return renewal

    @rule(app=cases)
    def revoke(self, app: Application) -> None:
        app.refresh_from_db()
        if app.status == S.APPROVED:
            review.case_revoke(
                application=app, by=self.approver, reason_code="incomplete_information", reason="documents lapsed"
            )

    @rule(app=cases)
    def expire(self, app: Application) -> None:
        app.refresh_from_db()
        if app.status == S.APPROVED:
            Application.objects.filter(pk=app.pk).update(valid_until=timezone.now() - dt.timedelta(seconds=1))
            assert review.cases_expire_due() >= 1

    @rule(app=cases)
    def list_update_confirms_a_wallet(self, app: Application) -> None:
        """A new address list names an approved customer's wallet; monitoring raises the hit; an officer confirms."""
        app.refresh_from_db()
        wallet = app.wallets.filter(verified_at__isnull=False).first()
        if app.status != S.APPROVED or wallet is None:
            return
        path = Path(self.tmp) / f"addresses-{wallet.pk}.csv"
        path.write_text(f"address,status,entity_id,entity_name\n{wallet.address},listed,OFAC:99{wallet.pk},TEST\n")
        outcome = list_import(source=ListSource.ADDRESS_LIST, files={"file": path}, label="update", monitor=False)
        checks = monitoring_run(version_id=outcome.version.pk)
        monitoring_alert([c.pk for c in checks])
        for hit in open_hits(app):
            review.case_hit_adjudicate(
                application=app, by=self.approver2, hit_id=hit.pk, ruling="true_match", rationale="same address"
            )

    @rule(app=cases)
    def operator_approve(self, app: Application) -> None:
        app.refresh_from_db()
        wallet = app.wallets.filter(verified_at__isnull=False).first()
        if app.status != S.APPROVED or app.organisation_id is None or wallet is None:
            return
        if OperatorProfile.objects.filter(kyc_application=app).exists():
            return
        operator = OperatorFactory(organisation=app.organisation, status="in_review", kyc_application=app)
        OperatorAddressFactory(operator=operator, address=wallet.address, purpose="withdrawal")
        for key in checklist.keys_for(operator.category):
            checklist_item_review(operator=operator, key=key, result="pass", note="", by=self.reviewer)
        try:
            operator_transition(operator=operator, to_status="approved", by=self.reviewer)
        except ApplicationError as refused:
            assert refused.code == "not_ready"  # e.g. the wallet is on a sanctions list now

    @rule()
    def operator_suspend(self) -> None:
        operator = OperatorProfile.objects.filter(status="approved").order_by("?").first()
        if operator is not None:
            operator_transition(operator=operator, to_status="suspended", by=self.reviewer, reason="missed duties")

    @rule()
    def sync(self) -> None:
        report = sync_until_settled(self.tester.rt, mine=self.tester.mine)
        assert not report.problems, report.problems

    # What must hold after every step -----------------------------------------------------------------------

    @invariant()
    def record_what_was_reached(self) -> None:
        self.env["reached"].update(Application.objects.values_list("status", flat=True))
        self.env["confirmed"] += Change.objects.filter(status__in=["confirmed", "skipped"]).count()

    @invariant()
    def every_target_is_what_the_cases_prove(self) -> None:
        now = timezone.now()
        for key in ListKey.values:
            addresses = set(target_candidates(key)) | set(
                Target.objects.filter(list_key=key).values_list("address", flat=True)
            )
            derived = targets_derive(list_key=key, addresses=addresses, now=now)
            stored = dict(Target.objects.filter(list_key=key).values_list("address", "valid_until"))
            for address, claim in derived.items():
                want = claim.valid_until.replace(microsecond=0) if claim else None
                have = stored.get(address)
                if have is not None and have <= now:
                    have = None  # run out: listed no more, whatever the row says until the expiry job
                assert want == have, (key, address, want, have)

    @invariant()
    def the_chain_holds_the_promise(self) -> None:
        report = compliance_verify(chain=self.tester.chain)
        assert report.violations == [], report.violations


def test_whatever_happens_the_chain_matches_the_approved_cases(
    tester: Any, tmp_path: Path, make_staff: Any, _media: Any
) -> None:
    seed_demo_lists()
    Lifecycle.env = {
        "tester": tester,
        "tmp": tmp_path,
        "reviewer": make_staff("reviewer", email="model.reviewer@claystack.example"),
        "approver": make_staff("approver", email="model.approver@claystack.example"),
        "approver2": make_staff("approver", email="model.approver2@claystack.example"),
        "reached": set(),
        "confirmed": 0,
    }
    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            derandomize=os.environ.get("LIFECYCLE_RANDOM") != "1",
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    # The run did live through what it models (a derandomised run is fixed: this guards against a model that
    # silently stopped reaching the decisions).
    reached = Lifecycle.env["reached"]
    assert S.APPROVED in reached, reached
    assert reached & {S.SUPERSEDED, S.REVOKED, S.EXPIRED}, reached
    assert Lifecycle.env["confirmed"] > 0
