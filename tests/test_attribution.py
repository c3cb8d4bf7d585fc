"""Attribution marts, tag key folding, the unattributed line, estimates and `ecrcost costs`."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

import pytest
from fixtures_marts import ACCT, REGION, add_lines, arn, hourly, line

from ecrcost import sqlfiles
from ecrcost.attribution import build_marts, ensure_marts, reconcile
from ecrcost.attribution.analysis import analyse
from ecrcost.attribution.folding import KeyFolder
from ecrcost.attribution.views import costs_view
from ecrcost.billing.groups import replace_line_groups
from ecrcost.cli import main
from ecrcost.errors import UserError
from ecrcost.fmt import csv_value
from ecrcost.periods import Period
from ecrcost.settings import load_settings
from ecrcost.warehouse import connect

GIB = 1024**3
FORMAT_TEAM_KEY = {
    "cur-legacy-parquet": "user_team",
    "cur-legacy-csv": "user:Team",
    "cur2": "user_team",
    "focus": "team",
}


def add_snapshot(con, repos: dict[str, dict], snapshot_id: str = "s1", blobs: bool = False):
    """repos: name -> {"images": [(digest, size, status, [(blob, size)...])], "tags": {...}}"""
    taken = datetime(2026, 2, 3)
    con.execute(
        "INSERT INTO ecr_snapshots VALUES (?, ?, 'sample', ?, ?, 0, 0)",
        [snapshot_id, taken, blobs, len(repos)],
    )
    for name, spec in repos.items():
        account, region = spec.get("account", ACCT), spec.get("region", REGION)
        key = [snapshot_id, taken, account, region, name]
        con.execute(
            "INSERT INTO ecr_repositories VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL, true)",
            [*key, arn(name, account, region)],
        )
        for digest, size, status, layers in spec.get("images", []):
            con.execute(
                "INSERT INTO ecr_images VALUES (?, ?, ?, ?, ?, ?, [], ?, ?, NULL, NULL, NULL,"
                " NULL, ?, NULL, NULL, [])",
                [*key, digest, size, taken, status],
            )
            for blob, blob_size in layers:
                con.execute(
                    "INSERT INTO ecr_image_blobs VALUES (?, ?, ?, ?, ?, ?, ?, 'layer', ?, NULL)",
                    [*key, digest, blob, blob_size],
                )
        for k, v in spec.get("tags", {}).items():
            con.execute(
                "INSERT INTO ecr_repository_tags VALUES (?, ?, ?, ?, ?, ?, ?)", [*key, k, v]
            )


def rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


# --- key folding -------------------------------------------------------------------------


@pytest.mark.parametrize("source,raw", [*FORMAT_TEAM_KEY.items(), ("cur-legacy-csv", "user:TEAM")])
def test_every_format_spelling_folds_to_one_key(source, raw):
    assert KeyFolder().fold(raw, source).canonical_key == "team"


def test_folding_matches_parquet_underscores_aws_keys_and_aliases():
    folder = KeyFolder(aliases={"owner_team": "team"}, report_keys=("team", "CostCenter"))
    # AWS's Parquet rule turns user:CostCenter into user_cost_center: both are one key.
    assert folder.fold("user:CostCenter", "cur-legacy-csv").canonical_key == "CostCenter"
    assert folder.fold("user_cost_center", "cur-legacy-parquet").canonical_key == "CostCenter"
    assert folder.fold("aws:createdBy", "cur-legacy-csv").canonical_key == "aws:created_by"
    assert folder.fold("aws_created_by", "cur2").canonical_key == "aws:created_by"
    assert folder.fold("user_owner_team", "cur2") == folder.fold("user_owner_team", "cur2")
    assert folder.fold("user_owner_team", "cur2").canonical_key == "team"
    assert folder.fold("user_owner_team", "cur2").rule == "alias"
    assert folder.fold("Owner-Team", "inventory").canonical_key == "team"
    # FOCUS keys are bare: a FOCUS key that starts with user_ is a key of its own.
    assert folder.fold("user_id", "focus").canonical_key == "user_id"
    assert folder.canonical("TEAM") == folder.canonical("user_team") == "team"
    assert folder.canonical("aws_created_by") == "aws:created_by"
    assert folder.same_key("cost_center", "Cost-Center")


def test_keys_of_one_identity_share_one_name():
    folded = KeyFolder().fold_all(
        [
            ("cur-legacy-csv", "user:CostCenter"),
            ("cur2", "user_cost_center"),
            ("focus", "COSTCENTER"),
        ]
    )
    assert {f.canonical_key for f in folded} == {"cost_center"}
    assert [f.rule for f in folded] == ["case", "prefix", "case"]


def test_case_sensitive_folding_keeps_case_apart():
    folder = KeyFolder(case_sensitive=True)
    assert folder.fold("user:Team", "cur-legacy-csv").canonical_key == "Team"
    assert folder.fold("user:team", "cur-legacy-csv").canonical_key == "team"


# --- repository costs, adjustments, unattributed -----------------------------------------


def test_repository_costs_keep_gross_and_adjustments_apart(con, settings):
    add_lines(
        con,
        [
            *hourly("web/api", 100.0, 24),  # $10 storage
            *hourly("batch", 40.0, 24),  # $4 storage
            line(
                repo="web/api",
                usage_category="data_transfer",
                usage_type="EU-DataTransfer-Out-Bytes",
                usage_amount=5.0,
                unblended_cost=0.45,
            ),
            line(repo="web/api", line_item_type="EdpDiscount", unblended_cost=-0.5),
            line(repo="batch", line_item_type="Credit", unblended_cost=-1.0),
            line(usage_category="other", line_item_type="Tax", unblended_cost=2.0),
            line(usage_category="other", line_item_type="Credit", unblended_cost=-3.0),
        ],
    )
    summary = build_marts(con, settings, "2026-01")
    assert summary.repositories == 2 and not summary.estimated
    assert summary.total_cost == pytest.approx(11.95)
    got = {
        r[0]: r[1:]
        for r in rows(
            con,
            "SELECT repository_name, storage_cost, data_transfer_cost, gross_cost, credits,"
            " discounts, tax, net_cost, avg_gb_stored, share, estimated"
            " FROM repository_costs ORDER BY 1",
        )
    }
    assert got["web/api"] == pytest.approx(
        (10.0, 0.45, 10.45, 0.0, -0.5, 0.0, 9.95, 100.0, 10.45 / 14.45, False)
    )
    assert got["batch"] == pytest.approx(
        (4.0, 0.0, 4.0, -1.0, 0.0, 0.0, 3.0, 40.0, 4.0 / 14.45, False)
    )
    unattributed = rows(
        con, "SELECT charge_class, cost FROM unattributed_costs ORDER BY charge_class"
    )
    assert unattributed == [("credit", -3.0), ("tax", 2.0)]
    attributed, total = reconcile(con, "2026-01")
    assert round(attributed, 2) == round(total, 2) == 11.95


def test_rebuild_replaces_the_period_and_leaves_others(con, settings):
    add_lines(con, hourly("a", 10.0, 4) + hourly("a", 10.0, 4, billing_period="2026-02"))
    build_marts(con, settings, "2026-01")
    build_marts(con, settings, "2026-02")
    build_marts(con, settings, "2026-01")
    assert rows(con, "SELECT billing_period, net_cost FROM repository_costs ORDER BY 1") == [
        ("2026-01", pytest.approx(1.0)),
        ("2026-02", pytest.approx(1.0)),
    ]
    # A restated month: the bill now says 20 GB.
    con.execute("DELETE FROM cur_ecr_lines WHERE billing_period = '2026-01'")
    add_lines(con, hourly("a", 20.0, 4))
    build_marts(con, settings, "2026-01")
    assert rows(con, "SELECT net_cost FROM repository_costs WHERE billing_period = '2026-01'") == [
        (pytest.approx(2.0),)
    ]


MART_ROWS = {
    "repository_costs": "SELECT * FROM repository_costs",
    "tag_chargeback": "SELECT * FROM tag_chargeback",
    "tag_coverage": "SELECT * FROM tag_coverage",
    "unattributed_costs": "SELECT * FROM unattributed_costs",
    "tag_key_folding": "SELECT * FROM tag_key_folding",
    "mart_builds": "SELECT * EXCLUDE (built_at) FROM mart_builds",
}


def _marts(con) -> dict[str, list[tuple]]:
    def clean(row: tuple) -> tuple:
        return tuple(round(v, 9) if isinstance(v, float) else v for v in row)

    return {t: sorted(map(clean, rows(con, sql)), key=repr) for t, sql in MART_ROWS.items()}


def test_marts_without_line_groups_equal_marts_with_them(con, settings):
    add_lines(
        con,
        [
            *hourly("web/api", 100.0, 24, tags={"user_team": "web"}),
            *hourly("batch", 40.0, 24, tags={"user_team": "data", "user_env": "prod"}),
            *hourly("batch", 40.0, 6, tags={"user_team": "data"}),  # its tags changed
            line(repo="a", billing_period="2026-02", usage_amount=10.0, unblended_cost=1.0),
            line(repo="a", billing_period="2026-02", usage_amount=10.0, unblended_cost=1.0),
            line(repo="web/api", line_item_type="EdpDiscount", unblended_cost=-0.5),
            line(repo="batch", line_item_type="Credit", unblended_cost=-1.0),
            line(usage_category="other", line_item_type="Tax", unblended_cost=2.0),
            line(usage_account_id=None, payer_account_id="999", unblended_cost=0.3),
        ],
    )
    periods = ["2026-01", "2026-02"]
    assert rows(con, "SELECT count(*) FROM cur_ecr_line_groups") == [(0,)]  # never written
    for period in periods:
        build_marts(con, settings, period)
    without = _marts(con)
    # build_marts wrote the period's groups first, as ingestion would have.
    assert rows(
        con,
        "SELECT billing_period, sum(line_count), round(sum(cost), 9)"
        " FROM cur_ecr_line_groups GROUP BY 1 ORDER BY 1",
    ) == rows(
        con,
        "SELECT billing_period, count(*), round(sum(unblended_cost), 9)"
        " FROM cur_ecr_lines GROUP BY 1 ORDER BY 1",
    )
    con.execute("DELETE FROM mart_builds")
    for period in periods:
        replace_line_groups(con, period)  # what ingestion writes
        build_marts(con, settings, period)
    assert _marts(con) == without
    assert without["repository_costs"] and without["tag_chargeback"]


def test_a_failed_build_leaves_the_previous_marts(con, settings, monkeypatch):
    add_lines(con, hourly("a", 10.0, 4))
    build_marts(con, settings, "2026-01")
    add_lines(con, hourly("b", 10.0, 4))
    real_run = sqlfiles.run

    def failing(c, name, params=None):
        if name == "marts/insert_tag_coverage":
            raise RuntimeError("disk full")
        return real_run(c, name, params)

    monkeypatch.setattr(sqlfiles, "run", failing)
    with pytest.raises(RuntimeError):
        build_marts(con, settings, "2026-01")
    assert rows(con, "SELECT repository_name FROM repository_costs") == [("a",)]
    assert rows(con, "SELECT count(*) FROM tag_chargeback") == [(1,)]


# --- inventory: existence and expected cost ------------------------------------------------


def test_deleted_repositories_and_expected_cost(con, settings):
    add_lines(
        con,
        hourly("kept", 3.0, 10)
        + hourly("deleted", 1.0, 10)
        + hourly("elsewhere", 1.0, 10, region="us-west-2"),
    )
    # Two images sharing a 1 GiB layer: billed once (2 GiB), summed sizes would say 3 GiB.
    add_snapshot(
        con,
        {
            "kept": {
                "images": [
                    ("sha256:1", 2 * GIB, "ACTIVE", [("L1", GIB), ("L2", GIB)]),
                    ("sha256:2", GIB, "ACTIVE", [("L1", GIB)]),
                ]
            },
            "other": {"images": [("sha256:3", GIB, "ACTIVE", [])]},
        },
        blobs=True,
    )
    build_marts(con, settings, "2026-01")
    got = {
        r[0]: r[1:]
        for r in rows(
            con,
            "SELECT repository_name, exists_in_inventory, billed_bytes, expected_basis,"
            " expected_monthly_cost, bill_minus_expected FROM repository_costs",
        )
    }
    assert got["kept"] == (True, 2 * GIB, "unique_blobs", pytest.approx(0.2), pytest.approx(0.1))
    assert got["deleted"] == (False, None, None, None, None)
    # us-west-2 was not in the snapshot: unknown, not deleted.
    assert got["elsewhere"] == (None, None, None, None, None)


def test_costs_and_the_marts_use_the_chosen_snapshot_and_say_which(con, home, capsys):
    """Two snapshots that disagree: `costs` names the one it used, --snapshot picks the other,
    and the marts follow (the report passes its snapshot the same way)."""
    add_lines(con, hourly("app", 3.0, 2))
    add_snapshot(con, {"app": {"images": [("sha256:a", GIB, "ACTIVE", [])]}}, snapshot_id="s1")
    add_snapshot(con, {"app": {"images": [("sha256:b", 2 * GIB, "ACTIVE", [])]}}, snapshot_id="s2")
    con.close()
    argv = ["costs", "--period", "2026-01", "-o", "json", "--home", str(home)]

    def expected(*more):
        assert main([*argv, *more]) == 0
        out, err = capsys.readouterr()
        view = json.loads(out)
        return view["snapshot_id"], view["rows"][0]["expected_monthly_cost"], err.splitlines()[0]

    taken = "2026-02-03T00:00:00Z"
    assert expected() == (
        "s2",
        pytest.approx(0.2),
        f"using snapshot s2 taken at {taken} (complete, 1 repositories)",
    )
    assert expected("--snapshot", "s1") == (
        "s1",
        pytest.approx(0.1),
        f"using snapshot s1 taken at {taken} (complete, 1 repositories)",
    )
    assert main([*argv, "--snapshot", "nope"]) == 2
    assert "--snapshot nope: no such snapshot" in capsys.readouterr().err


def test_expected_cost_uses_image_sizes_and_regional_prices(con, home):
    settings = load_settings(
        {"home": str(home), "prices": {"regions": {REGION: {"storage_per_gb_month": 0.25}}}},
        env={},
    )
    add_lines(con, hourly("app", 3.0, 2))
    add_snapshot(
        con,
        {
            "app": {
                "images": [("sha256:a", GIB, "ACTIVE", []), ("sha256:b", 2 * GIB, "ARCHIVED", [])]
            }
        },
    )
    build_marts(con, settings, "2026-01")
    basis, expected = rows(
        con, "SELECT expected_basis, expected_monthly_cost FROM repository_costs"
    )[0]
    assert basis == "image_sizes"
    assert expected == pytest.approx(1 * 0.25 + 2 * 0.10)  # archive at the default archive price


# --- a bill without resource ids ---------------------------------------------------------


def test_bill_without_resource_ids_is_split_by_billed_bytes(con, settings):
    add_lines(
        con,
        [
            line(usage_amount=40.0, unblended_cost=4.0, tags={"user_team": "core"}),
            line(usage_category="other", line_item_type="Tax", unblended_cost=0.8),
            line(region="ap-south-1", usage_amount=10.0, unblended_cost=1.0),
        ],
    )
    add_snapshot(
        con,
        {
            "small": {"images": [("sha256:s", GIB, "ACTIVE", [])]},
            "big": {"images": [("sha256:b", 3 * GIB, "ACTIVE", [])], "tags": {"Team": "web"}},
            "empty": {},
        },
    )
    summary = build_marts(con, settings, "2026-01")
    assert summary.estimated
    got = rows(
        con,
        "SELECT repository_name, storage_cost, avg_gb_stored, estimated"
        " FROM repository_costs ORDER BY storage_cost DESC",
    )
    assert got == [
        ("big", pytest.approx(3.0), pytest.approx(30.0), True),
        ("small", pytest.approx(1.0), pytest.approx(10.0), True),
    ]
    # Tax and a region without inventory stay unattributed, never guessed.
    assert rows(
        con, "SELECT region, charge_class, cost FROM unattributed_costs ORDER BY region"
    ) == [("ap-south-1", "usage", 1.0), (REGION, "tax", 0.8)]
    # The pieces keep their line's tags: the bill's tag total is exact, its repositories unknown.
    assert rows(
        con,
        "SELECT tag_value, net_cost, estimated_cost, repository_count FROM tag_chargeback"
        " WHERE tag_key = 'team' ORDER BY 1",
    ) == [("core", pytest.approx(4.0), 0.0, 0)]
    # Today's repository tags on split pieces: that figure rests on the split.
    build_marts(con, settings, "2026-01", tags_from_inventory=True)
    assert rows(
        con,
        "SELECT tag_value, net_cost, estimated_cost, repository_count FROM tag_chargeback"
        " WHERE tag_key = 'team' ORDER BY 1",
    ) == [("core", pytest.approx(1.0), 0.0, 0), ("web", pytest.approx(3.0), pytest.approx(3.0), 1)]
    marts, total = reconcile(con, "2026-01")
    assert round(marts, 2) == round(total, 2) == 5.8


# --- tag chargeback ------------------------------------------------------------------------


def test_chargeback_folds_every_format_and_audits_it(con, settings):
    add_lines(
        con,
        [
            line(
                repo=f"r-{fmt}",
                unblended_cost=cost,
                usage_amount=cost * 10,
                source_format=fmt,
                tags={key: "payments"},
            )
            for (fmt, key), cost in zip(FORMAT_TEAM_KEY.items(), (1.0, 2.0, 3.0, 4.0), strict=True)
        ]
        + [
            line(repo="untagged-repo", unblended_cost=5.0, tags={"user_env": "prod"}),
            line(repo="other-team", unblended_cost=10.0, tags={"user_Team": "search"}),
            line(usage_category="other", line_item_type="Tax", unblended_cost=1.5),
        ],
    )
    build_marts(con, settings, "2026-01")
    chargeback = rows(
        con,
        "SELECT tag_value, net_cost, repository_count, share, redistributed_cost"
        " FROM tag_chargeback WHERE tag_key = 'team' ORDER BY tag_value",
    )
    # Untagged $5 spread over payments ($10) and search ($10) by gross usage.
    assert chargeback == [
        ("payments", pytest.approx(10.0), 4, pytest.approx(10 / 25), pytest.approx(12.5)),
        ("search", pytest.approx(10.0), 1, pytest.approx(10 / 25), pytest.approx(12.5)),
        ("untagged", pytest.approx(5.0), 1, pytest.approx(5 / 25), 0.0),
    ]
    assert rows(
        con,
        "SELECT tagged_cost, untagged_cost, unattributed_cost, coverage, tagged_repositories,"
        " repositories FROM tag_coverage WHERE tag_key = 'team'",
    ) == [(pytest.approx(20.0), 5.0, 1.5, pytest.approx(0.8), 5, 6)]
    audit = rows(
        con,
        "SELECT source, raw_key, rule, line_count, cost FROM tag_key_folding"
        " WHERE canonical_key = 'team' ORDER BY source, raw_key",
    )
    assert audit == [
        ("cur-legacy-csv", "user:Team", "case", 1, 2.0),
        ("cur-legacy-parquet", "user_team", "prefix", 1, 1.0),
        ("cur2", "user_Team", "case", 1, 10.0),
        ("cur2", "user_team", "prefix", 1, 3.0),
        ("focus", "team", "none", 1, 4.0),
    ]
    assert rows(con, "SELECT DISTINCT tag_key FROM tag_chargeback ORDER BY 1") == [
        ("env",),
        ("team",),
    ]


def test_keys_colliding_on_one_line_take_one_value(con, settings):
    add_lines(
        con,
        [
            line(
                repo="a",
                unblended_cost=1.0,
                source_format="cur-legacy-csv",
                tags={"user:Team": "alpha", "user:team": "beta"},
            )
        ],
    )
    build_marts(con, settings, "2026-01")
    assert rows(con, "SELECT tag_value, net_cost FROM tag_chargeback WHERE tag_key='team'") == [
        ("alpha", 1.0)
    ]


def test_tags_from_inventory_apply_to_history_and_say_so(con, settings):
    add_lines(
        con,
        [
            line(repo="old", unblended_cost=2.0),  # tag not yet activated in this month's bill
            line(repo="billed", unblended_cost=3.0, tags={"user_team": "data"}),
            line(repo="gone", unblended_cost=1.0),
        ],
    )
    add_snapshot(con, {"old": {"tags": {"Team": "web"}}, "billed": {"tags": {"team": "data"}}})
    build_marts(con, settings, "2026-01")
    assert rows(
        con, "SELECT tag_value, net_cost FROM tag_chargeback WHERE tag_key='team' ORDER BY 1"
    ) == [("data", 3.0), ("untagged", 3.0)]

    build_marts(con, settings, "2026-01", tags_from_inventory=True)
    assert rows(
        con,
        "SELECT tag_value, net_cost, bill_tag_cost, inventory_tag_cost, tags_source"
        " FROM tag_chargeback WHERE tag_key='team' ORDER BY 1",
    ) == [
        ("data", 3.0, 0.0, 3.0, "bill+inventory"),
        ("untagged", 1.0, 0.0, 0.0, "bill+inventory"),
        ("web", 2.0, 0.0, 2.0, "bill+inventory"),
    ]
    assert ("inventory", "Team", "team") in rows(
        con, "SELECT source, raw_key, canonical_key FROM tag_key_folding"
    )


# --- empty periods, staleness, reconciliation --------------------------------------------


def _load(con, period: str, loaded_at: datetime, rows_: int = 0, cost: float = 0.0) -> None:
    con.execute("DELETE FROM billing_loads WHERE billing_period = ?", [period])
    con.execute(
        "INSERT INTO billing_loads VALUES (?, 'cur2', 'local', [], 'fp', ?, ?, true, NULL, ?)",
        [period, rows_, cost, loaded_at],
    )


def test_period_with_no_ecr_spend(con, settings):
    _load(con, "2026-03", datetime(2026, 4, 2))
    summary = build_marts(con, settings, "2026-03")
    assert (summary.total_cost, summary.repositories, summary.line_count) == (0.0, 0, 0)
    assert reconcile(con, "2026-03") == (0.0, 0.0)
    view = costs_view(con, settings, "2026-03")
    assert (view["total_cost"], view["unattributed_cost"], view["rows"]) == (0.0, 0.0, [])
    with pytest.raises(UserError, match="no billing data"):
        costs_view(con, settings, "2026-04")


def test_marts_rebuild_when_the_load_is_newer(con, settings):
    add_lines(con, hourly("a", 10.0, 2))
    _load(con, "2026-01", datetime(2026, 2, 3))
    assert ensure_marts(con, settings, "2026-01") is not None
    assert ensure_marts(con, settings, "2026-01") is None  # fresh
    add_lines(con, hourly("b", 10.0, 2))
    _load(con, "2026-01", datetime(2026, 2, 4))
    assert ensure_marts(con, settings, "2026-01").repositories == 2
    assert ensure_marts(con, settings, "2026-01", tags_from_inventory=True) is None  # no snapshot


# --- analysis and CLI ---------------------------------------------------------------------


def test_playbook_analysis(con, settings):
    for gb, repo in [(10, "a"), (20, "b"), (30, "c"), (40, "d"), (50, "e")]:
        add_lines(con, hourly(repo, gb, 1))
        add_lines(con, hourly(repo, 30, 1, billing_period="2025-12"))
    add_lines(con, hourly("f", 5, 1, billing_period="2025-12"))
    result = analyse(con, settings, "2026-01", top=2)
    assert [r["key"] for r in result.top] == [f"{ACCT}:{REGION}:e", f"{ACCT}:{REGION}:d"]
    assert result.median_cost == pytest.approx(3.0)
    assert [r["key"].rsplit(":", 1)[1] for r in result.above_median] == ["e", "d"]
    assert [r["key"].rsplit(":", 1)[1] for r in result.by_size] == ["e", "d"]
    assert result.prior_period == "2025-12"
    movers = [
        (r["key"].rsplit(":", 1)[1], round(r["change"], 2), r["status"]) for r in result.movers
    ]
    assert movers == [("a", -2.0, "changed"), ("e", 2.0, "changed")]


def test_cli_json_shape_and_tag_view(home, settings, capsys):
    con = connect(settings.warehouse_path)
    add_lines(
        con,
        [
            line(repo="a", unblended_cost=6.0, tags={"user_team": "x"}),
            line(repo="b", unblended_cost=2.0),
            line(usage_category="other", line_item_type="Tax", unblended_cost=0.5),
        ],
    )
    con.close()
    assert main(["costs", "--period", "2026-01", "--format", "json", "--home", str(home)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["period"], doc["by"], doc["total_cost"], doc["unattributed_cost"]) == (
        "2026-01",
        "repository",
        8.5,
        0.5,
    )
    assert [(r["key"], r["cost"]) for r in doc["rows"]] == [
        (f"{ACCT}:{REGION}:a", 6.0),
        (f"{ACCT}:{REGION}:b", 2.0),
    ]
    argv = ["costs", "--period", "2026-01", "--by", "tag:Team", "--home", str(home)]
    assert main([*argv, "--format", "json", "--top", "1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["tag_key"], doc["unattributed_cost"], doc["untagged_cost"]) == ("team", 0.5, 2.0)
    assert [(r["key"], r["cost"]) for r in doc["rows"]] == [("x", 6.0)]
    # Every view: rows + unattributed = the period total.
    for by in ("repository", "account", "region", "tag:team"):
        view = costs_view(con := connect(settings.warehouse_path), settings, "2026-01", by)
        con.close()
        assert round(sum(r["cost"] for r in view["rows"]) + view["unattributed_cost"], 2) == 8.5
    assert main([*argv, "--redistribute"]) == 0
    out = capsys.readouterr().out
    assert "coverage 75.0% of gross usage" in out
    assert "user_team (cur2)" in out
    assert "$8.00" in out  # x redistributed: 6 + 2
    assert out.splitlines()[-1].split()[:2] == ["(unattributed)", "$0.50"]


def test_cli_bad_input_is_one_line_exit_2(home, settings, capsys):
    assert main(["costs", "--period", "2026-13", "--home", str(home)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "YYYY-MM" in err
    connect(settings.warehouse_path).close()
    assert main(["costs", "--period", "2026-01", "--by", "team", "--home", str(home)]) == 2
    assert "tag:KEY" in capsys.readouterr().err
    assert main(["costs", "--period", "2026-01", "--home", str(home)]) == 2
    assert "no billing data" in capsys.readouterr().err


def test_cli_analysis_table_and_csv(home, settings, capsys):
    con = connect(settings.warehouse_path)
    for gb, repo in [(10, "a"), (20, "b"), (60, "c")]:
        add_lines(con, hourly(repo, gb, 1))
    con.close()
    argv = ["costs", "--period", "2026-01", "--analysis", "--top", "2", "--home", str(home)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Every repository above the median ($2.00, 3 repositories billed)" in out
    assert "Biggest movers: no prior period" in out
    assert main([*argv, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("section,key,cost")
    assert [ln.split(",")[0] for ln in lines[1:]] == [
        "top",
        "top",
        "above_median",
        "by_size",
        "by_size",
    ]


def test_cli_analysis_csv_with_movers_has_every_column(home, settings, capsys):
    """Sections with their own columns (movers carry prior_cost) share one CSV header."""
    con = connect(settings.warehouse_path)
    add_lines(con, hourly("a", 10, 1) + hourly("b", 30, 1))
    add_lines(
        con,
        [
            {**row, "billing_period": "2026-02", "usage_start": datetime(2026, 2, 1)}
            for row in hourly("a", 20, 1) + hourly("b", 30, 1)
        ],
    )
    con.close()
    argv = ["costs", "--period", "2026-02", "--analysis", "-o", "csv", "--home", str(home)]
    assert main(argv) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    movers = [r for r in rows if r["section"] == "movers"]
    assert (movers[0]["key"], movers[0]["prior_cost"]) == (f"{ACCT}:{REGION}:a", "1")
    assert all(r["prior_cost"] == "" for r in rows if r["section"] == "top")


def test_cli_output_option_and_its_format_alias_agree(home, settings, capsys):
    con = connect(settings.warehouse_path)
    add_lines(con, [line(repo="a", unblended_cost=6.0), line(repo="b", unblended_cost=2.0)])
    con.close()
    argv = ["costs", "--period", "2026-01", "--home", str(home)]
    printed = []
    for flag in ("-o", "--output", "--format"):
        assert main([*argv, flag, "csv"]) == 0
        printed.append(capsys.readouterr().out)
    assert printed[0] == printed[1] == printed[2]
    assert printed[0].splitlines()[0].startswith("key,")


def test_cli_errors_name_the_real_command_and_the_one_period_message(home, settings, capsys):
    assert main(["costs", "--period", "2026-13", "--home", str(home)]) == 2
    assert capsys.readouterr().err == (
        "ecrcost: --period '2026-13': expected a billing period as YYYY-MM, e.g. 2026-10\n"
    )
    connect(settings.warehouse_path).close()
    with pytest.raises(UserError) as missing:
        costs_view(con := connect(settings.warehouse_path), settings, "2026-01")
    con.close()
    assert str(missing.value) == (
        "period 2026-01: no billing data in the warehouse; load the bill for it first "
        "(ecrcost ingest --cur LOCATION) or pick a loaded period"
    )


def test_cli_csv_numbers_without_binary_noise_and_flags_true_false(home, settings, capsys):
    con = connect(settings.warehouse_path)
    # Three lines of $0.10 and 0.1 GB-Mo each: the sums are 0.30000000000000004 in floats.
    add_lines(con, [line(repo="a", unblended_cost=0.1, usage_amount=0.1) for _ in range(3)])
    con.close()
    assert main(["costs", "--period", "2026-01", "-o", "csv", "--home", str(home)]) == 0
    rows = capsys.readouterr().out.splitlines()
    header = rows[0].split(",")
    (a,) = [dict(zip(header, r.split(","), strict=True)) for r in rows[1:]]
    assert (a["cost"], a["gross_cost"], a["share"]) == ("0.3", "0.3", "1")
    # No inventory snapshot: whether it exists is unknown (empty), not false.
    assert (a["exists_in_inventory"], a["estimated"]) == ("", "false")
    assert "0000000" not in "\n".join(rows)


def test_csv_value_rounds_floats_to_12_significant_digits():

    assert csv_value(0.10000000000000586) == "0.1"
    assert csv_value(1234.5678901234567) == "1234.56789012"
    assert csv_value(1.81e-08) == "1.81e-08"
    assert csv_value(-0.0) == "0"
    assert (csv_value(True), csv_value(False), csv_value(None), csv_value(7)) == (
        "true",
        "false",
        "",
        7,
    )


def test_cli_redistribute_without_a_tag_view_is_one_line_exit_2(home, settings, capsys):
    con = connect(settings.warehouse_path)
    add_lines(con, [line(repo="a", unblended_cost=6.0)])
    con.close()
    argv = ["costs", "--period", "2026-01", "--redistribute", "--home", str(home)]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        "ecrcost: --redistribute: spreads untagged spend over tag values; add --by tag:KEY "
        "(not --by repository)\n"
    )
    assert main([*argv, "--by", "account"]) == 2
    assert "(not --by account)" in capsys.readouterr().err


def test_cli_period_defaults_to_the_last_closed_month_and_says_so(
    home, settings, capsys, monkeypatch
):

    monkeypatch.setattr(Period, "last_closed", classmethod(lambda cls, now=None: Period(2026, 1)))
    con = connect(settings.warehouse_path)
    add_lines(con, [line(repo="a", unblended_cost=6.0)])
    con.close()
    assert main(["costs", "-o", "json", "--home", str(home)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["period"] == "2026-01"
    assert captured.err == "note: --period not given: using the last closed month, 2026-01\n"


# --- deterministic money ------------------------------------------------------------------

BIG_MONTH = 300_000  # groups: well over two of DuckDB's 122,880-row groups, so threads split


def _big_month(con) -> list[float]:
    """One line per repository in 40 accounts x 3 regions, with costs of many digits, a team
    tag on two thirds of them, some data transfer and a credit per account; returns the costs."""
    con.execute(
        """
        INSERT INTO cur_ecr_lines (billing_period, usage_start, usage_account_id, region,
            product_code, resource_id, repository_name, usage_category, usage_type,
            line_item_type, usage_amount, unit, unblended_cost, tags, source_format,
            source_file)
        SELECT '2026-01', TIMESTAMP '2026-01-01' + to_hours(i % 744),
            lpad(CAST(100000000000 + i % 40 AS VARCHAR), 12, '0'),
            ['eu-west-1', 'us-east-1', 'ap-southeast-2'][1 + i % 3],
            'AmazonECR',
            CASE WHEN i % 50 <> 0 THEN 'arn:aws:ecr:r:a:repository/r' || i END,
            CASE WHEN i % 50 <> 0 THEN 'r' || i END,
            CASE WHEN i % 10 = 1 THEN 'data_transfer' ELSE 'storage' END,
            'TimedStorage-ByteHrs',
            CASE WHEN i % 401 = 0 THEN 'Credit' ELSE 'Usage' END,
            ((i * 7919) % 100003) / 3.0e4,
            'GB-Mo',
            CASE WHEN i % 401 = 0 THEN -1.0 / 3 ELSE ((i * 7919) % 100003) / 3.0e5 END,
            CASE WHEN i % 3 = 0 THEN MAP {}::MAP(VARCHAR, VARCHAR)
                ELSE MAP {'user_team': 'team' || (i % 17)} END,
            'cur2', 'big.parquet'
        FROM range(?) AS t(i)
        """,
        [BIG_MONTH],
    )
    replace_line_groups(con, "2026-01")
    return [r[0] for r in rows(con, "SELECT unblended_cost FROM cur_ecr_lines")]


def _every_total(con, settings) -> dict[str, Any]:
    build_marts(con, settings, "2026-01")
    return {
        "build": rows(
            con, "SELECT total_cost, attributed_cost, unattributed_cost FROM mart_builds"
        ),
        "tags": rows(con, "SELECT * EXCLUDE (tags_source) FROM tag_chargeback ORDER BY ALL"),
        "coverage": rows(con, "SELECT * FROM tag_coverage ORDER BY ALL"),
        "unattributed": rows(con, "SELECT * FROM unattributed_costs ORDER BY ALL"),
        "reconcile": reconcile(con, "2026-01"),
        "accounts": costs_view(con, settings, "2026-01", "account")["rows"],
        "regions": costs_view(con, settings, "2026-01", "region")["rows"],
        "report": sqlfiles.records(con, "reports/period_totals", {"periods": ["2026-01"]}),
    }


def test_two_builds_of_a_big_month_give_bit_identical_totals(con, settings):
    import math

    con.execute("SET threads = 2")
    costs = _big_month(con)
    first = _every_total(con, settings)
    second = _every_total(con, settings)
    assert first == second  # to the last bit: floats compare exactly
    ((total, attributed, unattributed),) = first["build"]
    # The DECIMAL(38,12) sum is within n x 0.5e-12 of the exact sum of the bill's doubles.
    assert abs(total - math.fsum(costs)) < BIG_MONTH * 0.5e-12
    assert round(total, 2) == round(math.fsum(costs), 2)
    assert first["reconcile"][0] == first["reconcile"][1] == attributed + unattributed
    assert len(first["accounts"]) == 40 and len(first["regions"]) == 3
    assert first["report"][0]["total_cost"] == total
    # A tag value's storage and data transfer are its gross usage (no other category here).
    for row in costs_view(con, settings, "2026-01", "tag:team")["rows"]:
        assert row["storage_cost"] > 0 and row["data_transfer_cost"] > 0
        assert row["storage_cost"] + row["data_transfer_cost"] == pytest.approx(
            row["gross_cost"], abs=1e-9
        )


def test_a_warehouse_from_before_the_tag_categories_gets_them_on_open(home, settings):
    """tag_chargeback as MART_VERSION 3 wrote it (no storage or transfer columns, its marts
    built then): opening adds the columns, and the stale marts rebuild with them filled."""
    path = home / "warehouse.duckdb"
    con = connect(path)
    add_lines(
        con,
        [
            line(repo="a", unblended_cost=4.0, tags={"user_team": "x"}),
            line(
                repo="a",
                unblended_cost=1.5,
                usage_category="data_transfer",
                tags={"user_team": "x"},
            ),
        ],
    )
    build_marts(con, settings, "2026-01")
    for col in ("storage_cost", "archive_storage_cost", "data_transfer_cost"):
        con.execute(f"ALTER TABLE tag_chargeback DROP COLUMN {col}")
    con.execute("UPDATE mart_builds SET settings_key = 'version 3'")
    con.close()
    con = connect(path)
    assert ensure_marts(con, settings, "2026-01") is not None  # stale: rebuilt
    got = rows(
        con,
        "SELECT tag_value, net_cost, storage_cost, archive_storage_cost, data_transfer_cost "
        "FROM tag_chargeback WHERE tag_key = 'team'",
    )
    con.close()
    assert got == [("x", 5.5, 4.0, 0.0, 1.5)]
