"""Where N new validators should go so the validator set becomes less concentrated.

Objective: the sum, over consensus client, execution client, country and hosting provider, of each dimension's
HHI after the allocation (lower is better). Two deterministic candidates are computed on the same input:

- greedy: one validator at a time to the eligible operator whose client/country/hosting values currently hold
  the fewest validators (adding one validator raises sum(n^2) by 2n+1, so this is the steepest descent of the
  objective), ties broken by higher score, then fewer validators, then name;
- proportional: N split over eligible operators in proportion to their free capacity (largest remainder).

The recommendation is the greedy one unless the proportional split scores better, so it is never worse than a
proportional split. Eligible: approved, score at or above the minimum, below its cap; nobody exceeds a cap.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from operators.diversity import hhi, hhi_exact

ALLOCATION_DIMENSIONS = ("consensus_client", "execution_client", "country", "hosting")


@dataclass(frozen=True)
class Candidate:
    key: str  # stable and unique (the operator's public id)
    name: str
    attributes: dict[str, str]  # value per ALLOCATION_DIMENSIONS
    current: int  # live validators now
    cap: int
    score: Decimal
    approved: bool = True


@dataclass
class OperatorAllocation:
    candidate: Candidate
    eligible: bool
    allocated: int = 0
    reasons: list[str] = field(default_factory=list)


@dataclass
class AllocationResult:
    requested: int
    method: str  # "greedy" or "proportional"
    rows: list[OperatorAllocation]
    before: dict[str, Decimal]
    after: dict[str, Decimal]
    objective_before: Decimal
    objective_after: Decimal
    proportional_objective_after: Decimal

    @property
    def allocated(self) -> int:
        return sum(r.allocated for r in self.rows)

    def summary(self) -> dict[str, object]:
        return {
            "validators_requested": self.requested,
            "validators_allocated": self.allocated,
            "method": self.method,
            "hhi_before": {k: str(v) for k, v in self.before.items()},
            "hhi_after": {k: str(v) for k, v in self.after.items()},
            "sum_hhi_before": str(self.objective_before),
            "sum_hhi_after": str(self.objective_after),
            "sum_hhi_after_proportional_split": str(self.proportional_objective_after),
        }


def _counts(candidates: list[Candidate], extra: dict[str, int]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {d: Counter() for d in ALLOCATION_DIMENSIONS}
    for c in candidates:
        n = c.current + extra.get(c.key, 0)
        for d in ALLOCATION_DIMENSIONS:
            counts[d][c.attributes[d]] += n
    return counts


def _objective(candidates: list[Candidate], extra: dict[str, int]) -> Fraction:
    counts = _counts(candidates, extra)
    return sum((hhi_exact(counts[d]) for d in ALLOCATION_DIMENSIONS), Fraction(0))


def _to_decimal(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"))


def eligibility(candidate: Candidate, min_score: Decimal) -> list[str]:
    """Reasons the operator cannot receive validators (empty: eligible)."""
    reasons = []
    if not candidate.approved:
        reasons.append("not an approved operator")
    if candidate.score < min_score:
        reasons.append(f"score {candidate.score} below the minimum {min_score}")
    if candidate.current >= candidate.cap:
        reasons.append(f"at its cap ({candidate.current} of {candidate.cap} validators)")
    return reasons


def _greedy(candidates: list[Candidate], eligible: list[Candidate], n: int) -> dict[str, int]:
    counts = _counts(candidates, {})
    extra: dict[str, int] = {}
    for _ in range(n):
        best: tuple[object, ...] | None = None
        chosen: Candidate | None = None
        for c in eligible:
            given = extra.get(c.key, 0)
            if c.current + given >= c.cap:
                continue
            load = sum(counts[d][c.attributes[d]] for d in ALLOCATION_DIMENSIONS)
            rank = (load, -c.score, c.current + given, c.name, c.key)
            if best is None or rank < best:
                best, chosen = rank, c
        if chosen is None:
            break
        extra[chosen.key] = extra.get(chosen.key, 0) + 1
        for d in ALLOCATION_DIMENSIONS:
            counts[d][chosen.attributes[d]] += 1
    return extra


def proportional_split(eligible: list[Candidate], n: int) -> dict[str, int]:
    """N over eligible operators in proportion to free capacity, largest remainder, ties by key."""
    free = {c.key: max(0, c.cap - c.current) for c in eligible}
    total_free = sum(free.values())
    if total_free == 0:
        return {}
    n = min(n, total_free)
    quotas = {k: Fraction(n * f, total_free) for k, f in free.items()}
    result = {k: int(q) for k, q in quotas.items()}
    left = n - sum(result.values())
    for k in sorted(quotas, key=lambda k: (-(quotas[k] - int(quotas[k])), k))[:left]:
        result[k] += 1
    return {k: v for k, v in result.items() if v}


def allocate(candidates: list[Candidate], n: int, *, min_score: Decimal) -> AllocationResult:
    candidates = sorted(candidates, key=lambda c: c.key)
    rows = []
    eligible: list[Candidate] = []
    for c in candidates:
        reasons = eligibility(c, min_score)
        rows.append(OperatorAllocation(c, eligible=not reasons, reasons=reasons))
        if not reasons:
            eligible.append(c)
    greedy = _greedy(candidates, eligible, n)
    proportional = proportional_split(eligible, n)
    greedy_obj, prop_obj = _objective(candidates, greedy), _objective(candidates, proportional)
    method, chosen = ("greedy", greedy) if greedy_obj <= prop_obj else ("proportional", proportional)
    counts_before = _counts(candidates, {})
    counts_after = _counts(candidates, chosen)
    total_before = sum(c.current for c in candidates)
    for row in rows:
        c = row.candidate
        row.allocated = chosen.get(c.key, 0)
        if not row.eligible:
            continue
        shares = []
        for d in ALLOCATION_DIMENSIONS:
            held = counts_before[d][c.attributes[d]]
            pct = Decimal(held * 100 / total_before).quantize(Decimal("0.1")) if total_before else Decimal(0)
            shares.append(f"{d.replace('_', ' ')} {c.attributes[d]} holds {pct}%")
        room = c.cap - c.current
        row.reasons.append(
            f"{row.allocated} of {room} free slots (cap {c.cap}, now {c.current}); score {c.score}; "
            + "; ".join(shares)
            + "."
        )
    return AllocationResult(
        requested=n,
        method=method,
        rows=rows,
        before={d: hhi(counts_before[d]) for d in ALLOCATION_DIMENSIONS},
        after={d: hhi(counts_after[d]) for d in ALLOCATION_DIMENSIONS},
        objective_before=_to_decimal(_objective(candidates, {})),
        objective_after=_to_decimal(_objective(candidates, chosen)),
        proportional_objective_after=_to_decimal(prop_obj),
    )
