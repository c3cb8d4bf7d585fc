"""What `ecrcost savings` shows and the report draws: the period's judged actions rolled up,
their totals and the bridge from the prior period, as one plain dict (JSON, table and CSV are
drawn from it; money stays Decimal here, `jsonable` turns it into JSON numbers)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ecrcost import sqlfiles
from ecrcost.attribution.marts import period_has_data
from ecrcost.fmt import iso
from ecrcost.periods import shift_period
from ecrcost.savings.bridge import Bridge, build_bridge
from ecrcost.savings.counterfactual import INTERVAL_LEVEL
from ecrcost.savings.realized import ActionVerdict
from ecrcost.savings.rollup import action_row, group_rows, rollup

if TYPE_CHECKING:
    import duckdb

    from ecrcost.settings import Settings


def bridge_or_why(
    con: duckdb.DuckDBPyConnection, period: str, verdicts: list[ActionVerdict]
) -> tuple[Bridge | None, str | None]:
    prior = shift_period(period, -1)
    if not period_has_data(con, prior):
        return None, f"no billing data for {prior} is loaded to bridge from"
    built = sqlfiles.records(con, "reports/marts_built", {"periods": [prior, period]})
    if len(built) < 2:
        return None, f"the marts of {prior} and {period} are not both built"
    return build_bridge(con, period, verdicts), None


def savings_view(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: str,
    by: str,
    verdicts: list[ActionVerdict],
) -> dict[str, Any]:
    grouped = rollup(con, settings, period, by, verdicts)
    totals = group_rows([action_row(v, period) for v in verdicts], lambda a: "all")
    bridge, why = bridge_or_why(con, period, verdicts)
    return {
        "period": period,
        "prior_period": shift_period(period, -1),
        "interval_level": INTERVAL_LEVEL,
        **grouped,
        "totals": totals[0] if totals else None,
        "bridge": bridge_dict(bridge) if bridge else None,
        "bridge_unavailable": why,
    }


def bridge_dict(b: Bridge) -> dict[str, Any]:
    return {
        "period": b.period,
        "prior_period": b.prior,
        "start_usd": b.start,
        "end_usd": b.end,
        "steps": [
            {
                "key": s.key,
                "label": s.label,
                "amount_usd": s.amount,
                "repositories": s.repositories,
                "action_id": s.action_id,
            }
            for s in b.steps
        ],
        "not_in_bridge": b.not_in_bridge,
    }


def floats(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its Decimal figures as floats (the report's tables and CSV files write
    numbers to 12 significant digits; JSON does the same conversion)."""
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in row.items()}


def jsonable(value: Any) -> Any:
    """Decimal as a JSON number (a double: the warehouse and the CSV keep every digit), days as
    ISO dates, instants as ISO UTC."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
