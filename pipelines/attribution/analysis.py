"""The FinOps playbook's analysis on billed figures: top N by cost, the median and every
repository above it, the ranking by size, and the biggest movers against the prior period."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ecrcost import sqlfiles
from ecrcost.attribution.marts import ensure_marts, period_has_data, query_one
from ecrcost.periods import shift_period

if TYPE_CHECKING:
    import duckdb

    from ecrcost.settings import Settings


@dataclass
class Analysis:
    period: str
    top_n: int
    repository_count: int
    median_cost: float | None
    top: list[dict[str, Any]] = field(default_factory=list)
    above_median: list[dict[str, Any]] = field(default_factory=list)
    by_size: list[dict[str, Any]] = field(default_factory=list)
    prior_period: str | None = None  # None: nothing loaded for the prior period
    movers: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def analyse(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: str,
    top: int = 10,
    *,
    tags_from_inventory: bool = False,
    snapshot_id: str | None = None,
) -> Analysis:
    """The playbook's questions for `period` (marts of it and the prior period built if due,
    over inventory snapshot `snapshot_id`, the latest_snapshot view's when None)."""
    marts = {"tags_from_inventory": tags_from_inventory, "snapshot_id": snapshot_id}
    ensure_marts(con, settings, period, **marts)
    median, count = query_one(con, "marts/analysis_median", {"period": period})
    result = Analysis(period=period, top_n=top, repository_count=int(count), median_cost=median)
    result.top = sqlfiles.records(con, "marts/costs_by_repository", {"period": period})[:top]
    if median is not None:
        result.above_median = sqlfiles.records(
            con, "marts/analysis_above_median", {"period": period, "median": median}
        )
    result.by_size = sqlfiles.records(con, "marts/analysis_by_size", {"period": period, "top": top})
    prior = shift_period(period, -1)
    if period_has_data(con, prior):
        ensure_marts(con, settings, prior, **marts)
        result.prior_period = prior
        result.movers = sqlfiles.records(
            con, "marts/analysis_movers", {"period": period, "prior": prior, "top": top}
        )
    return result
