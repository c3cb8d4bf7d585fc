"""One extraction definition rendered for each engine: the DuckDB scan, in Spark SQL and Trino.

The definition is `readers.scan_macro`: the columns, the ECR filter, each row's own billing
period and the tag entries, built from the source's own columns. For a remote engine its
SELECT is parsed with sqlglot, its parameters become literals (the ECR product codes and
service names, the tag keys, the period: fixed lists and a period already parsed by
`ecrcost.periods`), its file reader becomes the engine's table, and it is transpiled to the
engine's dialect. Every output column is cast to its canonical type, so the engine writes the
same Parquet schema whatever the bill's types (DECIMAL or DOUBLE costs, TIMESTAMP with or
without a time zone). The engine writes these lines as Parquet; `load.load_extracted` then
loads them like any other delivery, with the same checks (docs/large-bills.md).

The differences between engines that matter, handled here (tests/test_engines.py):
- the file a row came from: DuckDB's `filename`, Spark's `input_file_name()`, Athena's `"$path"`;
- text timestamps (CSV-backed tables): DuckDB `timezone('UTC', CAST(x AS TIMESTAMPTZ))`;
  Spark `CAST(x AS TIMESTAMP)` in a UTC session; Trino `from_iso8601_timestamp(x) AT TIME ZONE
  'UTC'` (which sqlglot writes as Trino's function `at_timezone(...)`);
- tags leave the engine as one MAP (entries with a NULL or '' value are dropped by the loader,
  so a CUR 2.0 map that holds '' for a key is the same as one without the key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ecrcost.billing import readers
from ecrcost.errors import UserError
from ecrcost.periods import Period

if TYPE_CHECKING:
    from sqlglot import exp

    from ecrcost.billing.load import IngestResult

ENGINES = ("duckdb", "spark", "athena")
DIALECT = {"duckdb": "duckdb", "spark": "spark", "athena": "trino"}

# The canonical columns an engine writes, with their types (the loader's staged reader,
# sql/billing/create_staged_scan.sql, reads exactly these).
TEXT, TS, NUM = "VARCHAR", "TIMESTAMP", "DOUBLE"
EXTRACTED = {
    "billing_period": TEXT,
    "usage_start": TS,
    "usage_end": TS,
    "payer_account_id": TEXT,
    "usage_account_id": TEXT,
    "region": TEXT,
    "product_code": TEXT,
    "resource_id": TEXT,
    "usage_type": TEXT,
    "operation": TEXT,
    "line_item_type": TEXT,
    "usage_amount": NUM,
    "unit": TEXT,
    "unblended_cost": NUM,
    "net_cost": NUM,
    "pricing_unit": TEXT,
    "description": TEXT,
    "tags": "MAP(VARCHAR, VARCHAR)",
    "source_file": TEXT,
    "source_format": TEXT,
}
# What the engine itself calls the file a row was read from.
# Spark's is a URI: file:///tmp/x or s3a://bucket/key, shown as the default engine shows them.
_FILE_OF_ROW = {
    "duckdb": "filename",
    "spark": "regexp_replace(regexp_replace(input_file_name(), '^file://', ''), '^s3a://', 's3://')",
    "athena": '"$path"',
}


@dataclass
class EngineRun:
    """What an ingest did, whichever engine extracted: the load, and what the engine read
    (bytes, when it says; Athena: the bytes it billed for, and their cost)."""

    engine: str
    result: IngestResult
    scanned_bytes: int | None = None
    scan_cost: float | None = None
    notes: list[str] = field(default_factory=list)  # per query: what it scanned and cost


def duckdb_type(hive: str) -> str:
    """A Glue/Hive or Spark type name (`string`, `decimal(38,9)`, `map<string,string>`,
    `timestamp_ntz`) as the DuckDB type name the readers' casts are decided on."""
    t = hive.strip().lower().replace(" ", "")
    simple = {
        "string": "VARCHAR",
        "varchar": "VARCHAR",
        "double": "DOUBLE",
        "float": "FLOAT",
        "bigint": "BIGINT",
        "int": "INTEGER",
        "integer": "INTEGER",
        "boolean": "BOOLEAN",
        "date": "DATE",
        # Athena's timestamp is naive; Spark's (in the UTC session it runs in) reads as UTC.
        "timestamp": "TIMESTAMP",
        "timestamp_ntz": "TIMESTAMP",
        "timestamp_ltz": "TIMESTAMP",
    }
    if t in simple:
        return simple[t]
    if t.startswith("varchar(") or t.startswith("char("):
        return "VARCHAR"
    if m := re.fullmatch(r"decimal\((\d+),(\d+)\)", t):
        return f"DECIMAL({m[1]},{m[2]})"
    if t == "map<string,string>":
        return "MAP(VARCHAR, VARCHAR)"
    if t.startswith("map<"):
        return "MAP"  # another map: cast to MAP(VARCHAR, VARCHAR) by the readers
    return t.upper()


