"""Builders of small billing deliveries in the real layouts (written with DuckDB, like AWS's)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb

ACCOUNT = "111122223333"
ARN = f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/"

# Legacy-shaped ECR rows (Parquet names). Total unblended: 1.25 + 0.5 + 0.09 - 0.2 = 1.64
LEGACY_ECR_SQL = """
SELECT * FROM (VALUES
  ('USE1-TimedStorage-ByteHrs', 'us-east-1', '{arn}team/app', 'Usage', 12.5, 1.25, 'cc1', ''),
  ('EU-TimedStorage-ByteHrs', '', 'arn:aws:ecr:eu-west-1:{acct}:repository/web', 'Usage',
   5.0, 0.5, NULL, 'prod'),
  ('USW2-DataTransfer-Out-Bytes', '', '', 'Usage', 1.0, 0.09, NULL, NULL),
  ('USE1-TimedStorage-ByteHrs', 'us-east-1', '{arn}team/app', 'Credit', 0.0, -0.2, NULL, NULL)
) AS v(usage_type, region, resource_id, item_type, amount, cost, cost_center, environment)
"""


def legacy_ecr_rows(con: duckdb.DuckDBPyConnection, period_start: str) -> None:
    """A temp view `ecr` of four ECR lines shaped like real legacy Parquet lines."""
    rows = LEGACY_ECR_SQL.format(arn=ARN, acct=ACCOUNT)
    con.execute(
        f"""CREATE OR REPLACE TEMP VIEW ecr AS
        SELECT
            '{ACCOUNT}' AS bill_payer_account_id,
            TIMESTAMP '{period_start}' AS bill_billing_period_start_date,
            '{ACCOUNT}' AS line_item_usage_account_id,
            item_type AS line_item_line_item_type,
            TIMESTAMP '{period_start}' + INTERVAL 2 DAY AS line_item_usage_start_date,
            TIMESTAMP '{period_start}' + INTERVAL 2 DAY + INTERVAL 1 HOUR
                AS line_item_usage_end_date,
            'AmazonECR' AS line_item_product_code,
            usage_type AS line_item_usage_type,
            'TimedStorage' AS line_item_operation,
            resource_id AS line_item_resource_id,
            amount AS line_item_usage_amount,
            '0.1000000000' AS line_item_unblended_rate,
            cost AS line_item_unblended_cost,
            region AS product_region,
            'GB-Mo' AS pricing_unit,
            cost_center AS resource_tags_user_cost_center,
            environment AS resource_tags_user_environment
        FROM ({rows})"""
    )


def write_legacy_parquet(real: Path, out: Path) -> Path:
    """The real legacy Parquet month plus four ECR lines, same columns and types."""
    out.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    legacy_ecr_rows(con, "2018-10-01 00:00:00")
    con.execute(
        f"COPY (SELECT * FROM read_parquet('{real}') UNION ALL BY NAME SELECT * FROM ecr)"
        f" TO '{out}' (FORMAT parquet)"
    )
    return out


def write_legacy_csv(real: Path, out: Path, scale: float = 1.0) -> Path:
    """The real legacy CSV plus four ECR lines under its real `lineItem/...` headers."""
    out.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    legacy_ecr_rows(con, "2023-11-01 00:00:00")
    con.execute(
        f"""CREATE TEMP VIEW ecr_csv AS SELECT
            bill_payer_account_id AS "bill/PayerAccountId",
            strftime(bill_billing_period_start_date, '%Y-%m-%dT%H:%M:%S.000Z')
                AS "bill/BillingPeriodStartDate",
            line_item_usage_account_id AS "lineItem/UsageAccountId",
            line_item_line_item_type AS "lineItem/LineItemType",
            strftime(line_item_usage_start_date, '%Y-%m-%dT%H:%M:%SZ') AS "lineItem/UsageStartDate",
            strftime(line_item_usage_end_date, '%Y-%m-%dT%H:%M:%SZ') AS "lineItem/UsageEndDate",
            line_item_product_code AS "lineItem/ProductCode",
            line_item_usage_type AS "lineItem/UsageType",
            line_item_operation AS "lineItem/Operation",
            line_item_resource_id AS "lineItem/ResourceId",
            CAST(line_item_usage_amount AS VARCHAR) AS "lineItem/UsageAmount",
            line_item_unblended_rate AS "lineItem/UnblendedRate",
            CAST(line_item_unblended_cost * {scale} AS VARCHAR) AS "lineItem/UnblendedCost",
            product_region AS "product/region",
            pricing_unit AS "pricing/unit",
            resource_tags_user_cost_center AS "resourceTags/user:CostCenter"
        FROM ecr"""
    )
    con.execute(
        f"""COPY (SELECT * FROM read_csv('{real}', all_varchar = true)
                  UNION ALL BY NAME SELECT * FROM ecr_csv)
            TO '{out}' (FORMAT csv, HEADER)"""
    )
    return out


def set_ecr_field(path: Path, field: str, value: str, last_only: bool = False) -> dict:
    """Rewrite a legacy CSV with `field` = `value` on its ECR lines (only the last one with
    `last_only`); returns the last line changed."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    ecr = [r for r in rows if r["lineItem/ProductCode"] == "AmazonECR"]
    for row in ecr[-1:] if last_only else ecr:
        row[field] = value
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return ecr[-1]


