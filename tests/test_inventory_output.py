"""The inventory's CSV cells: the playbook's three columns byte for byte, the detailed ones as
CSV readers expect (true/false, cents, whole seconds)."""

from __future__ import annotations

from datetime import datetime

from ecrcost.inventory.output import playbook_csv
from ecrcost.inventory.store import RepositorySize
from ecrcost.prices import PriceTable

MIB = 1024**2


def size(name: str, complete: bool, monthly_cost: float) -> RepositorySize:
    return RepositorySize(
        "snap", "111111111111", "us-east-1", name, complete, 2, 1, 0, 1536 * MIB, 1024 * MIB,
        0, "estimated", monthly_cost,
    )  # fmt: skip


def test_detailed_csv_booleans_true_false_and_cents():
    sizes = [size("a", True, 0.1 + 0.2 - 0.2), size("b", False, 0.30000000000000004)]
    details = {
        ("111111111111", "us-east-1", "a"): {
            "oldest_push": datetime(2026, 3, 1, 12, 0, 0, 999999),
            "newest_push": None,
            "last_pull": None,
            "has_policy": True,
            "tags": "team=web",
        },
        ("111111111111", "us-east-1", "b"): {"has_policy": None},  # the policy could not be read
    }
    lines = playbook_csv(sizes, PriceTable(), details).splitlines()
    assert lines[1:] == [
        "a,1536 MB,0.15,111111111111,us-east-1,2,1,1073741824,estimated,0.10,"
        "2026-03-01T12:00:00Z,,,true,team=web,true",
        "b,1536 MB,0.15,111111111111,us-east-1,2,1,1073741824,estimated,0.30,,,,,,false",
    ]
    # The playbook's own columns are the same bytes with or without --detailed.
    plain = playbook_csv(sizes, PriceTable()).splitlines()
    assert plain == ["Repositories,Size,Expected Cost", "a,1536 MB,0.15", "b,1536 MB,0.15"]
    assert [line.split(",")[:3] for line in lines[1:]] == [p.split(",") for p in plain[1:]]
