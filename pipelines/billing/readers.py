"""Readers per format: which file columns feed each canonical column, and the staging read.

The scan of the files is the one SQL text built here rather than kept in `sql/`: its column
list depends on the columns each month's files actually have (tags, optional cost columns).
It is a table macro, `billing_scan(...)`, that sql/billing/insert_period_lines.sql reads from:
only identifiers taken from the files' own schema are written into it (quoted); file lists,
CSV column names, period, tag keys and product codes are bound as parameters when the insert runs.

CSV files are read under column names this module gives them (`read_csv(..., names = ...)`),
never under DuckDB's: DuckDB matches names regardless of case, so a header it sees twice
(`resourceTags/user:team` and `resourceTags/user:Team`, two tag keys of the bill) would be
renamed within a file and merged across files by `union_by_name`. Files with the same header
are read together; groups with different headers are combined by these unique names.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ecrcost import sqlfiles
from ecrcost.errors import UserError

if TYPE_CHECKING:
    import duckdb

FORMATS = ("cur-legacy-parquet", "cur-legacy-csv", "cur2", "focus")
FORMAT_CHOICES = ("auto", "cur-legacy", "cur2", "focus")
ECR_PRODUCTS = ["AmazonECR", "AmazonECRPublic"]
# FOCUS ServiceName of the same two products, in the same order.
ECR_SERVICE_NAMES = [
    "Amazon EC2 Container Registry (ECR)",
    "Amazon Elastic Container Registry Public",
]

# canonical column -> candidate source columns (Parquet-style names), first present wins;
# "region" coalesces every present candidate because exports leave it '' on some lines.
_CUR = {
    "billing_period_start": ["bill_billing_period_start_date"],
    "usage_start": ["line_item_usage_start_date"],
    "usage_end": ["line_item_usage_end_date"],
    "payer_account_id": ["bill_payer_account_id"],
    "usage_account_id": ["line_item_usage_account_id"],
    "region": ["product_region_code", "product_region"],
    "product_code": ["line_item_product_code"],
    "resource_id": ["line_item_resource_id"],
    "usage_type": ["line_item_usage_type"],
    "operation": ["line_item_operation"],
    "line_item_type": ["line_item_line_item_type"],
    "usage_amount": ["line_item_usage_amount"],
    "unit": ["pricing_unit"],
    "unblended_cost": ["line_item_unblended_cost"],
    "net_cost": ["line_item_net_unblended_cost"],
    "pricing_unit": [],  # CUR's unit is pricing/unit already
    "description": [],  # CUR lines always carry a usage type: not read
}
_FOCUS = {
    "billing_period_start": ["BillingPeriodStart"],
    "usage_start": ["ChargePeriodStart"],
    "usage_end": ["ChargePeriodEnd"],
    "payer_account_id": ["BillingAccountId"],
    "usage_account_id": ["SubAccountId"],
    "region": ["RegionId"],
    "resource_id": ["ResourceId"],
    "usage_type": ["x_UsageType", "SkuMeter"],  # FOCUS 1.0 | 1.2
    "operation": ["x_Operation"],
    "line_item_type": ["ChargeCategory"],
    "usage_amount": ["ConsumedQuantity"],
    "unit": ["ConsumedUnit"],
    "unblended_cost": ["BilledCost"],
    "net_cost": ["EffectiveCost"],
    # what FOCUS itself defines, for deliveries without x_UsageType / SkuMeter
    # (docs/billing-layouts.md)
    "pricing_unit": ["PricingUnit"],
    "description": ["ChargeDescription"],
}
_REQUIRED = {
    "cur": [
        "line_item_product_code",
        "line_item_usage_start_date",
        "line_item_usage_type",
        "line_item_unblended_cost",
    ],
    "focus": ["ChargePeriodStart", "BilledCost"],
}


def is_csv_tag(header: str) -> bool:
    """A legacy CSV tag header, `resourceTags/user:Key` (any case of the prefix)."""
    return header[:13].lower() == "resourcetags/"


def _squash(name: str) -> str:
    """A column name without case or separators: `lineItem/UnblendedCost`,
    `line_item_unblended_cost` and `lineitem_unblendedcost` are one name."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


# squashed name -> the spelling this module uses, for every column it reads, per family (FOCUS
# `PricingUnit` and CUR `pricing_unit` squash alike and are different columns)
def _spellings(mapping: dict[str, list[str]], *more: str) -> dict[str, str]:
    return {_squash(c): c for c in [*(c for cs in mapping.values() for c in cs), *more]}


