"""`ecrcost run` (the whole pipeline through Dagster, in-process) and `ecrcost demo`."""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from pipelines.cli import home_option
from pipelines.errors import EcrcostError, UserError

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run",
        help="materialize the pipeline (inventory, billing, marts, reports) for billing periods",
        description="Runs every Dagster asset in-process for the given billing periods; with "
        "DAGSTER_HOME set, the runs show in `dagster dev`.",
    )
    which = run.add_mutually_exclusive_group(required=True)
    which.add_argument("--period", action="append", metavar="YYYY-MM", help="repeatable")
    which.add_argument("--all", action="store_true", help="every period the CUR location holds")
    run.add_argument("--cur", dest="cur_location", metavar="LOCATION", help="folder or s3://…")
    run.add_argument("--inventory-snapshot", metavar="FILE", help="use a saved snapshot, not AWS")
    home_option(run)
    run.set_defaults(handler=_run)

    demo = sub.add_parser(
        "demo",
        help="generate the sample organisation and run the whole pipeline on it",
    )
    home_option(demo)
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(handler=_demo)


def _resource(settings):
    from pipelines.orchestration.resources import EcrcostResource

    return EcrcostResource(
        home=str(settings.home),
        cur_location=settings.cur_location,
        inventory_snapshot=settings.inventory_snapshot,
    )


def _periods_in_location(settings) -> list[str]:
    from pipelines.billing import location_fingerprints

    if not settings.cur_location:
        raise UserError("no CUR location: pass --cur LOCATION or set ECRCOST_CUR_LOCATION")
    return sorted(location_fingerprints(settings.cur_location, settings.cur_format))


def _run(args, settings) -> int:
    from pipelines.orchestration.runner import materialize_periods

    if args.inventory_snapshot:
        from dataclasses import replace

        settings = replace(settings, inventory_snapshot=args.inventory_snapshot)
    periods = _periods_in_location(settings) if args.all else args.period
    bad = [p for p in periods if not PERIOD.match(p)]
    if bad:
        raise UserError(f"--period {bad[0]}: expected YYYY-MM")
    outcome = materialize_periods(_resource(settings), periods)
    if not outcome.success:
        checks = (
            f" (failed checks: {', '.join(outcome.failed_checks)})" if outcome.failed_checks else ""
        )
        raise EcrcostError(f"pipeline run failed for {', '.join(periods)}{checks}")
    print(
        f"materialized {len(periods)} period(s) {periods[0]}..{periods[-1]} into {settings.warehouse_path}"
    )
    return 0


def _demo(args, settings) -> int:
    from dataclasses import replace

    from pipelines import warehouse
    from pipelines.orchestration import summary
    from pipelines.orchestration.runner import materialize_periods
    from pipelines.sample import generate

    started = time.monotonic()
    home = settings.home
    sample_dir = home / "sample"
    org = generate(sample_dir, seed=args.seed)
    settings = replace(
        settings,
        cur_location=str(sample_dir / "cur-legacy-parquet"),
        inventory_snapshot=str(sample_dir / "inventory" / "snapshot.json.gz"),
    )
    con = warehouse.connect(settings.warehouse_path)
    try:
        summary.import_actions(con, sample_dir / "inventory" / "actions.json")
    finally:
        con.close()
    outcome = materialize_periods(_resource(settings), org.periods)
    if not outcome.success:
        raise EcrcostError(f"demo pipeline failed (checks: {', '.join(outcome.failed_checks)})")
    con = warehouse.connect(settings.warehouse_path, read_only=True)
    try:
        lines = summary.demo_summary(con, settings, Path(sample_dir))
    finally:
        con.close()
    print("\n".join(lines))
    print(f"done in {time.monotonic() - started:.1f} s")
    return 0
