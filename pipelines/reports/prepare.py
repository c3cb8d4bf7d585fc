"""What a report needs computed before it renders: the attribution marts of the period and the
comparison period, the period's realized savings, the candidate policy planned over the report's
inventory snapshot and that snapshot's findings. Rendering itself only reads (and stays well
under a second); each step here is done by the stage that owns it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecrcost import sqlfiles
from ecrcost.attribution.marts import ensure_marts, period_has_data
from ecrcost.billing.groups import ensure_line_groups
from ecrcost.findings.findings import build_findings, build_latest_findings
from ecrcost.lifecycle.candidate import plan_candidate_policy
from ecrcost.reports.sections import report_periods
from ecrcost.savings.realized import realized_savings
from ecrcost.warehouse import transaction

if TYPE_CHECKING:
    import duckdb

    from ecrcost.settings import Settings


def prepare_report(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: str,
    compare: str,
    snapshot_id: str | None = None,
) -> list[str]:
    """Build what the report of `period` reads; returns notes on what could not be built.
    The marts, the findings and the candidate policy all use snapshot `snapshot_id` (default:
    the one the `latest_snapshot` view picks), so every figure rests on one inventory."""
    for p in report_periods(period, compare):
        # The totals read cur_ecr_line_groups, as the marts do (sql/reports/period_totals.sql).
        if period_has_data(con, p):
            with transaction(con):
                ensure_line_groups(con, p)
    for p in dict.fromkeys([period, compare]):
        if period_has_data(con, p):
            ensure_marts(con, settings, p, snapshot_id=snapshot_id)
    realized_savings(con, settings, period)
    notes = [plan_candidate_policy(con, settings, snapshot_id=snapshot_id)]
    if snapshot_id is None:
        notes.append(build_latest_findings(con, settings))
    elif not sqlfiles.run(con, "reports/findings_summary", {"snapshot_id": snapshot_id}).fetchall():
        build_findings(con, settings, snapshot_id)
    return [note for note in notes if note]
