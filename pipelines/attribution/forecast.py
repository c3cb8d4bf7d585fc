"""Next month's storage cost per repository at the current trend, from the bill: a least-squares
line through each repository's daily storage cost (storage + archive storage, gross usage) of
the last three billing periods, extended one month (docs/report.md, "Predictability")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecrcost import sqlfiles
from ecrcost.periods import Period

if TYPE_CHECKING:
    import duckdb

TREND_PERIODS = 3

RepositoryKey = tuple[str, str, str]  # (account_id, region, repository_name)


def trend_periods(period: str) -> list[str]:
    """The periods the trend reads, oldest first, ending with `period`."""
    last = Period.parse(period)
    return [str(last.shift(-i)) for i in range(TREND_PERIODS - 1, -1, -1)]


def repository_forecasts(
    con: duckdb.DuckDBPyConnection, period: str, covered: dict[str, int]
) -> dict[RepositoryKey, float | None]:
    """Each billed repository's forecast for the period after `period`. `covered`: the days
    of each trend period the bill covers (a period missing from it is left out)."""
    periods = trend_periods(period)
    costs: dict[RepositoryKey, dict[str, float]] = {}
    for r in sqlfiles.records(con, "marts/repository_storage_by_period", {"periods": periods}):
        key = (r["account_id"], r["region"], r["repository_name"])
        costs.setdefault(key, {})[r["period"]] = r["cost"]
    next_days = Period.parse(period).shift(1).days
    return {key: forecast(c, periods, covered, next_days) for key, c in costs.items()}


def forecast(
    costs: dict[str, float], periods: list[str], covered: dict[str, int], next_days: int
) -> float | None:
    """Least-squares line through the per-day cost of `periods`, extended one month of
    `next_days` days (never below zero); None without any cost."""
    points = [(i, costs.get(p, 0.0) / covered[p]) for i, p in enumerate(periods) if covered.get(p)]
    if not points or not costs:
        return None
    if len(points) == 1:
        return points[0][1] * next_days
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    return max(0.0, my + slope * (len(periods) - mx)) * next_days
