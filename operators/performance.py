"""The performance score: a documented, versioned formula over an operator's beacon-chain record.

Formula v1 (FORMULA_VERSION = "v1"); every ratio is in [0, 1], the score in [0, 100], Decimal throughout:

    attestation_effectiveness = max(0, sum(head + target + source rewards)) / sum(ideal rewards)
    proposal_success          = blocks proposed / proposer duties              (1 when there were no duties)
    uptime                    = epochs attested (source reward > 0) / epochs observed while active
    exit_timeliness           = requested or forced exits honoured on time / such exits due
                                (1 when none were due)
    score = 100 x (0.50 x attestation_effectiveness + 0.15 x proposal_success + 0.25 x uptime
                   + 0.10 x exit_timeliness) - 25 x slashings,   clamped to [0, 100], rounded to 0.01

With no epoch observed the operator has no record yet: every beacon ratio is taken as 1 (new operators are not
punished for being new; allocation still requires a minimum score, which they meet) and the score says so.
A change of weights or terms is a new version; stored scores keep the version they were computed under.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

FORMULA_VERSION = "v1"
WEIGHTS = {
    "attestation_effectiveness": Decimal("0.50"),
    "proposal_success": Decimal("0.15"),
    "uptime": Decimal("0.25"),
    "exit_timeliness": Decimal("0.10"),
}
SLASHING_PENALTY = Decimal(25)
ONE = Decimal(1)
ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PerformanceInputs:
    attestation_rewards_gwei: int  # sum of head + target + source over the window (may be negative)
    ideal_rewards_gwei: int
    proposer_duties: int
    blocks_proposed: int
    epochs_active: int
    epochs_attested: int
    exits_due: int
    exits_on_time: int
    slashings: int


@dataclass(frozen=True)
class ScoreBreakdown:
    formula_version: str
    attestation_effectiveness: Decimal
    proposal_success: Decimal
    uptime: Decimal
    exit_timeliness: Decimal
    slashings: int
    score: Decimal
    has_record: bool

    def as_json(self) -> dict[str, object]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def _ratio(numerator: int, denominator: int) -> Decimal:
    if denominator <= 0:
        return ONE
    return min(ONE, max(ZERO, Decimal(numerator) / Decimal(denominator)))


def compute_score(inputs: PerformanceInputs) -> ScoreBreakdown:
    has_record = inputs.epochs_active > 0
    effectiveness = _ratio(inputs.attestation_rewards_gwei, inputs.ideal_rewards_gwei) if has_record else ONE
    proposals = _ratio(inputs.blocks_proposed, inputs.proposer_duties)
    uptime = _ratio(inputs.epochs_attested, inputs.epochs_active)
    exits = _ratio(inputs.exits_on_time, inputs.exits_due)
    weighted = (
        WEIGHTS["attestation_effectiveness"] * effectiveness
        + WEIGHTS["proposal_success"] * proposals
        + WEIGHTS["uptime"] * uptime
        + WEIGHTS["exit_timeliness"] * exits
    )
    score = Decimal(100) * weighted - SLASHING_PENALTY * inputs.slashings
    score = min(Decimal(100), max(ZERO, score)).quantize(CENT, rounding=ROUND_HALF_UP)
    q = Decimal("0.0001")
    return ScoreBreakdown(
        formula_version=FORMULA_VERSION,
        attestation_effectiveness=effectiveness.quantize(q, rounding=ROUND_HALF_UP),
        proposal_success=proposals.quantize(q, rounding=ROUND_HALF_UP),
        uptime=uptime.quantize(q, rounding=ROUND_HALF_UP),
        exit_timeliness=exits.quantize(q, rounding=ROUND_HALF_UP),
        slashings=inputs.slashings,
        score=score,
        has_record=has_record,
    )
