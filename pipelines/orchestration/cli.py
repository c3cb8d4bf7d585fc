"""`ecrcost run` (the whole pipeline through Dagster, in-process) and `ecrcost demo`.

Both hand their work to ecrcost.orchestration.runner, which loads Dagster (about a second):
it is imported when one of these commands runs, not when `ecrcost --help` builds the parser.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from ecrcost import options, warehouse
from ecrcost.actions.log import import_actions
from ecrcost.billing import location_fingerprints
from ecrcost.errors import EcrcostError, UserError
from ecrcost.orchestration import summary
from ecrcost.periods import parse_period
from ecrcost.sample import generate


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run",
        parents=[options.home(), options.aws()],
        help="materialize the pipeline (inventory, billing, marts, reports) for billing periods",
        description="Runs every Dagster asset in-process for the given billing periods; with "
        "DAGSTER_HOME set, the runs show in `dagster dev`.",
    )
    which = run.add_mutually_exclusive_group(required=True)
    which.add_argument("--period", action="append", metavar="YYYY-MM", help="repeatable")
    which.add_argument("--all", action="store_true", help="every period the CUR location holds")
    run.add_argument("--cur", dest="cur_location", metavar="LOCATION", help="folder or s3://…")
    run.add_argument("--inventory-snapshot", metavar="FILE", help="use a saved snapshot, not AWS")
    run.set_defaults(handler=_run)

    demo = sub.add_parser(
        "demo",
        parents=[options.home()],
        help="generate the sample organisation and run the whole pipeline on it",
    )
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(handler=_demo)


def _periods_in_location(settings) -> list[str]:
    if not settings.cur_location:
        raise UserError("no CUR location: pass --cur LOCATION or set ECRCOST_CUR_LOCATION")
    return sorted(location_fingerprints(settings.cur_location, settings.cur_format))


def _run(args, settings) -> int:
    # The settings already hold --cur, --inventory-snapshot and the AWS flags (their dests are
    # the settings' names); the resource hands exactly these to every asset.
    periods = _periods_in_location(settings) if args.all else args.period
    periods = [parse_period(p) for p in periods]
    outcome = _materialize(settings, periods, args.config)
    if not outcome.success:
        checks = (
            f" (failed checks: {', '.join(outcome.failed_checks)})" if outcome.failed_checks else ""
        )
        raise EcrcostError(f"pipeline run failed for {', '.join(periods)}{checks}")
    print(
        f"materialized {len(periods)} period(s) {periods[0]}..{periods[-1]} "
        f"into {settings.warehouse_path}"
    )
    return 0


def _demo(args, settings) -> int:
    started = time.monotonic()
    sample_dir = settings.home / "sample"
    org = generate(sample_dir, seed=args.seed)
    settings = replace(
        settings,
        cur_location=str(sample_dir / "cur-legacy-parquet"),
        inventory_snapshot=str(sample_dir / "inventory" / "snapshot.json.gz"),
    )
    with warehouse.opened(settings.warehouse_path) as con:
        import_actions(con, sample_dir / "inventory" / "actions.json")
    outcome = _materialize(settings, org.periods, args.config)
    if not outcome.success:
        raise EcrcostError(f"demo pipeline failed (checks: {', '.join(outcome.failed_checks)})")
    with warehouse.opened(settings.warehouse_path, read_only=True) as con:
        lines = summary.demo_summary(con, settings, sample_dir)
    print("\n".join(lines))
    print(f"done in {time.monotonic() - started:.1f} s")
    return 0


def _materialize(settings, periods: list[str], config_file: str | None):
    # Dagster loads here, not at start-up (see the module docstring).
    from ecrcost.orchestration.runner import run_pipeline

    return run_pipeline(settings, periods, config_file)
