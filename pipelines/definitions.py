"""The single Dagster code location (workspace.yaml points here). Thin: assets call the domain.

In-process executor: DuckDB allows one writing process per file.
"""

import dagster as dg

from pipelines.orchestration import assets, jobs
from pipelines.orchestration.resources import EcrcostResource

ASSETS = [
    assets.policy_actions,
    assets.ecr_inventory,
    assets.cur_ecr_lines,
    assets.ecr_cost_marts,
    assets.ecr_findings,
    assets.candidate_policy_plan,
    assets.realized_savings,
    assets.savings_report,
]
CHECKS = [
    assets.cur_ecr_lines_match_source,
    assets.ecr_cost_marts_reconcile,
    assets.savings_report_fresh,
]

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[jobs.monthly_job],
    schedules=[jobs.monthly_schedule],
    sensors=[jobs.billing_files_changed],
    resources={"ecrcost": EcrcostResource()},
    executor=dg.in_process_executor,
)
