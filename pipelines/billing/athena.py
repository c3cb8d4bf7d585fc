"""`ingest --engine athena`: an UNLOAD of each period's ECR lines where the bill already is.

The table is a Glue/Athena table of the CUR, CUR 2.0 or FOCUS export (the AWS integration's
table, or CID's). Its columns are read from the Glue Data Catalog; the extraction is
`extract.render(...)` in Trino, wrapped in `UNLOAD (...) TO 's3://...' WITH (format =
'PARQUET')`; the query is polled to completion (stopped on timeout or Ctrl-C with
StopQueryExecution), its Parquet output downloaded and loaded by `load.load_extracted`.
What each query scanned and what that costs is reported (docs/large-bills.md).
"""

from __future__ import annotations

import math
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecrcost.aws import AwsAccess, api_errors
from ecrcost.billing import extract
from ecrcost.billing.extract import EngineRun
from ecrcost.billing.load import Extracted, _check_args, load_extracted
from ecrcost.billing.location import S3Location
from ecrcost.errors import UserError
from ecrcost.fmt import human_bytes, money
from ecrcost.periods import Period

if TYPE_CHECKING:
    import duckdb

    from ecrcost.billing.readers import FileInfo

# Athena's price for SQL queries (aws.amazon.com/athena/pricing): $5.00 per TB scanned, bytes
# rounded up to the nearest megabyte, 10 MB minimum per query (docs/large-bills.md).
PRICE_PER_TB = 5.0
MB = 1 << 20
TB = 1 << 40
MINIMUM_BYTES = 10 * MB
DONE = {"SUCCEEDED", "FAILED", "CANCELLED"}


def scan_cost(scanned_bytes: int) -> float:
    """Dollars Athena charges for a query that scanned `scanned_bytes`."""
    billed = max(math.ceil(scanned_bytes / MB) * MB, MINIMUM_BYTES)
    return billed * PRICE_PER_TB / TB


@dataclass(frozen=True)
class AthenaTable:
    database: str
    table: str
    workgroup: str
    output_location: str  # s3://bucket/prefix: query results and the UNLOAD output

    @classmethod
    def from_settings(cls, settings: Any) -> AthenaTable:
        name = settings.billing_table
        if not name:
            raise UserError("--engine athena needs --table TABLE (or DATABASE.TABLE)")
        database, _, table = name.rpartition(".")
        database = settings.athena_database or database
        if not database:
            raise UserError(f"--table {name}: which database? pass --database or DATABASE.TABLE")
        if not settings.athena_output_location:
            raise UserError(
                "--engine athena needs --output-location s3://bucket/prefix (where Athena "
                "writes the query results and the UNLOAD of the ECR lines)"
            )
        return cls(
            database, table, settings.athena_workgroup, settings.athena_output_location.rstrip("/")
        )

    @property
    def sql_name(self) -> str:
        return ".".join('"' + part.replace('"', '""') + '"' for part in (self.database, self.table))


@dataclass
class AthenaQuery:
    period: str
    query_id: str
    scanned_bytes: int
    cost: float


def table_columns(glue: Any, t: AthenaTable) -> tuple[dict[str, str], list[str]]:
    """The table's columns (name -> Glue type, partition columns included) and its partition
    columns, from the Glue Data Catalog."""
    try:
        table = glue.get_table(DatabaseName=t.database, Name=t.table)["Table"]
    except api_errors() as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "") or str(exc)
        raise UserError(
            f"--table {t.database}.{t.table}: cannot read it from Glue: {code}"
        ) from None
    columns = {c["Name"]: c["Type"] for c in table.get("StorageDescriptor", {}).get("Columns", [])}
    partitions = [c["Name"] for c in table.get("PartitionKeys", [])]
    for c in table.get("PartitionKeys", []):
        columns.setdefault(c["Name"], c["Type"])
    return columns, partitions


def unload_sql(select: str, target: str) -> str:
    """UNLOAD of `select` to an empty S3 folder as Parquet (AWS: the TO location must be empty)."""
    quoted = target.replace("'", "''")
    return (
        f"UNLOAD (\n{select}\n)\nTO '{quoted}'\nWITH (format = 'PARQUET', compression = 'SNAPPY')"
    )


