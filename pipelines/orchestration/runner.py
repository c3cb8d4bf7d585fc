"""Materialize the pipeline in-process, the way `ecrcost run` and `ecrcost demo` do."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import dagster as dg

from ecrcost.errors import UserError
from ecrcost.orchestration.catalog import ASSETS, CHECKS
from ecrcost.orchestration.jobs import monthly_job
from ecrcost.orchestration.partitions import billing_periods
from ecrcost.orchestration.resources import EcrcostResource
from ecrcost.settings import Settings

# Without --verbose a run prints nothing of Dagster's logs: the command prints the cause of a
# failure in one line (RunOutcome.cause); --verbose shows every event.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
VERBOSE_LOGS = {"loggers": {"console": {"config": {"log_level": "DEBUG"}}}}
# What Dagster reports for a step stopped by Ctrl-C (in-process it ends the run as a failure).
_INTERRUPTS = ("KeyboardInterrupt", "DagsterExecutionInterruptedError")


@dataclass
class StepFailure:
    step: str
    error_class: str  # the innermost exception's class, e.g. "UserError"
    message: str  # its message's first line, without the class name


@dataclass
class RunOutcome:
    periods: list[str]
    success: bool
    failed_checks: list[str]
    checks: list[dg.AssetCheckEvaluation] = field(default_factory=list)  # every evaluation
    failures: list[StepFailure] = field(default_factory=list)
    interrupted: bool = False

    def cause(self) -> str | None:
        """One line: the first failing step and its error, else the failed checks and what
        each one checks; None when the run succeeded."""
        failures = self._failures()
        if failures:
            f = failures[0]
            more = f" (and {len(failures) - 1} more step(s))" if len(failures) > 1 else ""
            return f"step {f.step}: {f.message}{more}"
        failed = [e for e in self.checks if not e.passed]
        if failed:
            descriptions = check_descriptions()
            return "; ".join(
                f"check {e.check_name} ({descriptions.get(e.check_name) or 'no description'})"
                for e in failed
            )
        return None if self.success else "Dagster reported a failure"

    def _failures(self) -> list[StepFailure]:
        """Failed steps other than a blocking check's own (its step fails with the check)."""
        failed = [e.check_name for e in self.checks if not e.passed]
        return [f for f in self.failures if not any(f.step.endswith(c) for c in failed)]

    @property
    def user_error(self) -> bool:
        """The first failure is an ecrcost UserError: bad input the user fixes (exit 2)."""
        failures = self._failures()
        return bool(failures) and failures[0].error_class == "UserError"


def check_descriptions() -> dict[str, str]:
    """Each asset check's name and its description (what it checks), from the catalog."""
    return {spec.name: spec.description or "" for check in CHECKS for spec in check.check_specs}


def _instance() -> dg.DagsterInstance:
    # With DAGSTER_HOME the runs show in `dagster dev`; without it they stay in memory.
    return (
        dg.DagsterInstance.get()
        if os.environ.get("DAGSTER_HOME")
        else dg.DagsterInstance.ephemeral()
    )


def materialize_periods(
    resource: dg.ConfigurableResource, periods: Sequence[str], verbose: bool = False
) -> RunOutcome:
    """Runs, one after the other (one DuckDB writer), each over a contiguous range of periods;
    an interrupted run (Ctrl-C) stops the ones after it."""
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
    with _instance() as instance:  # disposed after: no temporary folder left behind
        for block in blocks:
            if not _run_block(instance, resource, block, verbose, outcome):
                break
    return outcome


def _run_block(
    instance: dg.DagsterInstance,
    resource: dg.ConfigurableResource,
    block: list[str],
    verbose: bool,
    outcome: RunOutcome,
) -> bool:
    """One run over a contiguous range; False when it was interrupted (stop the rest)."""
    result = _materialize_range(instance, resource, block[0], block[-1], verbose)
    evaluations = list(result.get_asset_check_evaluations())
    outcome.success &= result.success and all(e.passed for e in evaluations)
    outcome.failed_checks += [e.check_name for e in evaluations if not e.passed]
    outcome.checks += evaluations
    outcome.failures += _step_failures(result)
    outcome.interrupted = _interrupted(result, outcome.failures)
    return not outcome.interrupted


def _step_failures(result: dg.ExecuteInProcessResult) -> list[StepFailure]:
    failures = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None and error.cause is not None:
            error = error.cause  # Dagster wraps the asset's own exception
        if error is None:
            failures.append(StepFailure(event.step_key, "", "failed"))
            continue
        first = (error.message.strip().splitlines() or [error.cls_name])[0]
        head, sep, rest = first.partition(": ")
        message = rest if sep and head.rsplit(".", 1)[-1] == error.cls_name else first
        failures.append(StepFailure(event.step_key, error.cls_name, message))
    return failures


def _interrupted(result: dg.ExecuteInProcessResult, failures: list[StepFailure]) -> bool:
    if any(f.error_class in _INTERRUPTS for f in failures):
        return True
    return any(
        event.event_type == dg.DagsterEventType.RUN_FAILURE
        and "interrupted" in (event.message or "")
        for event in result.all_events
    )


def _materialize_range(
    instance: dg.DagsterInstance,
    resource: dg.ConfigurableResource,
    first: str,
    last: str,
    verbose: bool,
) -> dg.ExecuteInProcessResult:
    tags = {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }
    # The monthly job itself (not an ephemeral one): CLI runs are recorded under its name.
    job = dg.Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[monthly_job],
        resources={"ecrcost": resource},
        executor=dg.in_process_executor,
    ).resolve_job_def(monthly_job.name)
    return job.execute_in_process(
        instance=instance,
        tags=tags,
        run_config=VERBOSE_LOGS if verbose else QUIET_LOGS,
        raise_on_error=False,
    )


def run_pipeline(
    settings: Settings,
    periods: Sequence[str],
    config_file: str | None = None,
    verbose: bool = False,
) -> RunOutcome:
    """`ecrcost run` / `ecrcost demo`: every asset over `periods` with the command's settings
    (home, CUR location, snapshot file, AWS flags) handed to the Dagster resource."""
    resource = EcrcostResource.from_settings(settings, config_file)
    return materialize_periods(resource, periods, verbose=verbose)
