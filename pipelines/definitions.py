"""The single Dagster code location (workspace.yaml points here). Thin: assets call the domain.

In-process executor: DuckDB allows one writing process per file.
"""

import dagster as dg

from pipelines.orchestration import jobs
from pipelines.orchestration.catalog import ASSETS, CHECKS
from pipelines.orchestration.resources import EcrcostResource

defs = dg.Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[jobs.monthly_job],
    schedules=[jobs.monthly_schedule],
    sensors=[jobs.billing_files_changed],
    resources={"ecrcost": EcrcostResource()},
    executor=dg.in_process_executor,
)
