"""The single Dagster code location (workspace.yaml points here). Thin: assets call the domain."""

import dagster as dg

defs = dg.Definitions(assets=[], executor=dg.in_process_executor)
