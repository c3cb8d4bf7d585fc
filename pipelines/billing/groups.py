"""cur_ecr_line_groups: a period's cur_ecr_lines collapsed to the attribution marts' grain.

Ingestion writes them in the transaction that replaces the period's lines; build_marts writes
them first when a period's groups are missing or do not match its lines (a warehouse loaded
before the table existed, lines written outside ingestion). One statement does both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecrcost import sqlfiles

if TYPE_CHECKING:
    import duckdb


def replace_line_groups(con: duckdb.DuckDBPyConnection, period: str) -> None:
    """Replace the period's groups with those of its cur_ecr_lines rows (caller's transaction)."""
    p = {"period": period}
    sqlfiles.run(con, "billing/delete_period_line_groups", p)
    sqlfiles.run(con, "billing/insert_period_line_groups", p)


def ensure_line_groups(con: duckdb.DuckDBPyConnection, period: str) -> bool:
    """Rebuild the period's groups when they do not match its lines; True when it did."""
    stale = sqlfiles.run(con, "billing/line_groups_stale", {"period": period}).fetchall()[0][0]
    if stale:
        replace_line_groups(con, period)
    return bool(stale)
