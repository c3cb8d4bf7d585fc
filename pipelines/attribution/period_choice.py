"""Which billing period `costs` and `report` show: `--period` when given, else the last closed
month, else (that month not loaded yet) the newest loaded one, said on stderr.

Falling back rather than refusing: without `--period` the user asked for "the latest bill",
and a warehouse whose newest month is older than the last closed one (AWS still finishing the
month, a backfill, the sample organisation) has one; the note names both months and every
loaded one, so nothing changes silently. An explicit `--period` that is not loaded is refused,
listing the loaded periods. "Loaded" is the view loaded_periods (sql/schema/049_loaded_periods.sql).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ecrcost import sqlfiles
from ecrcost.errors import UserError
from ecrcost.periods import Period, parse_period

if TYPE_CHECKING:
    import duckdb


def loaded_periods(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every loaded billing period, oldest first."""
    return [r[0] for r in sqlfiles.run(con, "marts/loaded_period_list").fetchall()]


def choose_period(
    con: duckdb.DuckDBPyConnection, text: str | None, warehouse: Path, what: str = "--period"
) -> str:
    """The period to show (see the module's docstring); a UserError when there is none."""
    loaded = loaded_periods(con)
    if text is not None:
        period = parse_period(text, what)
        if period not in loaded:
            raise UserError(
                f"{what} {period}: no billing data for it in {warehouse} ({_listed(loaded)}); "
                "load its bill first (ecrcost ingest --cur LOCATION) or pick a loaded period"
            )
        return period
    last_closed = str(Period.last_closed())
    if last_closed in loaded:
        print(
            f"note: {what} not given: using the last closed month, {last_closed}", file=sys.stderr
        )
        return last_closed
    if not loaded:
        raise UserError(
            f"{warehouse}: no billing period is loaded; load a bill first "
            "(ecrcost ingest --cur LOCATION)"
        )
    newest = loaded[-1]
    print(
        f"note: {what} not given: the last closed month, {last_closed}, is not loaded; "
        f"using the newest loaded month, {newest} ({_listed(loaded)})",
        file=sys.stderr,
    )
    return newest


def _listed(loaded: list[str]) -> str:
    return f"loaded: {', '.join(loaded)}" if loaded else "no period is loaded"
