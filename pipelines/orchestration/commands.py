"""What `ecrcost run` and `ecrcost demo` do. Importing this module loads Dagster (about a
second, through the runner), so the parser in `orchestration/cli.py` names these handlers by
"module:function" and `ecrcost.cli` imports this module only when one of them runs.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

from ecrcost import warehouse
from ecrcost.actions.log import import_actions
from ecrcost.billing import location_fingerprints
from ecrcost.errors import EcrcostError, Interrupted, UserError
from ecrcost.orchestration import summary
from ecrcost.orchestration.runner import run_pipeline
from ecrcost.periods import parse_period
from ecrcost.sample import generate


def periods_in_location(settings) -> list[str]:
    return sorted(location_fingerprints(settings.cur_location, settings.cur_format))


def run(args, settings) -> int:
    # The settings already hold --cur, --inventory-snapshot and the AWS flags (their dests are
    # the settings' names); the resource hands exactly these to every asset.
    periods = [] if args.all else [parse_period(p) for p in args.period]
    if not settings.cur_location:
        raise UserError("no CUR location: pass --cur LOCATION or set ECRCOST_CUR_LOCATION")
    periods = periods or [parse_period(p) for p in periods_in_location(settings)]
    if not periods:
        raise UserError(f"--all: no billing period found in {settings.cur_location}")
    print(summary.run_settings(settings), file=sys.stderr)
    _materialize(settings, periods, args.config, args.verbose, "run")
    print(
        f"materialized {len(periods)} period(s) {periods[0]}..{periods[-1]} "
        f"into {settings.warehouse_path}"
    )
    return 0


def demo(args, settings) -> int:
    started = time.monotonic()
    sample_dir = settings.home / "sample"
    try:
        org = generate(sample_dir, seed=args.seed)
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted while writing the sample organisation to {sample_dir}; nothing was "
            "loaded. Run the same command again"
        ) from None
    settings = replace(
        settings,
        cur_location=str(sample_dir / "cur-legacy-parquet"),
        inventory_snapshot=str(sample_dir / "inventory" / "snapshot.json.gz"),
    )
    try:
        with warehouse.opened(
            settings.warehouse_path, memory_limit=settings.duckdb_memory_limit
        ) as con:
            import_actions(con, sample_dir / "inventory" / "actions.json")
    except KeyboardInterrupt:
        raise Interrupted(summary.kept_after_interrupt(settings, org.periods)) from None
    _materialize(settings, org.periods, args.config, args.verbose, "demo")
    with warehouse.opened(
        settings.warehouse_path, read_only=True, memory_limit=settings.duckdb_memory_limit
    ) as con:
        lines = summary.demo_summary(con, settings, sample_dir)
    print("\n".join(lines))
    print(f"done in {time.monotonic() - started:.1f} s")
    return 0


def _materialize(settings, periods: list[str], config_file: str | None, verbose: bool, what: str):
    """Run the pipeline; a failure is one line (the failing step and its error, or the failed
    check and what it checks), Ctrl-C says what the warehouse kept (exit 130)."""
    try:
        outcome = run_pipeline(settings, periods, config_file, verbose=verbose)
    except KeyboardInterrupt:
        outcome = None
    if outcome is None or outcome.interrupted:
        raise Interrupted(summary.kept_after_interrupt(settings, periods))
    cause = outcome.cause()
    if cause is not None:
        error = UserError if outcome.user_error else EcrcostError
        logs = "" if verbose else "; --verbose shows Dagster's logs"
        span = periods[0] if len(periods) == 1 else f"{periods[0]}..{periods[-1]}"
        raise error(f"{what} of {span} failed: {cause}{logs}")
    return outcome
