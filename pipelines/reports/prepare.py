"""What a report needs computed before it renders: the attribution marts of the period and the
comparison period, the period's realized savings, and the candidate policy planned over the
latest inventory snapshot. Rendering itself only reads (and stays well under a second);
planning a policy over a whole inventory does not, so its result is kept in
candidate_policy_plans, a snapshot at a time.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines import sqlfiles
from pipelines.warehouse import transaction

if TYPE_CHECKING:
    import duckdb

    from pipelines.settings import Settings

BASE_POLICY = Path(__file__).resolve().parents[1] / "lifecycle" / "base_policy.json"


def prepare_report(
    con: duckdb.DuckDBPyConnection, settings: Settings, period: str, compare: str
) -> list[str]:
    """Build what the report of `period` reads; returns notes on what could not be built."""
    from pipelines.savings.realized import realized_savings

    notes = []
    try:
        from pipelines.attribution.marts import ensure_marts, period_has_data
    except ImportError:
        notes.append("attribution is not installed: marts not built")
    else:
        for p in dict.fromkeys([period, compare]):
            if period_has_data(con, p):
                ensure_marts(con, settings, p)
    realized_savings(con, settings, period)
    for note in (plan_candidate_policy(con, settings), build_latest_findings(con, settings)):
        if note:
            notes.append(note)
    return notes


def build_latest_findings(con: duckdb.DuckDBPyConnection, settings: Settings) -> str | None:
    """Findings of the latest snapshot, built once per snapshot. Returns why not, or None."""
    from pipelines.findings.findings import build_findings

    snap = sqlfiles.run(con, "reports/latest_snapshot").fetchall()
    if not snap:
        return "no inventory snapshot: findings not built"
    built = sqlfiles.run(con, "reports/findings_summary", {"snapshot_id": snap[0][0]}).fetchall()
    if not built:
        build_findings(con, settings, snap[0][0])
    return None


def plan_candidate_policy(
    con: duckdb.DuckDBPyConnection, settings: Settings, policy_text: str | None = None
) -> str | None:
    """Plan `policy_text` (default the playbook base policy) over the latest snapshot and
    replace that snapshot's rows of candidate_policy_plans. Returns why not, or None."""
    try:
        from pipelines.lifecycle.plan import plan_policy
    except ImportError:
        return "the lifecycle planner is not installed: candidate policy not planned"
    from pipelines.errors import EcrcostError

    snap = sqlfiles.run(con, "reports/latest_snapshot").fetchall()
    if not snap:
        return "no inventory snapshot: candidate policy not planned"
    text = policy_text or BASE_POLICY.read_text()
    try:
        plan = plan_policy(con, settings, text)
    except EcrcostError as exc:
        return f"candidate policy not planned: {exc}"
    repos = plan.repositories

    def col(fn) -> list:
        return [fn(r) for r in repos]

    with transaction(con):
        sqlfiles.run(con, "reports/delete_candidate_plans", {"snapshot_id": plan.snapshot_id})
        if repos:
            sqlfiles.run(
                con,
                "reports/insert_candidate_plans",
                {
                    "snapshot_id": plan.snapshot_id,
                    "policy_sha256": hashlib.sha256(text.encode()).hexdigest(),
                    "planned_at": datetime.now(UTC).replace(tzinfo=None),
                    "account_ids": col(lambda r: r.account_id),
                    "regions": col(lambda r: r.region),
                    "repository_names": col(lambda r: r.repository_name),
                    "skipped_reasons": col(lambda r: r.skipped_reason),
                    "expired": col(lambda r: r.expired),
                    "transitioned": col(lambda r: r.transitioned),
                    "freed_bytes": col(lambda r: r.freed_bytes),
                    "monthly_savings": col(lambda r: r.monthly_savings_usd),
                    "upper_bounds": col(lambda r: r.upper_bound),
                    "dangers": col(lambda r: len(r.dangers)),
                    "has_current_policy": col(lambda r: bool(r.current_policy_text)),
                },
            )
    return None
