"""Turn the organisation's truth into the canonical bill (table `lines` in an in-memory DuckDB).

Python only builds small input tables (periods, repositories, byte runs, daily transfers, other
services' resources, tags); DuckDB expands them into hourly/daily line items and adjustments.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ecrcost.arrowcols import arrow_column, arrow_table, arrow_table_of
from ecrcost.fmt import GIB
from ecrcost.prices import PriceTable
from ecrcost.sample import model
from ecrcost.sample.model import DAY, HOUR, Org
from ecrcost.sqlfiles import run

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

# Cross-region usage types name both ends; us-east-1 is USE1 there.
REGION_CODE = {"us-east-1": "USE1", "eu-west-1": "EU", "us-west-2": "USW2"}

# Other services (per account and region): product, usage type suffix, operation, unit, $ rate,
# daily amount, resource id pattern, product family. us-east-1 S3 storage is
# `TimedStorage-ByteHrs` exactly like ECR's: readers must filter on the product code.
OTHER_SERVICES = [
    (
        "AmazonEC2",
        "Amazon Elastic Compute Cloud",
        "BoxUsage:m5.large",
        "RunInstances",
        "Hrs",
        0.096,
        24.0,
        "i-{h}",
        "Compute Instance",
    ),
    (
        "AmazonEC2",
        "Amazon Elastic Compute Cloud",
        "BoxUsage:c6g.xlarge",
        "RunInstances",
        "Hrs",
        0.136,
        24.0,
        "i-{h}",
        "Compute Instance",
    ),
    (
        "AmazonEC2",
        "Amazon Elastic Compute Cloud",
        "EBS:VolumeUsage.gp3",
        "CreateVolume-Gp3",
        "GB-Mo",
        0.08,
        6.5,
        "vol-{h}",
        "Storage",
    ),
    (
        "AmazonS3",
        "Amazon Simple Storage Service",
        "TimedStorage-ByteHrs",
        "StandardStorage",
        "GB-Mo",
        0.023,
        40.0,
        "ecrcost-sample-{h}",
        "Storage",
    ),
    (
        "AmazonS3",
        "Amazon Simple Storage Service",
        "Requests-Tier1",
        "PutObject",
        "Requests",
        0.000005,
        90000.0,
        "ecrcost-sample-{h}",
        "API Request",
    ),
    (
        "AmazonCloudWatch",
        "AmazonCloudWatch",
        "CW:MetricMonitorUsage",
        "MetricStorage",
        "Metrics",
        0.30,
        4.0,
        "",
        "Metric",
    ),
    (
        "AWSLambda",
        "AWS Lambda",
        "Lambda-GB-Second",
        "Invoke",
        "Lambda-GB-Second",
        0.0000166667,
        120000.0,
        "arn:aws:lambda:{region}:{account}:function:job-{h}",
        "Serverless",
    ),
    (
        "AmazonRDS",
        "Amazon Relational Database Service",
        "InstanceUsage:db.t3.medium",
        "CreateDBInstance:0002",
        "Hrs",
        0.068,
        24.0,
        "arn:aws:rds:{region}:{account}:db:app-{h}",
        "Database Instance",
    ),
]


def build_lines(org: Org, prices: PriceTable) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding `lines` (every line item of every period) and its inputs."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads TO 2")  # the machine is shared; row order never depends on it
    con.execute("SET enable_progress_bar = false")
    inputs = {
        "periods": _periods(org),
        "accounts": arrow_table_of(
            {"account_id": list(model.ACCOUNTS), "account_name": list(model.ACCOUNTS.values())}
        ),
        "repos": _repos(org, prices),
        "segments": _segments(org),
        "daily": _daily(org),
        "other_resources": _other_resources(org),
        "repo_tags": _repo_tags(org),
    }
    for name, table in inputs.items():
        con.register(name, table)  # queried by name from sql/sample/*.sql
    start = org.start.replace(tzinfo=None)
    base: dict[str, Any] = {"seed": org.seed, "payer": model.PAYER, "start": start}
    edp = {**base, "edp": model.EDP_RATE}
    run(con, "sample/create_lines")
    run(con, "sample/create_tag_columns")
    run(con, "sample/insert_storage_lines", edp)
    run(con, "sample/insert_daily_lines", edp)
    run(con, "sample/insert_other_service_lines", edp)
    run(
        con,
        "sample/insert_adjustment_lines",
        {
            "seed": org.seed,
            "payer": model.PAYER,
            "edp": model.EDP_RATE,
            "credit_account": model.CREDIT_ACCOUNT,
            "credit_share": model.CREDIT_SHARE,
            "tax_accounts": list(model.TAX_RATE),
            "tax_rates": list(model.TAX_RATE.values()),
        },
    )
    return con


def _naive(t: datetime) -> datetime:
    return t.replace(tzinfo=None)


def _periods(org: Org) -> pa.Table:

    return arrow_table_of(
        {
            "billing_period": [p.label for p in org.periods],
            "period_start": [_naive(p.start) for p in org.periods],
            "period_end": [_naive(p.end) for p in org.periods],
            "hours": [p.hours for p in org.periods],
            "first_hour": [int((p.start - org.start) / HOUR) for p in org.periods],
        }
    )


def _repos(org: Org, prices: PriceTable) -> pa.Table:
    import pyarrow as pa

    return arrow_table_of(
        {
            "repo_id": arrow_column([r.repo_id for r in org.repos], pa.int32()),
            "account_id": [r.account_id for r in org.repos],
            "region": [r.region for r in org.repos],
            "region_name": [model.REGION_NAME[r.region] for r in org.repos],
            "usage_prefix": [model.REGION_PREFIX[r.region] for r in org.repos],
            "name": [r.name for r in org.repos],
            "arn": [r.arn for r in org.repos],
            "storage_rate": [prices.storage(r.region) for r in org.repos],
            "archive_rate": [prices.archive(r.region) for r in org.repos],
            "exists_at_end": [r.deleted_at is None for r in org.repos],
        }
    )


def _segments(org: Org) -> pa.Table:
    import pyarrow as pa

    rows = [(r.repo_id, *s) for r in org.repos for s in r.segments]
    cols = list(zip(*rows, strict=True)) if rows else [[]] * 5
    return pa.table(
        {
            "repo_id": arrow_column(cols[0], pa.int32()),
            "h0": arrow_column(cols[1], pa.int64()),
            "h1": arrow_column(cols[2], pa.int64()),
            "std_bytes": arrow_column(cols[3], pa.int64()),
            "arc_bytes": arrow_column(cols[4], pa.int64()),
        }
    )


def _daily(org: Org) -> pa.Table:
    """Data transfer out on days the repository holds images (pulls from outside AWS), and
    cross-region replication of the bytes first pushed that day."""
    import pyarrow as pa

    rng = random.Random(org.seed * 7919 + 1)
    out: dict[str, list] = {
        k: []
        for k in ("repo_id", "day", "kind", "usage_type", "operation", "gb", "rate", "description")
    }

    def add(repo_id, day, kind, usage_type, operation, gb, rate, description) -> None:
        for key, value in zip(
            out, (repo_id, day, kind, usage_type, operation, gb, rate, description), strict=True
        ):
            out[key].append(value)

    for r in org.repos:
        prefix = model.REGION_PREFIX[r.region]
        if r.transfer_gb_per_day:
            live_days = sorted(
                {h // 24 for h0, h1, s, _a in r.segments if s for h in range(h0, h1, 24)}
            )
            for d in live_days:
                add(
                    r.repo_id,
                    d,
                    "data_transfer",
                    f"{prefix}DataTransfer-Out-Bytes",
                    "PullImage",
                    round(r.transfer_gb_per_day * rng.uniform(0.2, 1.8), 6),
                    model.DATA_TRANSFER_RATE,
                    f"${model.DATA_TRANSFER_RATE:.3f} per GB - first 10 TB / month data "
                    "transfer out beyond the global free tier",
                )
        if r.replicated_to:
            seen: set[str] = set()
            per_day: dict[int, int] = {}
            for im in sorted(r.images, key=lambda i: (i.pushed_at, i.digest)):
                new = sum(b.size_bytes for b in im.blobs if b.digest not in seen)
                seen.update(b.digest for b in im.blobs)
                if org.start <= im.pushed_at < org.end and new:
                    d = int((im.pushed_at - org.start) / DAY)
                    per_day[d] = per_day.get(d, 0) + new
            src, dst = REGION_CODE[r.region], REGION_CODE[r.replicated_to]
            for d in sorted(per_day):
                add(
                    r.repo_id,
                    d,
                    "replication",
                    f"{src}-{dst}-AWS-Out-Bytes",
                    "ReplicateImage",
                    per_day[d] / GIB,
                    model.REPLICATION_RATE,
                    f"${model.REPLICATION_RATE:.3f} per GB - {model.REGION_NAME[r.region]} "
                    f"data transfer to {model.REGION_NAME[r.replicated_to]}",
                )
    schema = pa.schema(
        [
            ("repo_id", pa.int32()),
            ("day", pa.int32()),
            ("kind", pa.string()),
            ("usage_type", pa.string()),
            ("operation", pa.string()),
            ("gb", pa.float64()),
            ("rate", pa.float64()),
            ("description", pa.string()),
        ]
    )
    return arrow_table(out, schema)


def _other_resources(org: Org) -> pa.Table:

    rng = random.Random(org.seed * 104729 + 3)
    rows = []
    for account in model.ACCOUNTS:
        for region in model.REGIONS:
            prefix = "USE1-" if region == "us-east-1" else model.REGION_PREFIX[region]
            for product, name, usage, op, unit, rate, amount, rid, family in OTHER_SERVICES:
                if rng.random() < 0.25:
                    continue
                if product == "AmazonS3" and usage == "TimedStorage-ByteHrs":
                    usage_type = model.REGION_PREFIX[region] + usage
                else:
                    usage_type = prefix + usage
                h = f"{rng.getrandbits(64):016x}"
                rows.append(
                    {
                        "account_id": account,
                        "region": region,
                        "region_name": model.REGION_NAME[region],
                        "product_code": product,
                        "product_name": name,
                        "usage_type": usage_type,
                        "operation": op,
                        "unit": unit,
                        "rate": rate,
                        "base_amount": amount / (30 if unit == "GB-Mo" else 1) * rng.uniform(1, 8),
                        "resource_id": rid.format(h=h, region=region, account=account),
                        "availability_zone": f"{region}a" if product == "AmazonEC2" else "",
                        "product_family": family,
                        "description": f"${rate} per {unit} ({usage})",
                    }
                )
    return arrow_table_of({key: [row[key] for row in rows] for key in rows[0]})


def _repo_tags(org: Org) -> pa.Table:
    """Tag values as billed: a key shows from its activation month on (not retroactively), and
    only for repositories that exist in that month."""
    import pyarrow as pa

    rows = []
    for p in org.periods:
        for r in org.repos:
            if r.created_at >= p.end or (r.deleted_at and r.deleted_at < p.start):
                continue
            for key, value in sorted(r.tags.items()):
                if org.tag_activation[key] <= p.label:
                    rows.append(
                        {
                            "repo_id": r.repo_id,
                            "billing_period": p.label,
                            "raw_key": key,
                            "value": value,
                        }
                    )
    schema = pa.schema(
        [
            ("repo_id", pa.int32()),
            ("billing_period", pa.string()),
            ("raw_key", pa.string()),
            ("value", pa.string()),
        ]
    )
    return arrow_table({f.name: [row[f.name] for row in rows] for f in schema}, schema)