def write_legacy_csv_manifest(folder: Path, report: str, keys: list[str]) -> None:
    manifest = {
        "assemblyId": keys[0].split("/")[-2] if "/" in keys[0] else "",
        "reportKeys": [f"cur/{report}/{folder.name}/{k}" for k in keys],
        "billingPeriod": {"start": "20231101T000000.000Z", "end": "20231201T000000.000Z"},
        "bucket": "billing-bucket",
    }
    (folder / f"{report}-Manifest.json").write_text(json.dumps(manifest))


# CUR 2.0: same names as legacy, tags in a MAP. Total 2.0 + 0.3 + 0.05 = 2.35
CUR2_SQL = """
SELECT
    TIMESTAMP '{period}-01' AS bill_billing_period_start_date,
    '{acct}' AS bill_payer_account_id,
    '{acct}' AS line_item_usage_account_id,
    'Usage' AS line_item_line_item_type,
    TIMESTAMP '{period}-03' AS line_item_usage_start_date,
    TIMESTAMP '{period}-04' AS line_item_usage_end_date,
    product_code AS line_item_product_code,
    usage_type AS line_item_usage_type,
    'TimedStorage' AS line_item_operation,
    resource_id AS line_item_resource_id,
    amount AS line_item_usage_amount,
    '0.1' AS line_item_unblended_rate,
    cost AS line_item_unblended_cost,
    cost * 0.9 AS line_item_net_unblended_cost,
    region AS product_region_code,
    'GB-Mo' AS pricing_unit,
    tags AS resource_tags
FROM (VALUES
  ('AmazonECR', 'USE2-TimedStorage-ByteHrs', 'us-east-2',
   'arn:aws:ecr:us-east-2:{acct}:repository/api', 20.0, 2.0,
   MAP {{'user_team': 'payments', 'user_owner': ''}}),
  ('AmazonECRPublic', 'USE1-TimedStorage-ByteHrs', 'us-east-1',
   'arn:aws:ecr-public::{acct}:repository/pub', 3.0, 0.3, MAP {{'user_team': 'oss'}}),
  ('AmazonECR', 'APN1-TimedStorage-Archive-ByteHrs', 'ap-northeast-1',
   'arn:aws:ecr:ap-northeast-1:{acct}:repository/old', 10.0, 0.05, MAP {{}}),
  ('AmazonS3', 'TimedStorage-ByteHrs', 'us-east-1', 'bucket', 100.0, 2.3, MAP {{}})
) AS v(product_code, usage_type, region, resource_id, amount, cost, tags)
"""


