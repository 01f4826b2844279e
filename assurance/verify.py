"""The portal proves its own integrity: every address on the whitelist traces to a current, four-eyes-checked
approval, and every removal has its reason.

`compliance_verify` reads each list from the chain (every address the contract's events name, their entries at one
pinned block), or from the derived target when no chain is configured, and for every listed address finds the case
that proves it and checks the case's record:

- an approval decision, and the case approved and in date at the block's time;
- enough approvals in the deciding round for the governing level (two at least after an override), each by a
  different officer independent of the applicant; the level never below the computed one without an override;
  never a prohibited case;
- a validity no longer than the governing level allows, and an on-chain expiry no later than the approval's;
- every screening hit raised before the decision adjudicated (none open, none escalated), no confirmed match on
  the wallet;
- for the operators' list: the operator approved and vetted under that case.

Every removal the outbox records has a reason and names what decided it. The derived target must agree with the
cases too (a target listed that no case proves is a violation), and the chain with the target (drift).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from kyc.adjudication import open_hits
from kyc.models import RISK_ORDER, Application, CaseApproval, Decision, RiskLevel
from kyc.review import approvals_required, is_independent
from kyc.whitelisting import wallet_proofs
from operators.models import OperatorProfile
from operators.whitelisting import OPERATORS_SOURCE
from whitelist.chain import Chain
from whitelist.models import Change, ListKey, Target
from whitelist.reconcile import expected_state

S = Application.Status


@dataclass
class Violation:
    list: str
    address: str
    kind: str
    detail: str
    reference: str = ""


@dataclass
class Report:
    source: str
    block_number: int | None
    checked: dict[str, int] = field(default_factory=dict)
    removals_checked: int = 0
    in_flight: dict[str, int] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        kinds: dict[str, int] = {}
        for v in self.violations:
            kinds[v.kind] = kinds.get(v.kind, 0) + 1
        return {
            "source": self.source,
            "block": self.block_number,
            "listed": self.checked,
            "removals_checked": self.removals_checked,
            "in_flight": self.in_flight,
            "violations": len(self.violations),
            "by_kind": kinds,
        }


def _rank(level: str) -> int:
    return RISK_ORDER[RiskLevel(level)] if level in RiskLevel.values else -1


def case_record_violations(application: Application, *, at: dt.datetime) -> list[str]:
    """Why the case does not (or no longer) justify a whitelist entry at `at`; empty when it does."""
    problems: list[str] = []
    if application.status != S.APPROVED:
        problems.append(f"the case is {application.get_status_display().lower()}")
    if application.valid_until is None or application.valid_until <= at:
        problems.append("the approval is not in date")
    decision = application.decisions.filter(outcome=Decision.Outcome.APPROVED).order_by("-at").first()
    if decision is None:
        return [*problems, "no approval decision is recorded"]
    level = decision.risk_level
    if level == RiskLevel.PROHIBITED or level not in RiskLevel.values:
        problems.append(f"approved at level {level or 'none'}")
        return problems
    approvals = list(CaseApproval.objects.filter(application=application, at__lte=decision.at).select_related("by"))
    deciding_round = max((a.round for a in approvals), default=0)
    approvals = [a for a in approvals if a.round == deciding_round]
    officers = {a.by_id for a in approvals}
    override = next((a for a in approvals if a.override_from), None)
    needed = max(approvals_required(level), 2 if override else 1)
    if len(officers) < needed:
        problems.append(
            f"{len(officers)} approval(s) from different officers, {needed} needed at {level}"
            + (" with an override" if override else "")
        )
    if decision.risk_level_computed and _rank(level) < _rank(decision.risk_level_computed) and override is None:
        problems.append(f"approved at {level}, below the computed {decision.risk_level_computed}, without an override")
    for approval in approvals:
        if not is_independent(application, approval.by):
            problems.append(f"approval by {approval.by.email}, who belongs to the applicant")
    if decision.valid_until != application.valid_until:
        problems.append("the case's validity differs from its approval decision")
    elif application.valid_until is not None:
        allowed = decision.at + relativedelta(months=int(settings.KYC_VALIDITY_MONTHS[level])) + dt.timedelta(days=1)
        if application.valid_until > allowed:
            problems.append(f"valid until {application.valid_until:%Y-%m-%d}, longer than {level} allows")
    unruled = [h for h in open_hits(application) if h.check_run.created_at <= decision.at]
    if unruled:
        problems.append(f"{len(unruled)} screening hit(s) raised before the decision were never adjudicated")
    return problems


def _stakers(report: Report, listed: dict[str, int], now: dt.datetime) -> None:
    proofs: dict[str, list[tuple[int, dt.datetime, str]]] = {}
    for address, app, until, ref in wallet_proofs(addresses=listed, now=now, operator_cases=False):
        proofs.setdefault(address, []).append((app, until, ref))
    cases = {a.pk: a for a in Application.objects.filter(pk__in={p[0] for ps in proofs.values() for p in ps})}
    for address, on_chain_until in sorted(listed.items()):
        found = proofs.get(address, [])
        if not found:
            report.violations.append(
                Violation(ListKey.STAKERS, address, "unproven", "listed, but no approved, in-date case proves it")
            )
            continue
        best = max(found, key=lambda p: p[1])
        problems = case_record_violations(cases[best[0]], at=now)
        if problems:
            report.violations.append(
                Violation(ListKey.STAKERS, address, "case_record", "; ".join(problems), reference=best[2])
            )
        if on_chain_until > int(best[1].timestamp()):
            report.violations.append(
                Violation(
                    ListKey.STAKERS,
                    address,
                    "outlives_approval",
                    f"listed until {dt.datetime.fromtimestamp(on_chain_until, tz=dt.UTC):%Y-%m-%d %H:%M}, after the "
                    f"approval ends ({best[1]:%Y-%m-%d %H:%M})",
                    reference=best[2],
                )
            )


def _operators(report: Report, listed: dict[str, int], now: dt.datetime) -> None:
    claims = OPERATORS_SOURCE.claims(sorted(listed), now)
    operator_ids = {c.reference.removeprefix("operators.operator:") for c in claims.values()}
    operators = {
        str(o.public_id): o
        for o in OperatorProfile.objects.filter(public_id__in=operator_ids).select_related("kyc_application")
    }
    for address, on_chain_until in sorted(listed.items()):
        claim = claims.get(address)
        if claim is None:
            report.violations.append(
                Violation(
                    ListKey.OPERATORS,
                    address,
                    "unproven",
                    "listed, but no approved operator vetted under an approved, in-date case declares it",
                )
            )
            continue
        operator = operators[claim.reference.removeprefix("operators.operator:")]
        case = operator.kyc_application
        problems = ["no case linked"] if case is None else case_record_violations(case, at=now)
        if problems:
            report.violations.append(
                Violation(
                    ListKey.OPERATORS,
                    address,
                    "case_record",
                    f"operator {operator.name}'s case {case.reference if case else '-'}: " + "; ".join(problems),
                    reference=claim.reference,
                )
            )
        if on_chain_until > int(claim.valid_until.timestamp()):
            report.violations.append(
                Violation(
                    ListKey.OPERATORS,
                    address,
                    "outlives_approval",
                    "listed after the operator's case approval ends",
                    reference=claim.reference,
                )
            )


def _removals(report: Report) -> None:
    """Every removal has its reason and names what decided it."""
    removals = Change.objects.filter(action=Change.Action.REMOVE).exclude(status=Change.Status.FAILED)
    report.removals_checked = removals.count()
    for change in removals.filter(Q(reason="") | Q(reference="")).order_by("id"):
        report.violations.append(
            Violation(
                change.list_key,
                change.address,
                "removal_without_reason",
                f"removal {change.public_id} has no {'reason' if not change.reason else 'deciding reference'}",
            )
        )


def _targets(report: Report, list_key: str, now: dt.datetime, *, exclude: set[str]) -> None:
    """The derived target agrees with the cases: an address the target lists must be proven now."""
    listed = dict(
        Target.objects.filter(list_key=list_key, valid_until__gt=now)
        .exclude(address__in=exclude)
        .values_list("address", "valid_until")
    )
    if list_key == ListKey.STAKERS:
        proven = {a for a, *_ in wallet_proofs(addresses=listed, now=now, operator_cases=False)}
    else:
        proven = set(OPERATORS_SOURCE.claims(sorted(listed), now))
    for address in sorted(set(listed) - proven):
        report.violations.append(
            Violation(list_key, address, "target_unproven", "the derived target lists it, but no case proves it now")
        )


def _chain_lists(chain: Chain, *, configured: bool) -> tuple[dict[str, dict[str, int]], int, dt.datetime, str]:
    from whitelist.config import check_chain_id, deployment_current, list_keys
    from whitelist.reconcile import chain_listed

    # The configured node must be the configured chain (as for the sync); a chain handed in is taken as it is.
    chain_id = check_chain_id(chain, at_start=False) if configured else chain.chain_id()
    block = chain.block_number()
    _, _, block_time = chain.block(block)
    lists: dict[str, dict[str, int]] = {}
    for key in list_keys():
        deployment = deployment_current(list_key=key, chain_id=chain_id)
        if deployment is None:
            continue
        targets = set(Target.objects.filter(list_key=key).values_list("address", flat=True))
        lists[key] = chain_listed(chain=chain, deployment=deployment, block=block, also=targets)
    return lists, block, dt.datetime.fromtimestamp(block_time, tz=dt.UTC), f"chain {chain_id} at block {block}"


def _target_lists(now: dt.datetime) -> dict[str, dict[str, int]]:
    return {
        key: {
            address: int(until.timestamp())
            for address, until in Target.objects.filter(list_key=key, valid_until__gt=now).values_list(
                "address", "valid_until"
            )
            if until is not None
        }
        for key in ListKey.values
    }


def compliance_verify(*, chain: Chain | None = None) -> Report:
    """Check the whole whitelist against the case records (see the module docstring). Reads the chain given, or
    the configured one; without a chain, the derived target stands in for it (and the report says so)."""
    from whitelist.config import chain_from_settings, is_enabled

    configured = chain is None and is_enabled()
    if configured:
        chain = chain_from_settings()
    if chain is not None:
        lists, block, now, source = _chain_lists(chain, configured=configured)
    else:
        now = timezone.now()
        lists, block, source = _target_lists(now), None, "derived target (no chain configured)"
    report = Report(source=source, block_number=block)
    for key, listed in lists.items():
        # On chain, a change still on its way is pending, not a violation (reconciliation says the same); the
        # target itself has no such lag.
        inflight = expected_state(key)[1] if chain is not None else set()
        listed = {a: v for a, v in listed.items() if a not in inflight}
        report.in_flight[key] = len(inflight)
        report.checked[key] = len(listed)
        (_stakers if key == ListKey.STAKERS else _operators)(report, listed, now)
    for key in ListKey.values:
        _targets(report, key, now, exclude=expected_state(key)[1] if chain is not None else set())
    _removals(report)
    return report


def violations_as_rows(report: Report) -> list[dict[str, str]]:
    return [asdict(v) for v in report.violations]
