"""`ecrcost report`: the monthly savings report (HTML, Markdown, CSV) of one billing period.
duckdb and jinja2 load only when the handler runs (start-up time)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ecrcost import options, warehouse
from ecrcost.attribution.marts import periods_kept
from ecrcost.attribution.period_choice import choose_period
from ecrcost.delivery.deliver import deliver_report, failed
from ecrcost.delivery.destinations import parse_destinations
from ecrcost.errors import Interrupted, PartialResult, UserError
from ecrcost.inventory.snapshots import snapshot_in_use
from ecrcost.periods import parse_period, shift_period
from ecrcost.reports.prepare import prepare_report
from ecrcost.reports.render import render_report

HELP = """\
Render one billing period's report from the warehouse: the headline against the comparison
period, the 12-month trend, the playbook analysis, chargeback by tag, biggest movers, findings
and the candidate policy's predicted savings, realized savings of past actions, predictability
and data quality. Writes ecr-report-YYYY-MM.html (self-contained), .md and one CSV per table.
Tables show the top `report_top_n` rows (default 25); their CSV files keep every row.

--deliver then sends the report to every destination of the `deliver` setting (S3, e-mail,
webhook; README "Delivering the report"). A destination that already received this report
(same period, same figures) is skipped; one that fails is named on a `missing:` line, does not
stop the others and is tried again next time (exit 3).

Before rendering, the period's (and the comparison period's) attribution marts are built when
missing or stale, and the period's realized savings are judged again.

--period defaults to the last closed month, or the newest loaded month when that one is not
loaded (said on stderr); --compare must be an earlier period. Findings, the candidate policy
and the repository inventory come from one inventory snapshot: --snapshot ID, else the newest
complete one (`ecrcost snapshots` lists them); the report names it in its data quality section.
CSV files keep full precision: floats to 12 significant digits, flags true/false. Sizes are
GiB (AWS bills a "GB-month" of 2^30 bytes).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        parents=[options.home(), options.period(), options.snapshot()],
        help="the monthly report: spend, chargeback, findings, realized savings",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--compare",
        metavar="YYYY-MM",
        help="an earlier period to compare with (default: the prior)",
    )
    parser.add_argument(
        "--out", metavar="FOLDER", help="output folder (default <home>/reports/<period>/)"
    )
    parser.add_argument(
        "--deliver",
        dest="send_report",  # not `deliver`: flags override settings of their name
        action="store_true",
        help="send the report to the destinations of the `deliver` setting",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings) -> int:
    # The one message for a bad value, before any file is opened; the default needs the warehouse.
    if args.period is not None:
        parse_period(args.period)
    if args.compare is not None:
        parse_period(args.compare, "--compare")
    if args.out is not None and Path(args.out).exists() and not Path(args.out).is_dir():
        raise UserError(f"--out {args.out}: is a file; pass a folder (it is created if missing)")
    if args.send_report and not settings.deliver:
        raise UserError(
            "--deliver: no destination; list them in ecrcost.toml (deliver = [...]) or "
            "ECRCOST_DELIVER"
        )
    parse_destinations(settings.deliver)  # a mistake in the setting stops before any work
    if not settings.warehouse_path.exists():
        raise UserError(
            f"{settings.warehouse_path}: no warehouse; load a bill first (ecrcost ingest) "
            "or pass --home"
        )
    period = compare = None
    try:
        with warehouse.opened(
            settings.warehouse_path, memory_limit=settings.duckdb_memory_limit
        ) as con:
            period = choose_period(con, args.period, settings.warehouse_path)
            compare = args.compare or shift_period(period, -1)
            if compare >= period:
                raise UserError(f"--compare {compare}: must be a period before --period {period}")
            choice = snapshot_in_use(con, args.snapshot)
            snapshot_id = choice.snapshot_id if choice else None
            if choice is not None:
                print(choice.describe(), file=sys.stderr)
            for note in [
                *(choice.notes if choice else ()),
                *prepare_report(con, settings, period, compare, snapshot_id),
            ]:
                print(f"note: {note}", file=sys.stderr)
            files = render_report(
                con,
                settings,
                period,
                compare,
                args.out,
                snapshot_id=snapshot_id,
                snapshot_notes=choice.notes if choice else (),
            )
            deliveries = deliver_report(con, settings, files) if args.send_report else []
    except KeyboardInterrupt:
        if period is None or compare is None:
            raise Interrupted(
                "interrupted before the report started; nothing was written"
            ) from None
        raise Interrupted(_kept_after_interrupt(settings, period, compare)) from None
    print(f"{files.html}")
    print(f"{files.md}")
    print(f"{len(files.csv)} CSV file(s) in {files.out_dir}  (rendered in {files.seconds:.2f} s)")
    for d in deliveries:
        print(d.line(), file=sys.stderr)
    if failed(deliveries):
        lost = len(failed(deliveries))
        others = "the others received it" if lost < len(deliveries) else "none received it"
        raise PartialResult(
            f"{lost} of {len(deliveries)} destination(s) failed (listed above; tried again on "
            f"the next run); the report is written and {others}"
        )
    return 0


def _kept_after_interrupt(settings, period: str, compare: str) -> str:
    """After Ctrl-C: the report is not complete; the marts that landed stay (read back)."""
    with warehouse.opened(
        settings.warehouse_path, memory_limit=settings.duckdb_memory_limit
    ) as con:
        kept = periods_kept(con, sorted({compare, period}))
    marts = ", ".join(p for p, (_, built) in kept.items() if built) or "none"
    return (
        f"interrupted; the report of {period} was not (completely) written; the warehouse "
        f"keeps the marts of {marts}. Run the same command again to finish"
    )
