"""Helpers of the engine tests: a DuckDB stand-in for an Athena table of a sample layout, the
Athena SQL run on it, and the figures the engines must agree on."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow as pa

# The sample organisation's layouts (pipelines/sample) by format, and how AWS partitions the
# Athena table over each (legacy CUR: year, month; Data Exports: billing_period).
LAYOUTS = {
    "cur-legacy-parquet": ("cur-legacy-parquet", ["year", "month"]),
    "cur2": ("cur2", ["billing_period"]),
    "focus": ("focus", ["billing_period"]),
}

# Per period, account, repository, usage category and tags: lines and dollars to the cent.
AGREE_SQL = """
SELECT billing_period, usage_account_id, repository_name, usage_category, region,
    CAST(tags AS VARCHAR) AS tags, count(*) AS lines,
    round(sum(CAST(unblended_cost AS DECIMAL(38, 12))), 2) AS cost,
    round(sum(CAST(coalesce(net_cost, 0) AS DECIMAL(38, 12))), 2) AS net,
    round(sum(coalesce(usage_amount, 0)), 6) AS amount
FROM cur_ecr_lines GROUP BY ALL ORDER BY ALL
"""


def agree_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(AGREE_SQL).fetchall()


def hive_type(duck: str) -> str:
    """The Glue/Hive type Athena's table would declare for a Parquet column DuckDB reads."""
    t = duck.upper()
    if t.startswith("MAP("):
        return "map<string,string>"
    if t.startswith("DECIMAL"):
        return t.lower().replace(" ", "")
    return {
        "VARCHAR": "string",
        "DOUBLE": "double",
        "BIGINT": "bigint",
        "INTEGER": "int",
        "TIMESTAMP": "timestamp",
        "TIMESTAMP_MS": "timestamp",
        "BOOLEAN": "boolean",
    }[t]


def athena_view(
    con: duckdb.DuckDBPyConnection,
    sample: Path,
    fmt: str,
    decimal_costs: bool = False,
    empty_tag_key: str | None = None,
) -> tuple[dict[str, str], list[str]]:
    """`"cur"."bill"`: the layout's data files as Athena's table shows them: column names
    lower-cased (Glue), the partition columns as text, `"$path"`; optionally DECIMAL costs and,
    in CUR 2.0's map, a key every line holds with '' (a tag the resource does not carry).
    Returns the table's columns (name -> Glue type) and its partition columns."""
    folder, partitions = LAYOUTS[fmt]
    files = sorted(str(p) for p in (sample / folder).rglob("*.parquet") if "status" not in str(p))
    described = con.execute(
        "DESCRIBE SELECT * FROM read_parquet($f, union_by_name = true)", {"f": files}
    ).fetchall()
    selects = []
    for name, duck, *_ in described:
        expr = f'"{name}"'
        if decimal_costs and name.lower().endswith(("unblended_cost", "billedcost")):
            expr, duck = f"CAST({expr} AS DECIMAL(38, 18))", "DECIMAL(38,18)"
        if empty_tag_key and name == "resource_tags":
            expr = f"map_concat({expr}, MAP {{'{empty_tag_key}': ''}})"
        selects.append((expr, name.lower(), duck))
    parts = [(f'CAST("{p}" AS VARCHAR)', p, "VARCHAR") for p in partitions]
    if "billing_period" in partitions:
        parts = [("regexp_extract(filename, 'BILLING_PERIOD=([0-9-]+)', 1)", *parts[0][1:])]
    else:
        parts = [(f"regexp_extract(filename, '{p}=([0-9]+)', 1)", p, "VARCHAR") for p in partitions]
    columns = ", ".join(f'{e} AS "{n}"' for e, n, _ in [*selects, *parts])
    con.execute("CREATE SCHEMA IF NOT EXISTS cur")
    con.execute(
        f'CREATE OR REPLACE VIEW cur.bill AS SELECT {columns}, filename AS "$path" '
        f"FROM read_parquet({files!r}, union_by_name = true, filename = true)"
    )
    return {n: hive_type(d) for _, n, d in [*selects, *parts]}, partitions


def run_trino(con: duckdb.DuckDBPyConnection, trino_sql: str) -> pa.Table:
    """Athena's SQL parsed as Trino, transpiled to DuckDB and run (Trino's at_timezone as a
    DuckDB macro: DuckDB writes it `timezone(zone, value)`)."""
    import sqlglot

    con.execute("CREATE OR REPLACE TEMP MACRO at_timezone(v, z) AS timezone(z, v)")
    duck = sqlglot.transpile(trino_sql, read="trino", write="duckdb")[0]
    return con.sql(duck).to_arrow_table()


def unload_parts(query: str) -> tuple[str, str]:
    """The SELECT and the TO location of an `UNLOAD (...) TO '...' WITH (...)`."""
    m = re.fullmatch(r"UNLOAD \(\n(.*)\n\)\nTO '([^']+)'\nWITH \((.*)\)", query, re.S)
    assert m, query[:200]
    return m[1], m[2]
