"""Writers for the four billing deliveries, each a self-contained ingest location.

See docs/billing-layouts.md for the exact paths, columns, types and manifests, and for which
details are AWS-confirmed and which are this sample's documented choices.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecrcost.arrowcols import arrow_scalar, arrow_table_of
from ecrcost.billing.readers import parquet_name
from ecrcost.sample import model
from ecrcost.sample.model import Org, Period
from ecrcost.sqlfiles import load_sql, run

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

BUCKET = "ecrcost-billing-sample"
LEGACY_PREFIX, LEGACY_REPORT = "cur", "ecrcost-athena"
CSV_REPORT = "ecrcost-csv"
EXPORT_PREFIX, CUR2_EXPORT, FOCUS_EXPORT = "exports", "ecrcost-cur2", "ecrcost-focus"

# Legacy CSV headers in file order; the Parquet names derive from them by AWS's rule.
CSV_HEADERS = [
    "identity/LineItemId",
    "identity/TimeInterval",
    "bill/InvoiceId",
    "bill/InvoicingEntity",
    "bill/BillingEntity",
    "bill/BillType",
    "bill/PayerAccountId",
    "bill/BillingPeriodStartDate",
    "bill/BillingPeriodEndDate",
    "lineItem/UsageAccountId",
    "lineItem/LineItemType",
    "lineItem/UsageStartDate",
    "lineItem/UsageEndDate",
    "lineItem/ProductCode",
    "lineItem/UsageType",
    "lineItem/Operation",
    "lineItem/AvailabilityZone",
    "lineItem/ResourceId",
    "lineItem/UsageAmount",
    "lineItem/NormalizationFactor",
    "lineItem/NormalizedUsageAmount",
    "lineItem/CurrencyCode",
    "lineItem/UnblendedRate",
    "lineItem/UnblendedCost",
    "lineItem/BlendedRate",
    "lineItem/BlendedCost",
    "lineItem/NetUnblendedRate",
    "lineItem/NetUnblendedCost",
    "lineItem/LineItemDescription",
    "lineItem/TaxType",
    "lineItem/LegalEntity",
    "product/ProductName",
    "product/productFamily",
    "product/group",
    "product/location",
    "product/locationType",
    "product/region",
    "product/regionCode",
    "product/servicecode",
    "product/servicename",
    "product/sku",
    "product/usagetype",
    "product/operation",
    "pricing/RateCode",
    "pricing/RateId",
    "pricing/currency",
    "pricing/publicOnDemandCost",
    "pricing/publicOnDemandRate",
    "pricing/term",
    "pricing/unit",
]
# Tag headers: key -> (CSV header, column of select_legacy.sql). Keys differ by case in CSV.
CSV_TAGS = {
    "team": ("resourceTags/user:team", "csv_tag_team_lower"),
    "Team": ("resourceTags/user:Team", "csv_tag_team_capital"),
    "owner_team": ("resourceTags/user:owner_team", "resource_tags_user_owner_team"),
    "env": ("resourceTags/user:env", "resource_tags_user_env"),
    "cost-center": ("resourceTags/user:cost-center", "resource_tags_user_cost_center"),
}
# Parquet tag columns: `team` and `Team` fold into one name (see docs/billing-layouts.md).
PARQUET_TAGS = {
    "resource_tags_user_team": ("team", "Team"),
    "resource_tags_user_owner_team": ("owner_team",),
    "resource_tags_user_env": ("env",),
    "resource_tags_user_cost_center": ("cost-center",),
}


def write_all(con: duckdb.DuckDBPyConnection, org: Org, root: Path) -> list[Path]:
    rng = random.Random(org.seed * 31 + 17)
    superseded = org.periods[-2] if len(org.periods) > 1 else org.periods[-1]
    written: list[Path] = []
    for period in org.periods:
        # One sorted month in a temp table, then plain scans of it (they keep its row order).
        run(con, "sample/create_period_bill", {"period": period.label})
        run(con, "sample/create_period_daily")
        bill = _select(con, "sample/select_period_bill")
        active = {k for k, first in org.tag_activation.items() if first <= period.label}
        written.append(_legacy_parquet(bill, period, active, root / "cur-legacy-parquet"))
        daily = _select(con, "sample/select_legacy_csv")
        written += _legacy_csv(
            daily, period, active, root / "cur-legacy-csv", rng, stale=period is superseded
        )
        cur2 = _select(con, "sample/select_cur2")
        written += _data_export(
            cur2, period, root / "cur2", CUR2_EXPORT, "COST_AND_USAGE_REPORT", rng
        )
        focus = _select(con, "sample/select_focus")
        written += _data_export(focus, period, root / "focus", FOCUS_EXPORT, "FOCUS_1_2_AWS", rng)
    written += _legacy_parquet_artifacts(root / "cur-legacy-parquet", org)
    return written


def _select(con: duckdb.DuckDBPyConnection, name: str) -> pa.Table:
    return con.sql(load_sql(name)).to_arrow_table()


def _legacy_parquet(bill: pa.Table, period: Period, active: set[str], root: Path) -> Path:
    """The hourly month as the Athena-integration Parquet: timestamps INT64 millis, naive UTC
    (like the real files), empty tags as '' and one column per activated (folded) tag key."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols: dict[str, pa.ChunkedArray] = {}
    for header in CSV_HEADERS:
        name = parquet_name(header)
        col = bill[name]
        cols[name] = col.cast(pa.timestamp("ms")) if pa.types.is_timestamp(col.type) else col
    lower, capital = bill["tag_team_lower"], bill["tag_team_capital"]
    empty, null = arrow_scalar("", pa.string()), arrow_scalar(None, pa.string())
    merged = pc.coalesce(pc.if_else(pc.equal(lower, empty), null, lower), capital, empty)
    tag_values = {
        "resource_tags_user_team": merged,
        "resource_tags_user_owner_team": pc.fill_null(bill["tag_owner_team"], empty),
        "resource_tags_user_env": pc.fill_null(bill["tag_env"], empty),
        "resource_tags_user_cost_center": pc.fill_null(bill["tag_cost_center"], empty),
    }
    for name, keys in PARQUET_TAGS.items():
        if active.intersection(keys):
            cols[name] = tag_values[name]
    table = pa.table(cols)
    year, month = period.start.year, period.start.month  # month not zero-padded, as AWS writes
    path = (
        root
        / LEGACY_PREFIX
        / LEGACY_REPORT
        / LEGACY_REPORT
        / f"year={year}"
        / f"month={month}"
        / f"{LEGACY_REPORT}-00001.snappy.parquet"
    )
    return _parquet(table, path)


