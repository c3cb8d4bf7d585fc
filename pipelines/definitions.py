"""The single Dagster code location (workspace.yaml points here). Thin: assets call the domain.

In-process executor: DuckDB allows one writing process per file.
"""

import dagster as dg

from ecrcost.orchestration import jobs
from ecrcost.orchestration.catalog import ASSETS, CHECKS
from ecrcost.orchestration.resources import EcrcostResource

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[jobs.monthly_job],
    schedules=[jobs.monthly_schedule],
    sensors=[jobs.billing_files_changed],
    resources={"ecrcost": EcrcostResource()},
    executor=dg.in_process_executor,
)
