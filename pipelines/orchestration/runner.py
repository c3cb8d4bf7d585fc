"""Materialize the pipeline in-process, the way `ecrcost run` and `ecrcost demo` do."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import dagster as dg

from ecrcost.errors import UserError
from ecrcost.orchestration.catalog import ASSETS, CHECKS
from ecrcost.orchestration.partitions import billing_periods
from ecrcost.orchestration.resources import EcrcostResource
from ecrcost.settings import Settings

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class RunOutcome:
    periods: list[str]
    success: bool
    failed_checks: list[str]
    checks: list[dg.AssetCheckEvaluation] = field(default_factory=list)  # every evaluation


def _instance() -> dg.DagsterInstance:
    # With DAGSTER_HOME the runs show in `dagster dev`; without it they stay in memory.
    return (
        dg.DagsterInstance.get()
        if os.environ.get("DAGSTER_HOME")
        else dg.DagsterInstance.ephemeral()
    )


def materialize_periods(resource: dg.ConfigurableResource, periods: Sequence[str]) -> RunOutcome:
    """Runs, one after the other (one DuckDB writer), each over a contiguous range of periods."""
    periods = sorted(set(periods))
    known = billing_periods.get_partition_keys()
    unknown = [p for p in periods if p not in known]
    if unknown:
        raise UserError(
            f"period(s) {', '.join(unknown)} are outside {known[0]}..{known[-1]} "
            "(set first_period in ecrcost.toml for older months)"
        )
    blocks: list[list[str]] = []
    for period in periods:
        if blocks and known.index(period) == known.index(blocks[-1][-1]) + 1:
            blocks[-1].append(period)
        else:
            blocks.append([period])
    outcome = RunOutcome(periods=periods, success=True, failed_checks=[])
    for block in blocks:
        success, evaluations = _materialize_range(resource, block[0], block[-1])
        outcome.success &= success
        outcome.failed_checks += [e.check_name for e in evaluations if not e.passed]
        outcome.checks += evaluations
    return outcome


def _materialize_range(resource: dg.ConfigurableResource, first: str, last: str):
    tags = {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }
    result = dg.materialize(
        [a for a in ASSETS if isinstance(a, dg.AssetsDefinition)] + CHECKS,
        instance=_instance(),
        resources={"ecrcost": resource},
        tags=tags,
        run_config=QUIET_LOGS,
        raise_on_error=False,
    )
    evaluations = list(result.get_asset_check_evaluations())
    return result.success and all(e.passed for e in evaluations), evaluations


def run_pipeline(settings: Settings, periods: Sequence[str], config_file: str | None = None):
    """`ecrcost run` / `ecrcost demo`: every asset over `periods` with the command's settings
    (home, CUR location, snapshot file, AWS flags) handed to the Dagster resource."""
    return materialize_periods(EcrcostResource.from_settings(settings, config_file), periods)