def _legacy_parquet_artifacts(root: Path, org: Org) -> list[Path]:

    base = root / LEGACY_PREFIX / LEGACY_REPORT
    status = arrow_table_of({"status": ["READY"]})
    paths = [
        _parquet(status, base / "cost_and_usage_data_status" / "cost_and_usage_data_status.parquet")
    ]
    # The newest month's schema (every activated tag column), as AWS's DDL is regenerated
    cols = [f"  `{parquet_name(h)}` {_athena_type(h)}" for h in CSV_HEADERS]
    cols += [f"  `{c}` string" for c in PARQUET_TAGS]
    ddl = (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS athenacurcfn_{LEGACY_REPORT.replace('-', '_')}."
        f"{LEGACY_REPORT.replace('-', '_')}(\n" + ",\n".join(cols) + "\n)\n"
        "PARTITIONED BY (\n  `year` string,\n  `month` string)\n"
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'\n"
        "STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'\n"
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'\n"
        f"LOCATION 's3://{BUCKET}/{LEGACY_PREFIX}/{LEGACY_REPORT}/{LEGACY_REPORT}/';\n"
    )
    paths.append(_text(ddl, base / f"{LEGACY_REPORT}-create-table.sql"))
    return paths


def _athena_type(header: str) -> str:
    if header.endswith("Date"):
        return "timestamp"
    if header.endswith(("Amount", "Cost", "Factor")):
        return "double"
    return "string"


def _legacy_csv(
    table: pa.Table, period: Period, active: set[str], root: Path, rng: random.Random, stale: bool
) -> list[Path]:
    import pyarrow as pa
    import pyarrow.compute as pc

    names = {parquet_name(h): h for h in CSV_HEADERS}
    cols = {names[c]: table[c] for c in names}
    for key, (header, column) in CSV_TAGS.items():
        if key in active:
            cols[header] = table[column]
    csv = pa.table(cols)
    span = f"{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    written: list[Path] = []
    if stale:
        # An older delivery of the month (cut on day 20, before the restatement): a reader that
        # sums every assembly double-counts; only the manifest's reportKeys are current.
        start = table["line_item_usage_start_date"]
        cutoff = arrow_scalar(period.start.replace(day=20, tzinfo=None), start.type)
        old = csv.filter(pc.less(start, cutoff))
        written += _csv_assembly(old, period, root, span, _uuid(rng), top_level=False)
    written += _csv_assembly(csv, period, root, span, _uuid(rng), top_level=True)
    return written


