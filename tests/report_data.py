"""Hand-built warehouse rows for the realized-savings and report tests (known answers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ecrcost.attribution import build_marts
from ecrcost.billing.groups import replace_line_groups
from ecrcost.inventory.model import Image, Repository, Snapshot
from ecrcost.inventory.store import store_snapshot
from ecrcost.reports import prepare_report

ACCOUNT = "111122223333"
REGION = "eu-west-1"
PERIOD = "2026-03"
SCRIPT = "<script>alert(1)</script>"
PIPE_TAG = "web|ops\nsecond line"
KEEP_20 = {
    "rules": [
        {
            "rulePriority": 1,
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20},
            "action": {"type": "expire"},
        }
    ]
}


def add_snapshot(con: Any) -> None:

    taken = datetime(2026, 4, 2, tzinfo=UTC)

    def images(n: int, size: int, untagged: int = 0) -> list[Image]:
        return [
            Image(
                digest=f"sha256:{size:x}{i:060x}"[:71],
                tags=[] if i < untagged else [f"v{i}"],
                size_bytes=size,
                pushed_at=taken - timedelta(days=i + 1),
            )
            for i in range(n)
        ]

    def repo(name: str, imgs: list[Image], policy: str | None) -> Repository:
        return Repository(
            ACCOUNT,
            REGION,
            name,
            f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}",
            lifecycle_policy=policy,
            images=imgs,
        )

    store_snapshot(
        con,
        Snapshot(
            taken,
            "test",
            repositories=[
                repo("team/api", images(12, 2 * 1024**3, untagged=6), json.dumps(KEEP_20)),
                repo("team/web", images(30, 1024**3, untagged=20), None),
                repo("untagged/x", images(3, 512 * 1024**2), None),
            ],
        ),
    )


def days(start: date, end: date) -> list[date]:
    """start .. end inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def add_daily_storage(
    con: Any,
    repository: str | None,
    start: date,
    end: date,
    cost_of_day: Callable[[date], float],
    *,
    account: str = ACCOUNT,
    region: str = REGION,
    tags: dict[str, str] | None = None,
    category: str = "storage",
    line_item_type: str = "Usage",
    price: float = 0.10,
) -> None:
    """One daily line per day (GB-Mo = cost / price); days costing 0 get no line at all."""
    rows = []
    for d in days(start, end):
        cost = cost_of_day(d)
        if cost == 0:
            continue
        rows.append(
            (
                f"{d:%Y-%m}",
                datetime(d.year, d.month, d.day),
                account,
                region,
                None
                if repository is None
                else f"arn:aws:ecr:{region}:{account}:repository/{repository}",
                repository,
                category,
                line_item_type,
                cost / price if line_item_type == "Usage" else 0.0,
                cost,
                tags or {},
            )
        )
    if not rows:
        return
    cols = list(zip(*rows, strict=True))
    # One statement for all rows: executemany is row by row and slow.
    con.execute(
        "INSERT INTO cur_ecr_lines (billing_period, usage_start, usage_account_id, region,"
        " resource_id, repository_name, usage_category, line_item_type, usage_amount,"
        " unblended_cost, tags, product_code, source_format, source_file)"
        " SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5), unnest($6),"
        " unnest($7), unnest($8), unnest($9), unnest($10),"
        " unnest($11::MAP(VARCHAR, VARCHAR)[]), 'AmazonECR', 'test', 'test'",
        [list(c) for c in cols],
    )
    # As ingestion does in the same transaction: the report and the marts read the groups.
    for period in sorted(set(cols[0])):
        replace_line_groups(con, period)


def add_action(
    con: Any,
    action_id: str,
    action: str,
    acted_at: datetime,
    repository: str,
    predicted: float | None,
    *,
    account: str = ACCOUNT,
    region: str = REGION,
    status: str = "done",
) -> None:
    con.execute(
        "INSERT INTO policy_actions (action_id, action, status, acted_at, account_id, region,"
        " repository_name, predicted_monthly_savings_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [action_id, action, status, acted_at, account, region, repository, predicted],
    )


def build_warehouse(con: Any, settings: Any) -> None:
    """Three months of a small organisation: tagged (markup and a pipe in tag values),
    untagged and unattributed spend, an action, an inventory snapshot, then everything the
    report of PERIOD reads (marts, realized savings, the candidate policy's plan)."""

    start, end = date(2026, 1, 1), date(2026, 3, 31)
    add_daily_storage(
        con,
        "team/api",
        start,
        end,
        lambda d: 1.0 if d < date(2026, 3, 10) else 0.4,
        tags={"user:team": SCRIPT},
    )
    add_daily_storage(
        con, "team/web", start, end, lambda d: 2.0 + d.day / 100, tags={"user:team": PIPE_TAG}
    )
    add_daily_storage(con, "untagged/x", date(2026, 2, 1), end, lambda d: 0.5)
    add_daily_storage(
        con,
        "team/web",
        start,
        end,
        lambda d: 0.05,
        category="archive_storage",
        tags={"user:team": PIPE_TAG},
    )
    add_daily_storage(con, None, start, end, lambda d: 0.2, line_item_type="Tax")
    add_daily_storage(
        con,
        "team/web",
        start,
        end,
        lambda d: -0.1,
        line_item_type="Credit",
        tags={"user:team": PIPE_TAG},
    )
    add_action(con, "a1", "policy_applied", datetime(2026, 3, 10, 12), "team/api", 20.0)
    add_snapshot(con)
    for p in ("2026-01", "2026-02", PERIOD):
        build_marts(con, settings, p)
    assert prepare_report(con, settings, PERIOD, "2026-02") == []
