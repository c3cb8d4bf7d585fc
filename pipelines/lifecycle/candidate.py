"""The candidate policy (the playbook base policy by default) planned over an inventory snapshot
(the one the command chose; the newest complete one by default) and kept in `candidate_policy_plans`, a snapshot at a time: the report and the
orchestration read these rows, since planning a whole inventory takes longer than a render."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ecrcost import sqlfiles
from ecrcost.errors import EcrcostError
from ecrcost.lifecycle.plan import plan_policy
from ecrcost.lifecycle.policy import read_policy_file
from ecrcost.warehouse import transaction

if TYPE_CHECKING:
    import duckdb

    from ecrcost.settings import Settings


def plan_candidate_policy(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    policy_text: str | None = None,
    snapshot_id: str | None = None,
) -> str | None:
    """Plan `policy_text` (default the playbook base policy) over snapshot `snapshot_id` (the
    `latest_snapshot` view's when None) and replace that snapshot's rows of
    candidate_policy_plans. Returns why not, or None."""
    if not sqlfiles.run(con, "lifecycle/snapshot", {"snapshot_id": snapshot_id}).fetchall():
        return "no inventory snapshot: candidate policy not planned"
    text = policy_text or read_policy_file()[1]
    try:
        plan = plan_policy(con, settings, text, snapshot_id=snapshot_id)
    except EcrcostError as exc:
        return f"candidate policy not planned: {exc}"
    repos = plan.repositories
    staged = {
        "account_id": [r.account_id for r in repos],
        "region": [r.region for r in repos],
        "repository_name": [r.repository_name for r in repos],
        "skipped_reason": [r.skipped_reason for r in repos],
        "expired": [r.expired for r in repos],
        "transitioned": [r.transitioned for r in repos],
        "freed_bytes": [r.freed_bytes for r in repos],
        "monthly_savings_usd": [float(r.monthly_savings_usd) for r in repos],
        "upper_bound": [r.upper_bound for r in repos],
        "dangers": [len(r.dangers) for r in repos],
        "has_current_policy": [bool(r.current_policy_text) for r in repos],
    }
    params = {
        "snapshot_id": plan.snapshot_id,
        "policy_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "planned_at": datetime.now(UTC).replace(tzinfo=None),
    }
    with transaction(con):
        sqlfiles.run(con, "lifecycle/delete_candidate_plans", {"snapshot_id": plan.snapshot_id})
        if repos:
            sqlfiles.insert_staged(con, "lifecycle/insert_candidate_plans", staged, params)
    return None