def _csv_assembly(
    csv: pa.Table, period: Period, root: Path, span: str, assembly: str, *, top_level: bool
) -> list[Path]:
    import duckdb
    import pyarrow as pa
    import pyarrow.compute as pc

    key = f"{CSV_REPORT}/{span}/{assembly}/{CSV_REPORT}-1.csv.gz"
    data = root / key
    data.parent.mkdir(parents=True, exist_ok=True)
    plain = data.with_suffix("")  # DuckDB writes the text; we gzip with mtime 0 (determinism)
    empty, null = arrow_scalar("", pa.string()), arrow_scalar(None, pa.string())
    empty_as_null = pa.table(
        {
            name: pc.if_else(pc.equal(col, empty), null, col)
            if pa.types.is_string(col.type)
            else col
            for name, col in zip(csv.column_names, csv.columns, strict=True)
        }
    )
    # DuckDB would rename `user:Team` next to `user:team` (case-insensitive names): the header
    # line is ours, the body DuckDB's.
    duckdb.from_arrow(empty_as_null).write_csv(
        str(plain), header=False, timestamp_format="%Y-%m-%dT%H:%M:%SZ"
    )
    with (
        open(plain, "rb") as src,
        open(data, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=5) as gz,
    ):
        gz.write((",".join(csv.column_names) + "\n").encode())
        while chunk := src.read(1 << 22):
            gz.write(chunk)
    plain.unlink()
    manifest = {
        "assemblyId": assembly,
        "account": model.PAYER,
        "columns": [_csv_column(h, csv.schema.field(h).type) for h in csv.column_names],
        "charset": "UTF-8",
        "compression": "GZIP",
        "contentType": "text/csv",
        "reportId": uuid.uuid5(uuid.NAMESPACE_URL, f"{BUCKET}/{CSV_REPORT}").hex,
        "reportName": CSV_REPORT,
        "billingPeriod": {
            "start": f"{period.start:%Y%m%dT%H%M%S}.000Z",
            "end": f"{period.end:%Y%m%dT%H%M%S}.000Z",
        },
        "bucket": BUCKET,
        "reportKeys": [key],
        "additionalArtifactKeys": [],
    }
    written = [data, _json(manifest, data.parent / f"{CSV_REPORT}-Manifest.json")]
    if top_level:
        written.append(_json(manifest, root / CSV_REPORT / span / f"{CSV_REPORT}-Manifest.json"))
    return written


def _csv_column(header: str, t: pa.DataType) -> dict[str, str]:
    import pyarrow as pa

    category, name = header.split("/", 1)
    if header == "identity/TimeInterval":
        kind = "Interval"
    elif pa.types.is_timestamp(t):
        kind = "DateTime"
    elif pa.types.is_floating(t):
        kind = "OptionalBigDecimal"
    else:
        kind = "OptionalString"
    return {"category": category, "name": name, "type": kind}


def _data_export(
    table: pa.Table, period: Period, root: Path, export: str, kind: str, rng: random.Random
) -> list[Path]:
    base = root / EXPORT_PREFIX / export
    part = f"BILLING_PERIOD={period.label}"
    data = _parquet(table, base / "data" / part / f"{export}-00001.snappy.parquet")
    execution = _uuid(rng)
    manifest = {
        "executionId": execution,
        "exportArn": f"arn:aws:bcm-data-exports:us-east-1:{model.PAYER}:export/{export}-"
        + uuid.uuid5(uuid.NAMESPACE_URL, export).hex[:12],
        "exportName": export,
        "queryTable": kind,
        "billingPeriod": {
            "start": f"{period.start:%Y-%m-%dT%H:%M:%S}.000Z",
            "end": f"{period.end:%Y-%m-%dT%H:%M:%S}.000Z",
        },
        "columns": [{"name": f.name, "type": _export_type(f.type)} for f in table.schema],
        "dataFiles": [
            f"s3://{BUCKET}/{EXPORT_PREFIX}/{export}/data/{part}/{export}-00001.snappy.parquet"
        ],
        "additionalOutputFiles": [],
    }
    return [data, _json(manifest, base / "metadata" / part / f"{export}-Manifest.json")]


def _export_type(t: pa.DataType) -> str:
    import pyarrow as pa

    if pa.types.is_map(t):
        return f"map<string,{_export_type(t.item_type)}>"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_floating(t):
        return "double"
    if pa.types.is_integer(t):
        return "bigint"
    return "string"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _parquet(table: pa.Table, path: Path) -> Path:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="snappy")
    return path


def _json(doc: Any, path: Path) -> Path:
    return _text(json.dumps(doc, indent=2) + "\n", path)


def _text(text: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
