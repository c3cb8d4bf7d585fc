"""`ecrcost run` (the whole pipeline through Dagster, in-process) and `ecrcost demo`.

Both hand their work to ecrcost.orchestration.runner, which loads Dagster (about a second):
it is imported when one of these commands runs, not when `ecrcost --help` builds the parser.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace

from ecrcost import options, warehouse
from ecrcost.actions.log import import_actions
from ecrcost.billing import location_fingerprints
from ecrcost.errors import EcrcostError, Interrupted, UserError
from ecrcost.orchestration import summary
from ecrcost.periods import parse_period
from ecrcost.sample import generate


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run",
        parents=[options.home(), options.aws()],
        help="materialize the pipeline (inventory, billing, marts, reports) for billing periods",
        description="Runs every Dagster asset in-process for the given billing periods; with "
        "DAGSTER_HOME set, the runs show in `dagster dev`. The periods are named (--period, "
        "repeatable) or --all: a run writes every stage of the warehouse, so which months it "
        "rebuilds is never guessed. It prints the settings it uses (home, bill, inventory "
        "source, AWS options) on stderr; a failure is one line, Dagster's logs need --verbose; "
        "Ctrl-C says which periods the warehouse kept.",
    )
    which = run.add_mutually_exclusive_group(required=True)
    which.add_argument("--period", action="append", metavar="YYYY-MM", help="repeatable")
    which.add_argument("--all", action="store_true", help="every period the CUR location holds")
    run.add_argument("--cur", dest="cur_location", metavar="LOCATION", help="folder or s3://…")
    run.add_argument("--inventory-snapshot", metavar="FILE", help="use a saved snapshot, not AWS")
    _verbose(run)
    run.set_defaults(handler=_run)

    demo = sub.add_parser(
        "demo",
        parents=[options.home()],
        help="generate the sample organisation and run the whole pipeline on it",
        description="Writes a sample organisation (12 months of bill, an inventory snapshot, "
        "past actions) under <home>/sample, runs the whole pipeline on it and prints what it "
        "found, where the outputs are, and the next commands to try on the demo's data (each "
        "with --home). Needs no AWS account.",
    )
    demo.add_argument("--seed", type=int, default=7)
    _verbose(demo)
    demo.set_defaults(handler=_demo)


def _verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show Dagster's logs (default: a failed run prints its cause in one line)",
    )


def _periods_in_location(settings) -> list[str]:
    return sorted(location_fingerprints(settings.cur_location, settings.cur_format))


def _run(args, settings) -> int:
    # The settings already hold --cur, --inventory-snapshot and the AWS flags (their dests are
    # the settings' names); the resource hands exactly these to every asset.
    periods = [] if args.all else [parse_period(p) for p in args.period]
    if not settings.cur_location:
        raise UserError("no CUR location: pass --cur LOCATION or set ECRCOST_CUR_LOCATION")
    periods = periods or [parse_period(p) for p in _periods_in_location(settings)]
    if not periods:
        raise UserError(f"--all: no billing period found in {settings.cur_location}")
    print(summary.run_settings(settings), file=sys.stderr)
    _materialize(settings, periods, args.config, args.verbose, "run")
    print(
        f"materialized {len(periods)} period(s) {periods[0]}..{periods[-1]} "
        f"into {settings.warehouse_path}"
    )
    return 0


def _demo(args, settings) -> int:
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
        with warehouse.opened(settings.warehouse_path) as con:
            import_actions(con, sample_dir / "inventory" / "actions.json")
    except KeyboardInterrupt:
        raise Interrupted(summary.kept_after_interrupt(settings, org.periods)) from None
    _materialize(settings, org.periods, args.config, args.verbose, "demo")
    with warehouse.opened(settings.warehouse_path, read_only=True) as con:
        lines = summary.demo_summary(con, settings, sample_dir)
    print("\n".join(lines))
    print(f"done in {time.monotonic() - started:.1f} s")
    return 0


def _materialize(settings, periods: list[str], config_file: str | None, verbose: bool, what: str):
    """Run the pipeline; a failure is one line (the failing step and its error, or the failed
    check and what it checks), Ctrl-C says what the warehouse kept (exit 130)."""
    # Dagster loads here, not at start-up (see the module docstring).
    from ecrcost.orchestration.runner import run_pipeline

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
