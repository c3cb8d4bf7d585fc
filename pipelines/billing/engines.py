"""Which engine extracts a period's ECR lines (setting `engine`, `ingest --engine`): the one
call the CLI and Dagster make. Everything after the extraction is the same load."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecrcost.billing.athena import ingest_athena
from ecrcost.billing.extract import EngineRun, check_engine
from ecrcost.billing.load import ingest
from ecrcost.billing.spark import ingest_spark
from ecrcost.errors import UserError

if TYPE_CHECKING:
    import duckdb

    from ecrcost.aws import AwsAccess


def run_engine(
    con: duckdb.DuckDBPyConnection,
    settings: Any,
    periods: list[str] | None = None,
    access: AwsAccess | None = None,
) -> EngineRun:
    """Load the periods' ECR lines with `settings.engine` doing the extraction."""
    engine = check_engine(settings.engine)
    if engine == "spark":
        return ingest_spark(con, settings, periods, access)
    if engine == "athena":
        return ingest_athena(con, settings, periods, access)
    if settings.billing_table:
        raise UserError("--table is read by --engine spark or athena; duckdb reads --cur")
    if not settings.cur_location:
        raise UserError("no billing location: pass --cur FOLDER|s3://bucket/prefix")
    return EngineRun(
        "duckdb", ingest(con, settings.cur_location, settings.cur_format, periods, access)
    )
