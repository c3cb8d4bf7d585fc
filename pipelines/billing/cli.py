"""`ecrcost ingest`: load a billing location's ECR lines into the warehouse."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from ecrcost import options, warehouse
from ecrcost.aws import AwsAccess
from ecrcost.billing.engines import run_engine
from ecrcost.billing.extract import ENGINES, EngineRun
from ecrcost.billing.load import IngestResult, loaded_since
from ecrcost.errors import Interrupted
from ecrcost.fmt import human_bytes, money


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ingest",
        parents=[options.home(), options.aws()],
        help="load ECR lines from a CUR / CUR 2.0 / FOCUS location",
        description="Read billing files (local folder or s3://bucket/prefix) and replace the "
        "ECR lines of each period found in the warehouse. An s3:// location is read with "
        "--profile (else the standard credential chain); the other AWS options do not apply.",
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
    engines = parser.add_argument_group(
        "engines", "where the ECR lines are extracted (docs/large-bills.md)"
    )
    engines.add_argument(
        "--engine",
        choices=ENGINES,
        help="duckdb (default: on this machine), spark (pyspark: ecrcost[spark]) or athena",
    )
    engines.add_argument(
        "--table",
        dest="billing_table",
        metavar="[DB.]TABLE",
        help="spark: a catalog table instead of --cur; athena: the Glue table of the export "
        "(without --period: the last closed month)",
    )
    engines.add_argument("--database", dest="athena_database", help="athena: the Glue database")
    engines.add_argument(
        "--workgroup", dest="athena_workgroup", help="athena: the workgroup (default primary)"
    )
    engines.add_argument(
        "--output-location",
        dest="athena_output_location",
        metavar="s3://BUCKET/PREFIX",
        help="athena: where the query results and the UNLOAD of the ECR lines are written",
    )
    engines.add_argument(
        "--spark-master", dest="spark_master", help="spark: the master (default local[*])"
    )
    engines.add_argument(
        "--spark-staging",
        dest="spark_staging",
        metavar="FOLDER|s3://BUCKET/PREFIX",
        help="spark: where the extracted lines are written (default: a local temporary "
        "folder; on a cluster a shared folder or S3)",
    )
    engines.add_argument(
        "--spark-conf",
        dest="spark_conf",
        action="append",
        metavar="KEY=VALUE",
        help="spark: a Spark setting (repeatable)",
    )
    parser.set_defaults(handler=run_ingest)


def run_ingest(args: argparse.Namespace, settings) -> int:
    access = AwsAccess.from_settings(settings)
    started = datetime.now(UTC).replace(tzinfo=None)  # billing_loads.loaded_at is naive UTC
    try:
        with warehouse.opened(
            settings.warehouse_path, memory_limit=settings.duckdb_memory_limit
        ) as con:
            run = run_engine(con, settings, args.period, access)
    except KeyboardInterrupt:
        raise Interrupted(interrupted_line(settings.warehouse_path, started)) from None
    for line, warning in report_lines(run.result):
        print(line, file=sys.stderr if warning else sys.stdout)
    for line in engine_lines(run):
        print(line, file=sys.stderr)
    return 0


def engine_lines(run: EngineRun) -> list[str]:
    """What a remote engine read, after the periods (stderr: the periods stay the output)."""
    if run.engine == "duckdb":
        return []
    lines = [f"{run.engine}: {line}" for line in run.notes]
    if run.scan_cost is not None:
        lines.append(
            f"{run.engine}: scanned {human_bytes(run.scanned_bytes)} in all, "
            f"{money(run.scan_cost, 6)}"
        )
    elif run.scanned_bytes is not None:
        lines.append(f"{run.engine}: read {human_bytes(run.scanned_bytes)} of billing files")
    return lines


def interrupted_line(warehouse_path, started: datetime) -> str:
    """What an interrupted ingest kept, read back from the warehouse's billing_loads (the
    periods land in one transaction: an interrupt during COMMIT may still have kept them)."""
    with warehouse.opened(warehouse_path, read_only=True) as con:
        kept = loaded_since(con, started)
    if not kept:
        return "ingest interrupted: no period was loaded; the warehouse holds what it held before"
    return (
        f"ingest interrupted after its load was committed: {len(kept)} period(s) loaded and "
        f"kept ({', '.join(kept)})"
    )


def report_lines(result: IngestResult) -> list[tuple[str, bool]]:
    """What `ecrcost ingest` prints per period: (line, True when it is a warning for stderr)."""
    out = []
    for p in result.periods:
        head = f"{p.period}  {p.source_format}  {len(p.files)} file(s)"
        if p.ecr_rows == 0:
            out.append((f"{head}  no ECR spend in {p.period}", False))
        else:
            out.append((f"{head}  {p.ecr_rows} ECR rows  {money(p.ecr_cost)}", False))
        if not p.complete:
            out.append((f"warning: {p.period} is incomplete: {'; '.join(p.notes)}", True))
        else:  # what was chosen or left out (executions, assemblies, drift) is said, on stderr
            out += [(f"note: {p.period}: {note}", True) for note in p.notes]
    return out
