"""Realized savings: each action's predicted saving against what the bill shows after it."""

from ecrcost.savings.realized import (
    VERDICT_LABELS,
    ActionVerdict,
    SavingsTotal,
    realized_savings,
    total,
)

__all__ = ["VERDICT_LABELS", "ActionVerdict", "SavingsTotal", "realized_savings", "total"]