_KNOWN_CUR = _spellings(_CUR, *_REQUIRED["cur"], "resource_tags", "product")
_KNOWN_FOCUS = _spellings(
    _FOCUS, *_REQUIRED["focus"], "x_ServiceCode", "ServiceName", "Tags", "ProviderName"
)


def _known(fmt: str) -> dict[str, str]:
    if fmt == "focus":
        return _KNOWN_FOCUS
    return _KNOWN_CUR if fmt else {**_KNOWN_FOCUS, **_KNOWN_CUR}  # "": while detecting


_TS = {"billing_period_start", "usage_start", "usage_end"}
_NUM = {"usage_amount", "unblended_cost", "net_cost"}


@contextmanager
def scratch() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB (UTC) that reads billing files without the warehouse; closed after."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


def parquet_name(header: str) -> str:
    """AWS's rule from CSV header to Parquet column: `lineItem/UsageType` -> line_item_usage_type."""
    name = re.sub(r"(?<!^)([A-Z])", r"_\1", header).lower()
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]", "_", name)).strip("_")


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class FileInfo:
    display: str  # the file as the user knows it (local path or s3:// URI)
    path: str  # local path DuckDB reads
    kind: str  # parquet | csv
    columns: dict[str, str]  # raw column name -> DuckDB type
    fmt: str = ""
    header: list[str] = field(default_factory=list)  # CSV: every header cell, in file order

    def by_name(self) -> dict[str, str]:
        """Parquet-style name -> raw column name (legacy CSV headers translated).

        The columns ecrcost reads are matched regardless of case and separators (Athena and
        Glue exports lower-case them: `billedcost`, `lineitem/unblendedcost`); any other
        column keeps its own name. Legacy CSV tag headers keep their own text: AWS's rule would
        fold `user:team` and `user:Team` into one name, and they are two keys of the bill.
        """
        out: dict[str, str] = {}
        known = _known(self.fmt)
        for c in self.columns:
            if self.fmt == "cur-legacy-csv" and is_csv_tag(c):
                out.setdefault(c, c)
                continue
            name = known.get(_squash(c))
            if name is None:
                name = parquet_name(c) if self.fmt == "cur-legacy-csv" else c
            out.setdefault(name, c)
        return out


def unzipped(display: str, path: Path, workdir: Path) -> str:
    """The local file DuckDB reads: a ZIP-compressed CSV (one of the CUR's three compression
    choices; DuckDB reads gzip itself) is extracted into `workdir` first; other files as they are."""
    if not str(path).lower().endswith(".zip"):
        return str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1 or not members[0].filename.lower().endswith(".csv"):
                names = ", ".join(m.filename for m in members) or "nothing"
                raise UserError(f"{display}: expected one CSV file in the ZIP, found {names}")
            target = workdir / "unzipped" / f"{len(list(workdir.glob('unzipped/*')))}.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(members[0]) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    except (OSError, zipfile.BadZipFile) as exc:
        raise UserError(f"{display}: not a readable ZIP file ({exc})") from None
    return str(target)


def read_columns(con: duckdb.DuckDBPyConnection, display: str, path: str) -> FileInfo:
    """Column names (and Parquet types) of one file, reading its footer or header only."""
    import duckdb

    if path.lower().endswith(".parquet"):
        try:
            rows = sqlfiles.run(con, "billing/describe_parquet", {"file": path}).fetchall()
        except duckdb.Error as exc:
            raise UserError(f"{display}: not a readable Parquet file ({first_line(exc)})") from None
        return FileInfo(display, path, "parquet", {r[0]: r[1] for r in rows})
    try:
        opener = gzip.open if path.lower().endswith(".gz") else open
        with opener(path, "rb") as fh:
            first = fh.readline(1 << 20).decode("utf-8-sig")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise UserError(f"{display}: not a readable CSV file ({exc})") from None
    header = next(csv.reader(io.StringIO(first)), [])
    repeated = next((h for i, h in enumerate(header) if h and h in header[:i]), None)
    if repeated is not None:
        raise UserError(f"{display}: CSV header has column {repeated} twice; fix the file header")
    return FileInfo(display, path, "csv", {h: "VARCHAR" for h in header if h}, header=header)


def _header_key(raw: str, position: int) -> str:
    return raw or f"\0{position}"  # empty headers are never read, but each needs a name


