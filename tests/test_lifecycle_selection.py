"""The single rules every planner and writer share: which repositories the globs select, why a
repository is exempt, how a warehouse image row becomes a LifecycleImage, bytes to dollars."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ecrcost.lifecycle.model import (
    ACTIVATING,
    ARCHIVE,
    STANDARD,
    LifecycleImage,
    lifecycle_image,
    storage_class_of,
)
from ecrcost.lifecycle.selection import exempt_reason, select
from ecrcost.prices import GIB, PriceTable, RegionPrices
from ecrcost.settings import load_settings


@dataclass
class Named:
    repository_name: str


NAMES = [Named(n) for n in ("team/app", "team/api", "Team/app", "legacy/old", "ci")]


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (None, None, ["team/app", "team/api", "Team/app", "legacy/old", "ci"]),
        ([], [], ["team/app", "team/api", "Team/app", "legacy/old", "ci"]),
        (["team/*"], None, ["team/app", "team/api"]),  # case-sensitive
        (["team/*", "ci"], ["*/api"], ["team/app", "ci"]),
        (None, ["*app"], ["team/api", "legacy/old", "ci"]),
        (["nothing*"], None, []),
    ],
)
def test_select_by_globs(include, exclude, expected):
    assert [r.repository_name for r in select(NAMES, include, exclude)] == expected


def test_exempt_reason_tag_first_then_the_first_matching_name_entry():
    settings = load_settings(
        {"exempt_repositories": "legacy/*,*/old", "exemption_tag": "keep"}, env={}
    )
    assert exempt_reason(settings, "legacy/old", True) == "carries the exemption tag keep"
    assert exempt_reason(settings, "legacy/old", False) == (
        "matches exempt_repositories entry 'legacy/*'"
    )
    assert exempt_reason(settings, "team/old", False) == "matches exempt_repositories entry '*/old'"
    assert exempt_reason(settings, "Legacy/new", False) is None  # case-sensitive
    assert exempt_reason(load_settings({}, env={}), "legacy/old", False) is None


def test_storage_class_of_every_image_status():
    assert [storage_class_of(s) for s in ("ACTIVE", "ARCHIVED", "ACTIVATING", None, "NEW")] == [
        STANDARD,
        ARCHIVE,
        ACTIVATING,
        ACTIVATING,
        ACTIVATING,
    ]


def test_lifecycle_image_from_a_warehouse_row():
    pushed = datetime(2026, 1, 2, 3, 4, 5)  # naive UTC, as the warehouse stores it
    archived = datetime(2026, 2, 1, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    row = ("sha256:a", ["v1", "latest"], 123, pushed, None, "ARCHIVED", archived, None, [], "s:b")
    assert lifecycle_image(row, (("sha256:l", 100),)) == LifecycleImage(
        digest="sha256:a",
        tags=("v1", "latest"),
        pushed_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        last_pulled_at=None,
        size_bytes=123,
        storage_class=ARCHIVE,
        archived_at=datetime(2026, 1, 31, 23, 0, tzinfo=UTC),
        last_activated_at=None,
        layers=(("sha256:l", 100),),
        child_digests=(),
        subject_digest="s:b",
    )
    listed = lifecycle_image(("sha256:i", [], None, pushed, pushed, "ACTIVE", None, None,
                              ["sha256:c"], None))  # fmt: skip
    assert (listed.storage_class, listed.layers, listed.child_digests) == (
        STANDARD,
        None,
        ("sha256:c",),
    )
    assert listed.last_pulled_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_monthly_cost_is_the_one_bytes_to_dollars_rule():
    prices = PriceTable(
        default=RegionPrices(storage_per_gb_month=0.10, archive_per_gb_month=0.07),
        regions={"eu-west-1": RegionPrices(storage_per_gb_month=0.11, archive_per_gb_month=0.05)},
    )
    assert prices.monthly_cost(3 * GIB, region="us-east-1") == pytest.approx(0.30)
    assert prices.monthly_cost(3 * GIB, 2 * GIB, region="us-east-1") == pytest.approx(0.44)
    assert prices.monthly_cost(0, 2 * GIB, region="eu-west-1") == pytest.approx(0.10)
    assert prices.monthly_cost(GIB // 2, region=None) == pytest.approx(0.05)
    assert prices.monthly_cost(0, region="eu-west-1") == 0.0
    assert prices.monthly_storage_cost(3 * GIB, "eu-west-1") == prices.monthly_cost(
        3 * GIB, region="eu-west-1"
    )
