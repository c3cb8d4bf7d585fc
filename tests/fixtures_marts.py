"""Bill lines for the attribution and report tests: one canonical `cur_ecr_lines` row with
defaults (`line`), hourly storage rows, and the insert."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

ACCT, REGION = "111122223333", "eu-west-1"


def arn(name: str, account: str = ACCT, region: str = REGION) -> str:
    return f"arn:aws:ecr:{region}:{account}:repository/{name}"


def line(**over: Any) -> dict[str, Any]:
    row = {
        "billing_period": "2026-01",
        "usage_start": datetime(2026, 1, 1),
        "usage_account_id": ACCT,
        "region": REGION,
        "product_code": "AmazonECR",
        "resource_id": None,
        "repository_name": None,
        "usage_category": "storage",
        "usage_type": "EU-TimedStorage-ByteHrs",
        "line_item_type": "Usage",
        "usage_amount": 0.0,
        "unit": "GB-Mo",
        "unblended_cost": 0.0,
        "tags": {},
        "source_format": "cur2",
        "source_file": "test.parquet",
    }
    if "repo" in over:
        name = over.pop("repo")
        row["resource_id"] = arn(
            name, over.get("usage_account_id", ACCT), over.get("region", REGION)
        )
        row["repository_name"] = name
    row.update(over)
    return row


def add_lines(con, rows: list[dict[str, Any]]) -> None:
    cols = list(rows[0])
    con.executemany(
        f"INSERT INTO cur_ecr_lines ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [[r[c] for c in cols] for r in rows],
    )


def hourly(repo: str, gb: float, hours: int, price: float = 0.10, **over: Any) -> list[dict]:
    """Hourly storage rows: `gb` stored all along, the bill's GB-Mo split over `hours`."""
    return [
        line(
            repo=repo,
            usage_start=datetime(2026, 1, 1) + timedelta(hours=h),
            usage_amount=gb / hours,
            unblended_cost=gb / hours * price,
            **over,
        )
        for h in range(hours)
    ]
