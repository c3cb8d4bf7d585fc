"""Every asset and asset check of the pipeline, listed once: the code location
(ecrcost.definitions) and in-process runs (ecrcost.orchestration.runner) both use these."""

from ecrcost.orchestration import assets

ASSETS = [
    assets.policy_actions,
    assets.ecr_inventory,
    assets.cur_ecr_lines,
    assets.ecr_cost_marts,
    assets.ecr_findings,
    assets.candidate_policy_plan,
    assets.realized_savings,
    assets.savings_report,
    assets.report_delivery,
]
CHECKS = [
    assets.cur_ecr_lines_match_source,
    assets.ecr_cost_marts_reconcile,
    assets.savings_report_fresh,
]