def table_info(
    display: str, columns: dict[str, str], layout: str, fmt: str, kind: str = "parquet"
) -> readers.FileInfo:
    """A table's columns (raw name -> Glue/Spark type) as the readers' file description,
    its format detected and its required columns checked like a file's. `kind` csv: a CSV
    delivery read with its header's own names (every column text)."""
    types = {name: duckdb_type(t) for name, t in columns.items()}
    info = readers.FileInfo(display, "", kind, types, header=list(columns) if kind == "csv" else [])
    readers.detect(info, layout, fmt)
    readers.check_required(info)
    return info


def partition_filter(partition_columns: list[str], period: str) -> dict[str, list[str]]:
    """The partition values that hold `period` in AWS's tables: CUR 2.0 and FOCUS exports are
    partitioned by `billing_period` ('YYYY-MM'); the legacy CUR's Athena integration by `year`
    and `month`, taken from the folder names `year=2024/month=1` (the month's zero padding is
    not documented: both spellings are selected, as `layout` accepts both folders)."""
    names = {c.lower(): c for c in partition_columns}
    p = Period.parse(period)
    if "billing_period" in names:
        return {names["billing_period"]: [str(p)]}
    if "year" in names and "month" in names:
        return {
            names["year"]: [str(p.year)],
            names["month"]: sorted({str(p.month), f"{p.month:02d}"}),
        }
    return {}


def render(
    engine: str,
    info: readers.FileInfo,
    table: str,
    period: str,
    folder_period: str | None,
    partition: dict[str, list[str]] | None = None,
) -> str:
    """The SELECT of the ECR lines of `table` for `engine`, in its dialect.

    `folder_period`: the table is one period folder's files (every row is kept, so the loader
    sees a misfiled one); None: the table holds many periods and only `period`'s rows (each
    row's own billing period) are selected. `partition`: partition column -> the values that
    hold the period (the engine reads only those partitions).
    """
    import sqlglot
    from sqlglot import exp

    macro, params = readers.scan_macro(info.fmt, [info], tag_entries=True)
    body = macro.split(" AS TABLE ", 1)[1]
    tree = sqlglot.parse_one(body, read="duckdb")
    literals = {
        "p_products": params["products"],
        "p_service_names": params["service_names"],
        "p_tag_keys": params["tag_keys"],
    }
    for _ in range(3):  # a replaced node's own children are visited on the next pass
        tree = tree.transform(lambda node: _literal_lists(node, literals))
    tree = tree.transform(
        lambda node: _scalars(node, folder_period, info.fmt, engine),
    )
    if info.kind == "csv":  # the engine's names are the header's own, not DuckDB's unique ones
        own = {read: raw for raw, read in readers.csv_names([info]).items()}
        tree = tree.transform(
            lambda n: (
                exp.column(own[n.name], quoted=True)
                if isinstance(n, exp.Column) and n.name in own and n.this.quoted
                else n
            )
        )
    left = [c.name for c in tree.find_all(exp.Column) if c.name in literals]
    if left:
        raise ValueError(f"list parameter {left[0]} left in the scan")
    tree = _canonical(tree)
    tree.set("from_", exp.From(this=sqlglot.parse_one(table, read=DIALECT[engine], into=exp.Table)))
    if partition:
        preds = [
            exp.column(col, quoted=True).isin(*(exp.Literal.string(v) for v in values))
            for col, values in partition.items()
        ]
        tree = tree.where(exp.and_(*preds), copy=False)
    if folder_period is None:
        tree = (
            sqlglot.select("*")
            .from_(tree.subquery("ecr_lines"))
            .where(exp.EQ(this=exp.column("billing_period"), expression=exp.Literal.string(period)))
        )
    sql = tree.sql(dialect=DIALECT[engine], pretty=True)
    return sql.replace("ECRCOST_FILE_OF_ROW", _FILE_OF_ROW[engine])


