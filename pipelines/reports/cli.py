"""`ecrcost report`: the monthly savings report (HTML, Markdown, CSV) of one billing period.
duckdb and jinja2 load only when the handler runs (start-up time)."""

from __future__ import annotations

import argparse
import sys

from ecrcost import options, sqlfiles, warehouse
from ecrcost.errors import UserError
from ecrcost.periods import parse_period, shift_period
from ecrcost.reports.prepare import prepare_report
from ecrcost.reports.render import render_report

HELP = """\
Render one billing period's report from the warehouse: the headline against the comparison
period, the 12-month trend, the playbook analysis, chargeback by tag, biggest movers, findings
and the candidate policy's predicted savings, realized savings of past actions, predictability
and data quality. Writes ecr-report-YYYY-MM.html (self-contained), .md and one CSV per table.

Before rendering, the period's (and the comparison period's) attribution marts are built when
missing or stale, and the period's realized savings are judged again.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        parents=[options.home()],
        help="the monthly report: spend, chargeback, findings, realized savings",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--period", required=True, help="billing period, YYYY-MM")
    parser.add_argument("--compare", help="period to compare with, YYYY-MM (default: the prior)")
    parser.add_argument("--out", help="output folder (default <home>/reports/<period>/)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings) -> int:
    period = parse_period(args.period)
    compare = parse_period(args.compare, "--compare") if args.compare else shift_period(period, -1)
    if not settings.warehouse_path.exists():
        raise UserError(
            f"{settings.warehouse_path}: no warehouse; load a bill first (ecrcost ingest) "
            "or pass --home"
        )
    with warehouse.opened(settings.warehouse_path) as con:
        if not _loaded(con, period):
            raise UserError(
                f"--period {period}: no billing data for it in {settings.warehouse_path}; "
                "load its bill first (ecrcost ingest) or pick a loaded period"
            )
        for note in prepare_report(con, settings, period, compare):
            print(f"note: {note}", file=sys.stderr)
        files = render_report(con, settings, period, compare, args.out)
    print(f"{files.html}")
    print(f"{files.md}")
    print(f"{len(files.csv)} CSV file(s) in {files.out_dir}  (rendered in {files.seconds:.2f} s)")
    return 0


def _loaded(con, period: str) -> bool:
    lines = sqlfiles.run(con, "reports/period_totals", {"periods": [period]}).fetchall()
    return bool(lines) or bool(
        sqlfiles.run(con, "reports/billing_load", {"period": period}).fetchall()
    )