def write_cur2(root: Path, period: str, fmt: str = "parquet", scale: float = 1.0) -> Path:
    """A CUR 2.0 export period: data file + Data Exports manifest listing it."""
    data = root / "cur2" / "data" / f"BILLING_PERIOD={period}"
    data.mkdir(parents=True, exist_ok=True)
    sql = CUR2_SQL.format(period=period, acct=ACCOUNT)
    sql = sql.replace(
        "cost AS line_item_unblended_cost", f"cost * {scale} AS line_item_unblended_cost"
    )
    con = duckdb.connect()
    if fmt == "parquet":
        name = "cur2-00001.snappy.parquet"
        con.execute(f"COPY ({sql}) TO '{data / name}' (FORMAT parquet)")
    else:
        name = "cur2-00001.csv.gz"
        con.execute(
            f"COPY (SELECT * REPLACE (to_json(resource_tags)::VARCHAR AS resource_tags)"
            f" FROM ({sql})) TO '{data / name}' (FORMAT csv, HEADER, COMPRESSION gzip)"
        )
    meta = root / "cur2" / "metadata" / f"BILLING_PERIOD={period}"
    meta.mkdir(parents=True, exist_ok=True)
    (meta / "cur2-Manifest.json").write_text(
        json.dumps(
            {
                "executionId": "exec-1",
                "exportArn": f"arn:aws:bcm-data-exports:us-east-1:{ACCOUNT}:export/cur2",
                "dataFiles": [f"s3://bucket/exports/cur2/data/BILLING_PERIOD={period}/{name}"],
            }
        )
    )
    return data / name


# FOCUS: total BilledCost 1.5 + 0.25 = 1.75 (the EC2 row is not ECR)
FOCUS_SQL = """
SELECT
    TIMESTAMP '{period}-01' AS BillingPeriodStart,
    TIMESTAMP '{period}-05' AS ChargePeriodStart,
    TIMESTAMP '{period}-06' AS ChargePeriodEnd,
    '{acct}' AS BillingAccountId,
    '{acct}' AS SubAccountId,
    region AS RegionId,
    service AS ServiceName,
    code AS x_ServiceCode,
    category AS ChargeCategory,
    resource AS ResourceId,
    usage_type AS {usage_col},
    'TimedStorage' AS x_Operation,
    qty AS ConsumedQuantity,
    'GB-Months' AS ConsumedUnit,
    cost AS BilledCost,
    cost * 0.8 AS EffectiveCost,
    tags AS Tags
FROM (VALUES
  ('eu-north-1', 'Amazon EC2 Container Registry (ECR)', 'AmazonECR', 'Usage',
   'arn:aws:ecr:eu-north-1:{acct}:repository/ml/model', 'EUN1-TimedStorage-ByteHrs', 15.0, 1.5,
   MAP {{'team': 'ml', 'env': ''}}),
  (NULL, 'Amazon EC2 Container Registry (ECR)', NULL, 'Tax', NULL, NULL, NULL, 0.25, MAP {{}}),
  ('eu-north-1', 'Amazon Elastic Compute Cloud', 'AmazonEC2', 'Usage', 'i-1', 'BoxUsage',
   1.0, 9.0, MAP {{}})
) AS v(region, service, code, category, resource, usage_type, qty, cost, tags)
"""


def write_focus(root: Path, period: str, version: str = "1.0", fmt: str = "parquet") -> Path:
    data = root / "focus" / "data" / f"BILLING_PERIOD={period}"
    data.mkdir(parents=True, exist_ok=True)
    usage_col = "x_UsageType" if version == "1.0" else "SkuMeter"
    sql = FOCUS_SQL.format(period=period, acct=ACCOUNT, usage_col=usage_col)
    con = duckdb.connect()
    if fmt == "parquet":
        path = data / "focus-00001.snappy.parquet"
        con.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")
    else:
        path = data / ("focus-00001.csv.gz" if fmt == "csv.gz" else "focus-00001.csv")
        comp = "gzip" if fmt == "csv.gz" else "none"
        con.execute(
            f"COPY (SELECT * REPLACE (to_json(Tags)::VARCHAR AS Tags) FROM ({sql}))"
            f" TO '{path}' (FORMAT csv, HEADER, NULLSTR 'NULL', COMPRESSION {comp})"
        )
    return path


def upload_tree(root: Path, bucket: str, prefix: str = "") -> None:
    """Create `bucket` (boto3's default endpoint: the test's moto server) and upload every file
    under `root` to it, keyed `prefix` + the path relative to `root`."""
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    for path in sorted(root.rglob("*")):
        if path.is_file():
            s3.upload_file(str(path), bucket, prefix + path.relative_to(root).as_posix())