def csv_names(files: list[FileInfo]) -> dict[str, str]:
    """Raw CSV header -> the name it is read under: unique even ignoring case.

    A header keeps its own text unless another header of these files already took it in
    DuckDB's case-insensitive sense; then it gets a `~N` suffix. `filename` stays free for the
    file-name column the reader adds.
    """
    taken = {"filename"}
    out: dict[str, str] = {}
    for f in files:
        for i, raw in enumerate(f.header):
            key = _header_key(raw, i)
            if key in out:
                continue
            base = raw or f"column{i}"
            name, n = base, 0
            while name.lower() in taken:
                n += 1
                name = f"{base}~{n}"
            taken.add(name.lower())
            out[key] = name
    return out


def file_params(files: list[FileInfo]) -> dict[str, list]:
    """`$files` (and `$names`) of the reader. Parquet: a flat list of files, read by name
    (AWS's Parquet names are lower-case: they never differ by case only). CSV: one list of
    files per distinct header, and per such group the column names to read them under."""
    if files[0].kind == "parquet":
        return {"files": [f.path for f in files]}
    read = csv_names(files)
    groups = _csv_groups(files)
    return {
        "files": list(groups.values()),
        "names": [[read[_header_key(h, i)] for i, h in enumerate(hs)] for hs in groups],
    }