def _literal_lists(node: exp.Expression, lists: dict[str, list[str]]) -> exp.Expression:
    """The macro's list parameters, with their values: `list_contains(p_products, x)` is
    `x IN (...)`, `list_min(p_products)` the least code, `p_tag_keys[i]` the i-th key, and
    `p_products[list_position(p_service_names, x)]` a CASE over the service names."""
    from sqlglot import exp

    def param(e: exp.Expression) -> list[str] | None:
        return lists.get(e.name) if isinstance(e, exp.Column) and not e.table else None

    if isinstance(node, exp.ArrayContains) and (values := param(node.this)) is not None:
        return exp.In(this=node.expression, expressions=[exp.Literal.string(v) for v in values])
    if isinstance(node, (exp.ArrayMin, exp.ArrayMax)) and (values := param(node.this)):
        return exp.Literal.string(min(values) if isinstance(node, exp.ArrayMin) else max(values))
    if isinstance(node, exp.Bracket) and (values := param(node.this)) is not None:
        index = node.expressions[0]
        if isinstance(index, exp.Literal):  # sqlglot keeps indexes 0-based
            return exp.Literal.string(values[int(index.this)])
        if isinstance(index, exp.Anonymous) and index.name.lower() == "list_position":
            names = param(index.expressions[0])
            if names is None:
                raise ValueError(f"unexpected list in the scan: {index.sql()}")
            case = exp.Case(this=index.expressions[1])
            for name, value in zip(names, values, strict=True):
                case = case.when(exp.Literal.string(name), exp.Literal.string(value))
            return case
    return node


def _scalars(node: exp.Expression, folder_period, fmt: str, engine: str) -> exp.Expression:
    """The period and format parameters as literals, the row's file as a placeholder, and text
    timestamps in the engine's own way."""
    from sqlglot import exp

    if isinstance(node, exp.Column) and not node.table:
        if node.name == "p_period":
            return exp.Literal.string(folder_period) if folder_period else exp.Null()
        if node.name == "p_source_format":
            return exp.Literal.string(fmt)
        if node.name == "filename" and not node.this.quoted:
            return exp.column("ECRCOST_FILE_OF_ROW")
    if isinstance(node, exp.Anonymous) and node.name.lower() == "timezone" and engine != "duckdb":
        zone, value = node.expressions
        if isinstance(value, exp.Cast) and value.to.this == exp.DataType.Type.TIMESTAMPTZ:
            value = value.this
            if engine == "spark":  # the session's time zone is UTC (spark.spark_session)
                return exp.cast(value, exp.DataType.build("TIMESTAMP"))
            value = exp.Anonymous(this="from_iso8601_timestamp", expressions=[value])
        return exp.cast(exp.AtTimeZone(this=value, zone=zone), exp.DataType.build("TIMESTAMP"))
    return node


def _canonical(tree: exp.Select) -> exp.Select:
    """Every output column cast to its canonical type; the tag entries as one MAP."""
    import sqlglot
    from sqlglot import exp

    out = []
    for projection in tree.expressions:
        name, value = projection.alias_or_name, projection.unalias()
        if name == "tag_entries":
            name, value = "tags", _tag_map(value)
        if name not in EXTRACTED:
            raise ValueError(f"the scan has a column {name} the engines do not write")
        target = sqlglot.parse_one(EXTRACTED[name], read="duckdb", into=exp.DataType)
        out.append(exp.alias_(exp.cast(value, target), name))
    missing = set(EXTRACTED) - {p.alias for p in out}
    if missing:
        raise ValueError(f"the scan lacks {', '.join(sorted(missing))}")
    tree.set("expressions", out)
    return tree


def _tag_map(entries: exp.Expression) -> exp.Expression:
    """The scan's tag entries as one MAP in a form every dialect writes: a list of
    (key, value) structs (legacy tag columns) as MAP(keys, values), `map_entries(m)` as `m`,
    no tags as NULL."""
    from sqlglot import exp

    if isinstance(entries, exp.Array) and all(
        isinstance(e, exp.Struct) for e in entries.expressions
    ):
        pairs = [{p.name: p.expression for p in e.expressions} for e in entries.expressions]
        return exp.Map(
            keys=exp.Array(expressions=[p["key"] for p in pairs]),
            values=exp.Array(expressions=[p["value"] for p in pairs]),
        )
    if isinstance(entries, exp.Anonymous) and entries.name.lower() == "map_entries":
        return entries.expressions[0]
    if isinstance(entries, exp.Cast) and isinstance(entries.this, exp.Null):
        return exp.Null()
    raise ValueError(f"tag entries the engines cannot write: {entries.sql()}")


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise UserError(f"--engine {engine}: unknown engine; use {'|'.join(ENGINES)}")
    return engine
