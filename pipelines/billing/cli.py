"""`ecrcost ingest`: load a billing location's ECR lines into the warehouse."""

from __future__ import annotations

import argparse
import sys

from pipelines.cli import home_option


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="load ECR lines from a CUR / CUR 2.0 / FOCUS location",
        description="Read billing files (local folder or s3://bucket/prefix) and replace the "
        "ECR lines of each period found in the warehouse.",
    )
    parser.add_argument("--cur", dest="cur_location", help="folder, file or s3://bucket/prefix")
    parser.add_argument(
        "--format",
        dest="cur_format",
        choices=("auto", "cur-legacy", "cur2", "focus"),
        help="billing format (default: detected from the layout and columns)",
    )
    parser.add_argument(
        "--period", action="append", metavar="YYYY-MM", help="only this period (repeatable)"
    )
    home_option(parser)
    parser.set_defaults(handler=run_ingest)


def run_ingest(args: argparse.Namespace, settings) -> int:
    from pipelines.billing.load import ingest
    from pipelines.errors import UserError
    from pipelines.warehouse import connect

    location = settings.cur_location
    if not location:
        raise UserError("no billing location: pass --cur FOLDER|s3://bucket/prefix")
    con = connect(settings.warehouse_path)
    try:
        result = ingest(con, location, settings.cur_format, args.period)
    finally:
        con.close()
    for p in result.periods:
        if p.ecr_rows == 0:
            print(
                f"{p.period}  {p.source_format}  {len(p.files)} file(s)  no ECR spend in {p.period}"
            )
        else:
            print(
                f"{p.period}  {p.source_format}  {len(p.files)} file(s)  {p.ecr_rows} ECR rows"
                f"  ${p.ecr_cost:,.2f}"
            )
        if not p.complete:
            print(f"warning: {p.period} is incomplete: {'; '.join(p.notes)}", file=sys.stderr)
    return 0