def run_query(
    athena: Any,
    sql: str,
    t: AthenaTable,
    timeout: float,
    what: str,
) -> dict:
    """Start `sql`, poll it to SUCCEEDED (its QueryExecution); FAILED or CANCELLED is an error
    with Athena's reason. Past `timeout` seconds, or on Ctrl-C, the query is stopped first."""
    try:
        query_id = athena.start_query_execution(
            QueryString=sql,
            QueryExecutionContext={"Database": t.database},
            WorkGroup=t.workgroup,
            ResultConfiguration={"OutputLocation": f"{t.output_location}/"},
        )["QueryExecutionId"]
    except api_errors() as exc:
        raise UserError(f"{what}: Athena refused the query: {_reason(exc)}") from None
    started, wait = time.monotonic(), 0.5
    try:
        while True:
            execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            status = execution["Status"]
            if status["State"] == "SUCCEEDED":
                return execution
            if status["State"] in DONE:
                reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get(
                    "ErrorMessage", "no reason given"
                )
                raise UserError(f"{what}: Athena query {query_id} {status['State']}: {reason}")
            if time.monotonic() - started > timeout:
                _stop(athena, query_id)
                raise UserError(
                    f"{what}: Athena query {query_id} still {status['State']} after "
                    f"{timeout:.0f} s (athena_timeout); stopped it"
                )
            pause(wait)
            wait = min(wait * 2, 5.0)
    except KeyboardInterrupt:
        _stop(athena, query_id)
        raise
    except api_errors() as exc:
        raise UserError(f"{what}: polling Athena query {query_id} failed: {_reason(exc)}") from None


def pause(seconds: float) -> None:
    """The wait between two polls of a running query."""
    time.sleep(seconds)


def _stop(athena: Any, query_id: str) -> None:
    """StopQueryExecution; a query that already finished cannot be stopped, and that is fine."""
    try:
        athena.stop_query_execution(QueryExecutionId=query_id)
    except api_errors():
        pass


def _reason(exc: Exception) -> str:
    error = getattr(exc, "response", {}).get("Error", {})
    return f"{error.get('Code', '')}: {error.get('Message', '')}".strip(": ") or str(exc)


def extract_period(
    athena: Any,
    t: AthenaTable,
    info: FileInfo,
    partitions: list[str],
    period: str,
    workdir: Path,
    timeout: float,
    access: AwsAccess | None = None,
) -> tuple[Extracted, AthenaQuery]:
    """One period: UNLOAD its ECR lines, wait, download the Parquet files."""
    select = extract.render(
        "athena", info, t.sql_name, period, None, extract.partition_filter(partitions, period)
    )
    target = f"{t.output_location}/ecrcost-unload/{period}/{uuid.uuid4()}/"
    where = f"table {t.database}.{t.table}"
    execution = run_query(athena, unload_sql(select, target), t, timeout, where)
    scanned = int(execution.get("Statistics", {}).get("DataScannedInBytes", 0))
    output = S3Location(target, access)
    files = [
        str(output.local_path(e.key, workdir / period))
        for e in sorted(output.entries(), key=lambda e: e.key)
    ]
    query = AthenaQuery(period, execution["QueryExecutionId"], scanned, scan_cost(scanned))
    return Extracted(period, info.fmt, files, where, None, scanned_bytes=scanned), query


def ingest_athena(
    con: duckdb.DuckDBPyConnection,
    settings: Any,
    periods: list[str] | None = None,
    access: AwsAccess | None = None,
) -> EngineRun:
    """`ingest --engine athena`: each period (default: the last closed month) through one
    UNLOAD, all loaded in one transaction; with what each query scanned and cost."""
    t = AthenaTable.from_settings(settings)
    wanted = periods or [str(Period.last_closed())]
    _check_args(settings.cur_format, wanted)
    access = access or AwsAccess.from_settings(settings)
    region = settings.regions[0] if len(settings.regions) == 1 else None
    athena = access.client("athena", None, region)
    columns, partitions = table_columns(access.client("glue", None, region), t)
    info = extract.table_info(f"table {t.database}.{t.table}", columns, "", settings.cur_format)
    found, queries = [], []
    with tempfile.TemporaryDirectory(prefix="ecrcost-athena-") as tmp:
        for period in wanted:
            x, q = extract_period(
                athena,
                t,
                info,
                partitions,
                period,
                Path(tmp),
                settings.athena_timeout,
                access,
            )
            found.append(x)
            queries.append(q)
        result = load_extracted(con, f"athena:{t.database}.{t.table}", found)
    return EngineRun(
        "athena",
        result,
        sum(q.scanned_bytes for q in queries),
        sum(q.cost for q in queries),
        [
            f"{q.period}: Athena query {q.query_id} scanned {human_bytes(q.scanned_bytes)}, "
            f"{money(q.cost, 6)} at $5/TB (10 MB minimum)"
            for q in queries
        ],
    )
