"""`ingest --engine spark`: Spark extracts each period's ECR lines; the normal loader loads them.

Spark reads the same locations as the default engine (a folder, or `s3://` through `s3a://`),
the same current files (`layout.discover`: manifests, executions, status), or a catalog table
(`--table db.table`). The extraction is `extract.render(...)` in Spark SQL; its output, the
canonical ECR lines, is written as Parquet to a staging folder (`Staging`) and loaded by
`load.load_extracted`. `extract_location` and `extract_table` take a SparkSession, so a
Databricks or Glue job calls them with its own session (docs/large-bills.md).
"""

from __future__ import annotations

import re
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ecrcost.billing import extract
from ecrcost.billing.extract import EngineRun
from ecrcost.billing.layout import PeriodFiles, discover
from ecrcost.billing.load import (
    Extracted,
    _check_args,
    _wanted,
    load_extracted,
)
from ecrcost.billing.location import Location, S3Location, open_location
from ecrcost.billing.readers import first_line
from ecrcost.errors import UserError
from ecrcost.periods import Period
from ecrcost.progress import Progress

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import DataFrame, SparkSession

    from ecrcost.aws import AwsAccess

VIEW = "ecrcost_bill"
# Rows are read and periods formatted in UTC; timestamps are written as Parquet's
# TIMESTAMP_MICROS (not INT96); column names keep their case (a legacy CSV's
# `resourceTags/user:team` and `resourceTags/user:Team` are two tag keys, and the extraction
# names every column as the source spells it). All are runtime settings: a cluster's session
# takes them.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.caseSensitive": "true",
}


def spark_session(master: str = "local[*]", conf: dict[str, str] | None = None) -> SparkSession:
    """The active session (a cluster's, Databricks' or Glue's), else a new one on `master`."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UserError(
            "--engine spark needs pyspark: pip install 'ecrcost[spark]' (and a Java runtime)"
        ) from None
    spark = SparkSession.getActiveSession()
    if spark is None:
        builder = SparkSession.builder.master(master).appName("ecrcost")
        quiet = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}
        for key, value in {**quiet, **(conf or {})}.items():
            builder = builder.config(key, value)
        try:
            spark = builder.getOrCreate()
        except spark_errors() as exc:
            raise UserError(
                f"--engine spark: cannot start Spark on {master} ({spark_error(exc)}); "
                "it needs a Java runtime (java -version)"
            ) from None
        # a failure is said in one line (spark_error); Spark's own logs would repeat it
        spark.sparkContext.setLogLevel("FATAL")
    else:  # a running session takes the settings that can change at run time
        for key, value in (conf or {}).items():
            try:
                spark.conf.set(key, value)
            except spark_errors() as exc:
                raise UserError(f"--spark-conf {key}: {spark_error(exc)}") from None
    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    return spark


@dataclass
class Staging:
    """Where Spark writes the extracted lines and where this process reads them from: a local
    folder (a local master, or a folder every node shares: /dbfs/..., an NFS mount), or
    s3://bucket/prefix (written through s3a://, downloaded here). Each run writes its own
    subfolder."""

    root: str
    local: Path  # this process's copy (the folder itself when it is local)
    access: AwsAccess | None = None
    run: str = field(default_factory=lambda: uuid.uuid4().hex)

    def target(self, name: str) -> str:
        if self.root.startswith("s3://"):
            return f"s3a://{self.root[len('s3://') :].rstrip('/')}/{self.run}/{name}"
        return str(Path(self.root) / self.run / name)

    def files(self, name: str) -> list[str]:
        """The Parquet files Spark wrote under `name`, as local paths."""
        if not self.root.startswith("s3://"):
            return sorted(str(p) for p in (Path(self.root) / self.run / name).glob("*.parquet"))
        out = S3Location(f"{self.root.rstrip('/')}/{self.run}/{name}", self.access)
        keys = sorted(e.key for e in out.entries() if e.key.endswith(".parquet"))
        return [str(out.local_path(k, self.local / name)) for k in keys]


def spark_path(loc: Location, key: str) -> str:
    """The path Spark reads a location's file under: s3a:// for S3 (Hadoop's S3 connector)."""
    if isinstance(loc, S3Location):
        return "s3a://" + loc.display(key)[len("s3://") :]
    return str(Path(loc.display(key)).resolve())


def _columns(df: DataFrame) -> dict[str, str]:
    return {f.name: f.dataType.simpleString() for f in df.schema.fields}


def spark_errors() -> tuple[type[Exception], ...]:
    """What a Spark call fails with: pyspark's own errors, and a JVM exception py4j carries."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JJavaError)


def spark_error(exc: Exception) -> str:
    """The first line of a Spark failure, without the JVM's class name."""
    java = getattr(exc, "java_exception", None)
    text = first_line(Exception(str(java))) if java is not None else first_line(exc)
    return re.sub(r"^([a-z]+\.)+[A-Za-z]+(Exception|Error): ", "", text)


