"""`ecrcost run` (the whole pipeline through Dagster, in-process) and `ecrcost demo`: the parsers.

Their handlers (`orchestration/commands.py`) load Dagster, about a second: they are named as
"module:function", so `ecrcost --help` and every other command never pay for it.
"""

from __future__ import annotations

import argparse

from ecrcost import options

COMMANDS = "ecrcost.orchestration.commands"


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
    run.set_defaults(handler=f"{COMMANDS}:run")

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
    demo.set_defaults(handler=f"{COMMANDS}:demo")


def _verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show Dagster's logs (default: a failed run prints its cause in one line)",
    )
