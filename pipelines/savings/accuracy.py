"""How close realized savings come to the truth of the sample organisation (`ecrcost sample`
writes, per logged action, each day's storage cost with and without it: truth/action_days.csv).

The true saving of an action is measured over the same after window its estimate uses: the
mean daily difference between the counterfactual and the actual cost, times the days of the
month it took effect in. Used by bench/savings.py and the accuracy test.
"""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from ecrcost.savings.counterfactual import INTERVAL_LEVEL, quantile
from ecrcost.savings.realized import ActionVerdict


@dataclass(frozen=True)
class Scored:
    action_id: str
    repository_name: str
    method: str
    true_monthly: float
    estimate: float
    low: float | None
    high: float | None

    @property
    def relative_error(self) -> float:
        return abs(self.estimate - self.true_monthly) / abs(self.true_monthly)

    @property
    def covered(self) -> bool | None:
        if self.low is None or self.high is None:
            return None
        return self.low <= self.true_monthly <= self.high


@dataclass(frozen=True)
class Accuracy:
    actions: int
    median_error: float  # relative
    p90_error: float
    coverage: float | None  # share of true effects inside their interval
    level: float = INTERVAL_LEVEL


def daily_truth(truth_dir: Path | str) -> dict[str, dict[str, float]]:
    """action id -> ISO day -> what the action truly saved that day (counterfactual - actual)."""
    out: dict[str, dict[str, float]] = {}
    with open(Path(truth_dir) / "action_days.csv", newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            saved = float(r["counterfactual_storage_cost"]) - float(r["storage_cost"])
            out.setdefault(r["action_id"], {})[r["day"]] = saved
    return out


def score(verdicts: list[ActionVerdict], truth: dict[str, dict[str, float]]) -> list[Scored]:
    """Every action with an estimate, against its true saving over the same after window."""
    out = []
    for v in verdicts:
        if v.after_start is None or v.realized_monthly_savings_usd is None:
            continue
        saved = truth[v.action_id]
        span = [(v.after_start + timedelta(days=i)).isoformat() for i in range(v.window_days)]
        true = sum(saved[d] for d in span) / len(span) * v.days_in_month
        out.append(
            Scored(
                v.action_id,
                v.repository_name,
                v.method or "",
                true,
                float(v.realized_monthly_savings_usd),
                v.realized_low_usd,
                v.realized_high_usd,
            )
        )
    return out


def summarise(scored: list[Scored]) -> Accuracy:
    errors = [s.relative_error for s in scored]
    covered = [s.covered for s in scored if s.covered is not None]
    return Accuracy(
        actions=len(scored),
        median_error=statistics.median(errors),
        p90_error=quantile(errors, 0.9),
        coverage=sum(covered) / len(covered) if covered else None,
    )
