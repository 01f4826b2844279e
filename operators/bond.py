"""The dynamic bond an operator must post, and how it was computed.

    multiplier = 1                                                   if score >= S
               = 1 + (M - 1) x (S - score) / S                       otherwise
    bond       = base[node type] + per_validator[node type] x validators x multiplier      (ETH, 4 decimals)

with S = OPERATORS_BOND_SCORE_FOR_NO_SURCHARGE, M = OPERATORS_BOND_MAX_MULTIPLIER (the multiplier at score 0),
base and per_validator from OPERATORS_BOND_BASE_ETH and OPERATORS_BOND_PER_VALIDATOR_ETH (settings/components).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings


@dataclass(frozen=True)
class BondParameters:
    base_eth: Decimal
    per_validator_eth: Decimal
    max_multiplier: Decimal
    score_for_no_surcharge: Decimal

    @classmethod
    def for_category(cls, category: str) -> BondParameters:
        return cls(
            base_eth=Decimal(settings.OPERATORS_BOND_BASE_ETH[category]),
            per_validator_eth=Decimal(settings.OPERATORS_BOND_PER_VALIDATOR_ETH[category]),
            max_multiplier=Decimal(settings.OPERATORS_BOND_MAX_MULTIPLIER),
            score_for_no_surcharge=Decimal(settings.OPERATORS_BOND_SCORE_FOR_NO_SURCHARGE),
        )


@dataclass(frozen=True)
class BondBreakdown:
    category: str
    validators: int
    score: Decimal
    parameters: BondParameters
    multiplier: Decimal
    bond_eth: Decimal

    def explanation(self) -> list[str]:
        p = self.parameters
        return [
            f"Node type {self.category}: base {p.base_eth} ETH, {p.per_validator_eth} ETH per validator.",
            f"Performance score {self.score}: multiplier {self.multiplier} "
            f"(1 at {p.score_for_no_surcharge} or above, {p.max_multiplier} at 0).",
            f"Bond = {p.base_eth} + {p.per_validator_eth} x {self.validators} x {self.multiplier} "
            f"= {self.bond_eth} ETH.",
        ]


def compute_bond(
    *, category: str, validators: int, score: Decimal, parameters: BondParameters | None = None
) -> BondBreakdown:
    p = parameters or BondParameters.for_category(category)
    threshold = p.score_for_no_surcharge
    if score >= threshold or threshold <= 0:
        multiplier = Decimal(1)
    else:
        multiplier = Decimal(1) + (p.max_multiplier - 1) * (threshold - max(score, Decimal(0))) / threshold
    multiplier = multiplier.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    bond = (p.base_eth + p.per_validator_eth * validators * multiplier).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )
    return BondBreakdown(category, validators, score, p, multiplier, bond)
