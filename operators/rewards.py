"""An operator's rewards for an epoch range: R = T x F x N / A - P + O, every term shown.

    T  total rewards of the period (ETH): the pool's attestation rewards over the range, unless staff give it
    F  the factor of the operator's node type (OPERATORS_REWARD_FACTORS)
    N  the operator's successful attestations in the range (epochs with a positive source reward)
    A  all successful attestations of the pool's validators in the range
    P  the operator's penalties (ETH): negative attestation rewards and inactivity penalties, as a positive number
    O  other adjustments (ETH) staff recorded for the operator in the range, signed
Amounts are ETH as Decimal with 9 decimals (gwei precision); nothing passes through float.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

GWEI = Decimal(1_000_000_000)
NINE = Decimal("0.000000001")


def fmt(value: Decimal) -> str:
    """Plain notation: str(Decimal) would print a quantized zero as 0E-9."""
    return format(value, "f")


def gwei_to_eth(value: int) -> Decimal:
    return (Decimal(value) / GWEI).quantize(NINE)


@dataclass(frozen=True)
class RewardsReport:
    epoch_from: int
    epoch_to: int
    total_eth: Decimal  # T
    factor: Decimal  # F
    operator_attestations: int  # N
    all_attestations: int  # A
    penalties_eth: Decimal  # P
    adjustments_eth: Decimal  # O
    reward_eth: Decimal  # R

    def terms(self) -> list[tuple[str, str, str]]:
        return [
            ("T", "Total rewards of the period", f"{fmt(self.total_eth)} ETH"),
            ("F", "Factor of the node type", fmt(self.factor)),
            ("N", "This operator's attestations", str(self.operator_attestations)),
            ("A", "All attestations", str(self.all_attestations)),
            ("P", "Penalties", f"{fmt(self.penalties_eth)} ETH"),
            ("O", "Other adjustments", f"{fmt(self.adjustments_eth)} ETH"),
        ]

    @property
    def reward_text(self) -> str:
        return fmt(self.reward_eth)

    @property
    def formula(self) -> str:
        return (
            f"R = {fmt(self.total_eth)} x {fmt(self.factor)} x {self.operator_attestations} / {self.all_attestations} "
            f"- {fmt(self.penalties_eth)} + {fmt(self.adjustments_eth)} = {fmt(self.reward_eth)} ETH"
        )


def compute_rewards(
    *,
    epoch_from: int,
    epoch_to: int,
    total_eth: Decimal,
    factor: Decimal,
    operator_attestations: int,
    all_attestations: int,
    penalties_eth: Decimal,
    adjustments_eth: Decimal,
) -> RewardsReport:
    share = (
        total_eth * factor * Decimal(operator_attestations) / Decimal(all_attestations)
        if all_attestations > 0
        else Decimal(0)
    )
    reward = (share - penalties_eth + adjustments_eth).quantize(NINE, rounding=ROUND_HALF_UP)
    return RewardsReport(
        epoch_from,
        epoch_to,
        total_eth,
        factor,
        operator_attestations,
        all_attestations,
        penalties_eth,
        adjustments_eth,
        reward,
    )