def _csv_groups(files: list[FileInfo]) -> dict[tuple[str, ...], list[str]]:
    """CSV files by identical header, in first-seen order: one read_csv per group."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for f in files:
        groups.setdefault(tuple(f.header), []).append(f.path)
    return groups


def _read_names(files: list[FileInfo]) -> dict[str, str]:
    """Raw column name -> the name the scan reads it under (CSV: see csv_names)."""
    if files[0].kind == "parquet":
        return {c: c for f in files for c in f.columns}
    return csv_names(files)


def detect(info: FileInfo, layout: str, forced: str) -> str:
    """The format of one file from its columns and the layout it sits in."""
    cols = set(info.by_name())
    if forced == "focus" or (forced == "auto" and "BilledCost" in cols):
        fmt = "focus"
    elif (
        info.kind == "csv"
        and any("/" in c for c in info.columns)
        and forced in ("auto", "cur-legacy")
    ):
        fmt = "cur-legacy-csv"
    elif forced == "cur2" or (
        forced == "auto"
        and "line_item_product_code" in cols
        and (layout == "export" or cols & {"resource_tags", "product"} or info.kind == "csv")
    ):
        fmt = "cur2"
    elif forced == "cur-legacy" or "line_item_product_code" in cols:
        fmt = "cur-legacy-parquet" if info.kind == "parquet" else "cur-legacy-csv"
    else:
        raise UserError(
            f"{info.display}: not billing data (no line_item_product_code, lineItem/ProductCode"
            " or BilledCost column)"
        )
    expected = {
        "legacy-parquet": {"cur-legacy-parquet"},
        "legacy-csv": {"cur-legacy-csv"},
        "export": {"cur2", "focus"},
    }.get(layout)
    if forced == "auto" and expected and fmt not in expected:
        raise UserError(f"{info.display}: has {fmt} columns but sits in a {layout} folder layout")
    info.fmt = fmt
    return fmt


def check_required(info: FileInfo) -> None:
    names = info.by_name()
    family = "focus" if info.fmt == "focus" else "cur"
    for col in _REQUIRED[family]:
        if col not in names:
            shown = col
            if info.fmt == "cur-legacy-csv":
                shown = f"{col} (CSV header like lineItem/...)"
            raise UserError(f"{info.display}: required column {shown} is missing ({info.fmt})")
    if family == "focus" and not ({"x_ServiceCode", "ServiceName"} & set(names)):
        raise UserError(f"{info.display}: required column ServiceName is missing (focus)")


def _ts(expr: str, src: str = "VARCHAR") -> str:
    """A UTC TIMESTAMP: real Parquet has naive TIMESTAMP(_MILLIS) = UTC, CSV ISO text with Z."""
    if src == "TIMESTAMP":
        return expr
    if src.startswith("TIMESTAMP WITH"):
        return f"timezone('UTC', {expr})"
    if src.startswith("TIMESTAMP"):
        return f"CAST({expr} AS TIMESTAMP)"
    return f"timezone('UTC', CAST({expr} AS TIMESTAMPTZ))"


def _typed(field: str, expr: str, src: str) -> str:
    """Cast only what is not already the target type (a cast on the filter column is costly)."""
    if field in _TS:
        return _ts(expr, src)
    target = "DOUBLE" if field in _NUM else "VARCHAR"
    return expr if src == target else f"CAST({expr} AS {target})"


def _text(expr: str, src: str) -> str:
    return expr if src == "VARCHAR" else f"CAST({expr} AS VARCHAR)"


_NO_TAGS = "CAST(MAP {} AS MAP(VARCHAR, VARCHAR))"
_NO_ENTRIES = "CAST(NULL AS STRUCT(key VARCHAR, value VARCHAR)[])"
# The entries a MAP keeps: the bill's empty values ('' in Parquet, NULL in CSV) are no tag.
_KEEP = "lambda e: e.value IS NOT NULL AND e.value <> ''"


def _tags_expr(
    fmt: str, union: dict[str, str], types: dict[str, str], read: dict[str, str]
) -> tuple[list[str], str, list[str]]:
    """Where a row's tags come from: the file columns as read (the tag columns of a legacy
    CUR, or the one map / JSON column of CUR 2.0 and FOCUS), the MAP built from them (an
    expression over `tag_1`, `tag_2`, ... the names the scan gives those columns) and the tag
    keys to bind as `p_tag_keys`. No tag column: no sources and an empty MAP.

    Legacy columns and JSON text: the scan builds the MAP once per distinct set of source
    values, not per row (a MAP built from columns, or JSON cast, per row is DuckDB's costly
    step, and a period's lines carry few distinct tag sets). A MAP column is filtered per row:
    its entries are a list already, and the distinct sets and the join back on them cost more
    than the filter (a month of bench/pipeline.py's CUR 2.0 bill, 7.4M lines: ~27 -> ~16 CPU s).
    """
    if fmt in ("cur2", "focus"):
        col = "resource_tags" if fmt == "cur2" else "Tags"
        if col not in union:
            return [], _NO_TAGS, []
        raw = quote(read[union[col]])
        if types[union[col]].startswith("MAP"):
            # A MAP column: its kept entries, per row (cheap: a MAP is such a list).
            if types[union[col]] != "MAP(VARCHAR, VARCHAR)":
                raw = f"CAST({raw} AS MAP(VARCHAR, VARCHAR))"
            kept = f"list_filter(map_entries({raw}), {_KEEP})"
            return [], f"coalesce(map_from_entries({kept}), {_NO_TAGS})", []
        # CSV exports write the map as JSON text: the text is the source.
        entries = "map_entries(CAST(CAST(tag_1 AS JSON) AS MAP(VARCHAR, VARCHAR)))"
        return [raw], f"coalesce(map_from_entries(list_filter({entries}, {_KEEP})), {_NO_TAGS})", []
    cols, keys = _tag_columns(fmt, union)
    if not cols:
        return [], _NO_TAGS, []
    entries = ", ".join(
        f"struct_pack(key := p_tag_keys[{i}], value := tag_{i})" for i in range(1, len(cols) + 1)
    )
    sources = [_text(quote(read[c]), types[c]) for c in cols]
    return sources, f"map_from_entries(list_filter([{entries}], {_KEEP}))", keys


def _tag_columns(fmt: str, union: dict[str, str]) -> tuple[list[str], list[str]]:
    """A legacy CUR's tag columns (as the files name them) and the tag key of each."""
    if fmt == "cur-legacy-csv":
        cols = sorted(c for c in union.values() if is_csv_tag(c))
        return cols, [c.partition("/")[2] for c in cols]
    cols = sorted(c for c in union.values() if c.startswith("resource_tags_"))
    return cols, [c[len("resource_tags_") :] for c in cols]


def _tag_entries(
    fmt: str, union: dict[str, str], types: dict[str, str], read: dict[str, str]
) -> tuple[str, list[str]]:
    """A row's tags as a list of (key, value) entries, empty values kept, and the tag keys to
    bind: the one-SELECT form `billing/extract.py` renders for Spark and Athena, which write
    them as one MAP per line (their loader drops the empty values)."""
    if fmt in ("cur2", "focus"):
        col = "resource_tags" if fmt == "cur2" else "Tags"
        if col not in union:
            return _NO_ENTRIES, []
        raw = quote(read[union[col]])
        if types[union[col]] == "MAP(VARCHAR, VARCHAR)":
            return f"map_entries({raw})", []
        if types[union[col]].startswith("MAP"):
            return f"map_entries(CAST({raw} AS MAP(VARCHAR, VARCHAR)))", []
        return f"map_entries(CAST(CAST({raw} AS JSON) AS MAP(VARCHAR, VARCHAR)))", []
    cols, keys = _tag_columns(fmt, union)
    if not cols:
        return _NO_ENTRIES, []
    entries = ", ".join(
        f"struct_pack(key := p_tag_keys[{i}], value := {_text(quote(read[c]), types[c])})"
        for i, c in enumerate(cols, start=1)
    )
    return f"[{entries}]", keys


SCAN_COLUMNS = (
    "usage_start",
    "usage_end",
    "payer_account_id",
    "usage_account_id",
    "region",
    "product_code",
    "resource_id",
    "usage_type",
    "operation",
    "line_item_type",
    "usage_amount",
    "unit",
    "unblended_cost",
    "net_cost",
    "pricing_unit",
    "description",
)


def scan_macro(
    fmt: str, files: list[FileInfo], tags: bool = True, tag_entries: bool = False
) -> tuple[str, dict]:
    """`billing_scan(...)`: the ECR rows of `files` (one format and kind) in canonical columns.

    Returns the CREATE MACRO text and the parameters `sql/billing/insert_period_lines.sql`
    passes to it. Reading happens only when that insert runs, inside the load's transaction.
    `tags=False`: every row's `tags` is empty and no tag column is read (the source totals of
    the reconciliation need none). `tag_entries=True`: one SELECT with each row's `tag_entries`
    instead of `tags` (the form the other engines render: `billing/extract.py`).
    """
    union: dict[str, str] = {}
    types: dict[str, str] = {}
    for f in files:
        for name, raw in f.by_name().items():
            union.setdefault(name, raw)
            # a column typed differently across files is read as their common type: cast it
            seen = types.setdefault(raw, f.columns[raw])
            if seen != f.columns[raw]:
                types[raw] = "MIXED"
    read = _read_names(files)
    mapping = _FOCUS if fmt == "focus" else _CUR
    exprs: dict[str, str] = {}
    for field_name, candidates in mapping.items():
        present = [quote(read[union[c]]) for c in candidates if c in union]
        if not present:
            exprs[field_name] = "NULL"
        elif field_name == "region":
            exprs[field_name] = (
                "coalesce(" + ", ".join(f"nullif(CAST({p} AS VARCHAR), '')" for p in present) + ")"
            )
        else:
            first = next(union[c] for c in candidates if c in union)
            exprs[field_name] = _typed(field_name, present[0], types[first])
    if fmt == "focus":
        code = quote(read[union["x_ServiceCode"]]) if "x_ServiceCode" in union else "NULL"
        name = quote(read[union["ServiceName"]]) if "ServiceName" in union else "NULL"
        exprs["product_code"] = (
            f"coalesce(nullif(CAST({code} AS VARCHAR), ''),"
            f" p_products[list_position(p_service_names, CAST({name} AS VARCHAR))])"
        )
    tag_sources, tag_map, tag_keys = (
        _tags_expr(fmt, union, types, read) if tags else ([], _NO_TAGS, [])
    )
    if tag_entries:
        entries, tag_keys = _tag_entries(fmt, union, types, read)
        tag_sources, tag_map = [], entries
    # Each row's own billing period, never the folder's: the load refuses a row
    # that sits in another period's folder, and loose files put each row in its own period.
    period = exprs["usage_start"]
    if exprs["billing_period_start"] != "NULL":
        period = f"coalesce({exprs['billing_period_start']}, {period})"
    columns = [
        (f"coalesce(strftime({period}, '%Y-%m'), p_period)", "billing_period"),
        *((exprs[k], k) for k in SCAN_COLUMNS),
        ("filename", "source_file"),
        ("p_source_format", "source_format"),
    ]
    tag_names = [f"tag_{i}" for i in range(1, len(tag_sources) + 1)]
    tag_column = "tag_entries" if tag_entries else "tags"
    columns += zip(tag_sources, tag_names, strict=True) if tag_sources else [(tag_map, tag_column)]
    select = ",\n    ".join(f"{expr} AS {name}" for expr, name in columns)
    # The ECR filter sits on the scan itself so DuckDB filters before building any column. On a
    # plain column the range of the product codes goes first: DuckDB hands a range to the
    # Parquet reader as a filter it applies while reading (the other columns are then read for
    # the ECR rows only), where a list of values is only used to skip row groups.
    where = f"list_contains(p_products, {exprs['product_code']})"
    if fmt != "focus":
        code = exprs["product_code"]
        where = f"{code} >= list_min(p_products) AND {code} <= list_max(p_products) AND {where}"
    body = f"SELECT\n    {select}\nFROM {_reader(files, fmt)}\nWHERE {where}"
    if tag_sources:
        # The rows' tag columns, one MAP per distinct set of them, joined back on all of them.
        names = ", ".join(tag_names)
        on = " AND ".join(f"scan.{n} IS NOT DISTINCT FROM tag_sets.{n}" for n in tag_names)
        body = (
            f"WITH scan AS ({body}),\n"
            f"tag_sets AS (SELECT {names}, {tag_map} AS tags"
            f" FROM (SELECT DISTINCT {names} FROM scan))\n"
            f"SELECT scan.* EXCLUDE ({names}), tag_sets.tags\n"
            f"FROM scan LEFT JOIN tag_sets ON {on}"
        )
    sql = (
        "CREATE OR REPLACE TEMP MACRO billing_scan("
        "p_files, p_names, p_period, p_products, p_service_names, p_tag_keys, p_source_format)"
        f" AS TABLE {body}"
    )
    params = {
        "names": [],
        **file_params(files),
        "products": ECR_PRODUCTS,
        "service_names": ECR_SERVICE_NAMES,
        "tag_keys": tag_keys,
        "source_format": fmt,
    }
    return sql, params


def source_column(fmt: str, files: list[FileInfo], field: str) -> str:
    """The file column a canonical column was read from (for messages): `unblended_cost` is
    `line_item_unblended_cost`, `lineItem/UnblendedCost` or `BilledCost`."""
    candidates = (_FOCUS if fmt == "focus" else _CUR)[field]
    for f in files:
        names = f.by_name()
        if found := next((names[c] for c in candidates if c in names), None):
            return found
    return candidates[0]


def period_column(fmt: str, names: dict[str, str]) -> str:
    """The raw column a row's own billing period is read from, given `by_name()` names: the
    billing period start (bill_billing_period_start_date / BillingPeriodStart), else the usage
    start."""
    mapping = _FOCUS if fmt == "focus" else _CUR
    col = next((names[c] for c in mapping["billing_period_start"] if c in names), None)
    return col or names[mapping["usage_start"][0]]


def stats_period(value: str | None) -> str | None:
    """`YYYY-MM` of a Parquet statistics value of a timestamp column ('2024-01-01 00:00:00',
    '2024-01-01 00:00:00+00' or ISO text ending in Z: UTC); None when it is not one of them."""
    if value is None:
        return None
    m = re.match(r"(\d{4}-\d{2})-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00)?$", value)
    return m.group(1) if m else None


def periods_sql(fmt: str, files: list[FileInfo]) -> str:
    """Loose files: every (file, period) present, ECR or not, so empty months are reported."""
    union = {n: r for f in files for n, r in f.by_name().items()}
    read = _read_names(files)
    col = read[period_column(fmt, union)]
    # A multi-cloud FOCUS file: other providers' rows never make an AWS period.
    where = ""
    if fmt == "focus" and "ProviderName" in union:
        provider = f"lower(CAST({quote(read[union['ProviderName']])} AS VARCHAR))"
        where = f" WHERE coalesce({provider} IN ('aws', 'amazon web services'), true)"
    return (
        f"SELECT DISTINCT filename, strftime({_ts(quote(col))}, '%Y-%m') AS period"
        f" FROM {_reader(files, fmt, macro=False)}{where}"
    )


def _reader(files: list[FileInfo], fmt: str, macro: bool = True) -> str:
    """The FROM source over `file_params(files)`: `p_files`/`p_names` in the macro, else
    `$files`/`$names`."""
    paths, names = ("p_files", "p_names") if macro else ("$files", "$names")
    if files[0].kind == "parquet":
        return f"read_parquet({paths}, union_by_name = true, filename = true)"
    # Everything as text: only the needed columns are cast, rates stay untouched strings.
    # Our own column names (never union_by_name, which matches names regardless of case).
    nullstr = "['NULL', '']" if fmt == "focus" else "['']"
    reads = [
        f"read_csv({paths}[{i}], names = {names}[{i}], filename = true, all_varchar = true,"
        f" header = true, delim = ',', quote = '\"', escape = '\"', nullstr = {nullstr})"
        for i in range(1, len(_csv_groups(files)) + 1)
    ]
    if len(reads) == 1:
        return reads[0]
    return "(" + "\nUNION ALL BY NAME\n".join(f"SELECT * FROM {r}" for r in reads) + ")"


def first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]