def _read(spark: SparkSession, paths: list[str], where: str) -> DataFrame:
    try:
        if all(p.lower().endswith(".parquet") for p in paths):
            return spark.read.option("mergeSchema", "true").parquet(*paths)
        if all(p.lower().endswith((".csv", ".csv.gz")) for p in paths):
            # every column as text, as the default engine reads CSV; '' is NULL
            return spark.read.options(header=True, inferSchema=False, escape='"').csv(paths)
    except spark_errors() as exc:
        raise UserError(
            f"{where}: Spark cannot read the billing files: {spark_error(exc)}"
        ) from None
    raise UserError(
        f"{where}: the spark engine reads Parquet and CSV (.csv, .csv.gz) files; "
        "use --engine duckdb for ZIP-compressed or mixed files"
    )


def _write(spark: SparkSession, sql: str, staging: Staging, name: str, where: str) -> list[str]:
    """Run the extraction, write its lines as Parquet to the staging folder `name`; the files
    written, as local paths."""
    try:
        spark.sql(sql).write.mode("overwrite").parquet(staging.target(name))
    except spark_errors() as exc:
        raise UserError(f"{where}: the Spark extraction failed: {spark_error(exc)}") from None
    return staging.files(name)


def extract_location(
    spark: SparkSession,
    location: str,
    staging: Staging,
    fmt: str = "auto",
    periods: list[str] | None = None,
    access: AwsAccess | None = None,
) -> tuple[str, list[Extracted]]:
    """Each period folder's current files read by Spark; its ECR lines written under
    `staging`. Returns the location's URL and one extraction per period."""
    _check_args(fmt, periods)
    loc = open_location(location, access)
    groups = _wanted(discover(loc), periods, loc.url)
    if groups[0].layout == "loose":
        raise UserError(
            f"{loc.url}: the spark engine reads period folders (a CUR, CUR 2.0 or FOCUS "
            "report folder) or a --table; loose files: use --engine duckdb"
        )
    out = []
    with Progress("billing periods (spark)", len(groups)) as progress:
        for g in groups:
            out.append(_extract_folder(spark, loc, g, fmt, staging))
            progress.advance()
    return loc.url, out


def _extract_folder(
    spark: SparkSession, loc: Location, g: PeriodFiles, fmt: str, staging: Staging
) -> Extracted:
    assert g.period is not None
    where = loc.display(g.root) if g.root else loc.url
    files: list[str] = []
    source_format = "cur2" if g.layout == "export" else fmt
    if g.files:
        df = _read(spark, [spark_path(loc, e.key) for e in g.files], where)
        kind = "parquet" if g.files[0].key.lower().endswith(".parquet") else "csv"
        info = extract.table_info(where, _columns(df), g.layout, fmt, kind)
        df.createOrReplaceTempView(VIEW)
        sql = extract.render("spark", info, VIEW, g.period, g.period)
        files = _write(spark, sql, staging, g.period, where)
        source_format = info.fmt
    x = Extracted(
        g.period, source_format, files, where, g.period, g.complete, g.fingerprint(), g.notes
    )
    x.scanned_bytes = sum(e.size for e in g.files)
    return x


def extract_table(
    spark: SparkSession, table: str, staging: Staging, periods: list[str], fmt: str = "auto"
) -> list[Extracted]:
    """A catalog table of the bill (`db.table`): each period's rows (their own billing period,
    reading only that period's partitions when the table has AWS's partition columns)."""
    try:
        df = spark.table(table)
        partitions = [c.name for c in spark.catalog.listColumns(table) if c.isPartition]
    except spark_errors() as exc:
        raise UserError(f"--table {table}: {spark_error(exc)}") from None
    info = extract.table_info(f"table {table}", _columns(df), "", fmt)
    out = []
    for period in periods:
        sql = extract.render(
            "spark", info, table, period, None, extract.partition_filter(partitions, period)
        )
        files = _write(spark, sql, staging, period, f"table {table}")
        out.append(Extracted(period, info.fmt, files, f"table {table}", None))
    return out


def ingest_spark(
    con: duckdb.DuckDBPyConnection,
    settings,
    periods: list[str] | None = None,
    access: AwsAccess | None = None,
) -> EngineRun:
    """`ingest --engine spark`: `settings.billing_table` or `settings.cur_location` through
    Spark on `settings.spark_master`, loaded into the warehouse; with the bytes of the bill
    files Spark read (None for a table: the catalog does not say)."""
    spark = spark_session(settings.spark_master, dict(settings.spark_conf))
    with tempfile.TemporaryDirectory(prefix="ecrcost-spark-") as tmp:
        staging = Staging(settings.spark_staging or tmp, Path(tmp), access)
        if settings.billing_table:
            wanted = periods or [str(Period.last_closed())]
            _check_args(settings.cur_format, wanted)
            found = extract_table(
                spark, settings.billing_table, staging, wanted, settings.cur_format
            )
            where = f"table {settings.billing_table}"
        else:
            if not settings.cur_location:
                raise UserError("no billing location: pass --cur FOLDER|s3://... or --table")
            where, found = extract_location(
                spark, settings.cur_location, staging, settings.cur_format, periods, access
            )
            scanned = sum(x.scanned_bytes or 0 for x in found)
        return EngineRun("spark", load_extracted(con, where, found), scanned)
