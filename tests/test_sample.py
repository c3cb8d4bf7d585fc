"""The sample organisation: determinism, structure, and one truth carried by every layout."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ecrcost.billing import ingest
from ecrcost.billing.readers import parquet_name
from ecrcost.cli import main
from ecrcost.errors import UserError
from ecrcost.inventory.model import Snapshot
from ecrcost.periods import Period
from ecrcost.sample import generate
from ecrcost.sample.model import SimImage, build_org, evaluate_policy, periods_for
from ecrcost.sqlfiles import SQL_DIR
from ecrcost.warehouse import opened

END = "2026-10"
MONTHS = 3
PERIODS = ["2026-08", "2026-09", "2026-10"]
GIB = 1024**3


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "org"
    summary = generate(out, seed=7, months=MONTHS, end=END)
    assert summary.periods == PERIODS
    return out


@pytest.fixture(scope="module")
def truth(sample) -> dict[str, dict[str, float]]:
    with open(sample / "truth" / "period_totals.csv") as f:
        return {
            r["billing_period"]: {k: float(v) for k, v in r.items() if k != "billing_period"}
            for r in csv.DictReader(f)
        }


@pytest.fixture(scope="module")
def snapshot(sample) -> Snapshot:
    return Snapshot.read(sample / "inventory" / "snapshot.json.gz")


def _q(sql: str, params: dict | None = None) -> duckdb.DuckDBPyConnection:
    return duckdb.connect().execute(sql, params or {})


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_and_end_give_byte_identical_files(sample, tmp_path):
    again = generate(tmp_path / "again", seed=7, months=MONTHS, end=END)
    assert _hashes(sample) == _hashes(tmp_path / "again")
    assert len(again.paths) == len(_hashes(sample))


def test_default_end_is_the_last_closed_month():
    assert str(Period.last_closed(datetime(2026, 11, 28, tzinfo=UTC))) == "2026-10"
    assert str(Period.last_closed(datetime(2026, 1, 3, tzinfo=UTC))) == "2025-12"


def test_every_layout_is_where_aws_puts_it(sample):
    legacy = sample / "cur-legacy-parquet" / "cur" / "ecrcost-athena"
    for month in ("8", "9", "10"):  # month not zero-padded
        assert (
            legacy
            / "ecrcost-athena"
            / "year=2026"
            / f"month={month}"
            / "ecrcost-athena-00001.snappy.parquet"
        ).is_file()
    status = _q(
        f"SELECT status FROM '{legacy}/cost_and_usage_data_status/"
        "cost_and_usage_data_status.parquet'"
    ).fetchall()
    assert status == [("READY",)]
    assert "CREATE EXTERNAL TABLE" in (legacy / "ecrcost-athena-create-table.sql").read_text()
    for layout, export in (("cur2", "ecrcost-cur2"), ("focus", "ecrcost-focus")):
        base = sample / layout / "exports" / export
        for period in PERIODS:
            data = base / "data" / f"BILLING_PERIOD={period}" / f"{export}-00001.snappy.parquet"
            assert data.is_file()
            manifest = json.loads(
                (
                    base / "metadata" / f"BILLING_PERIOD={period}" / f"{export}-Manifest.json"
                ).read_text()
            )
            assert manifest["dataFiles"][0].endswith(
                f"/{export}/data/BILLING_PERIOD={period}/{export}-00001.snappy.parquet"
            )
            assert {c["name"] for c in manifest["columns"]} == set(
                _q(
                    f"DESCRIBE SELECT * FROM read_parquet('{data}', hive_partitioning = false)"
                ).df()["column_name"]
            )
    spans = sorted(p.name for p in (sample / "cur-legacy-csv" / "ecrcost-csv").iterdir())
    assert spans == ["20260801-20260901", "20260901-20261001", "20261001-20261101"]
    assert {p.name for p in sample.iterdir()} == {
        "cur-legacy-parquet",
        "cur-legacy-csv",
        "cur2",
        "focus",
        "inventory",
        "truth",
    }


def test_the_organisation_is_big_enough_and_realistic(sample, snapshot):
    with open(sample / "truth" / "repository_costs.csv") as f:
        rows = list(csv.DictReader(f))
    repos = {(r["account_id"], r["region"], r["repository_name"]) for r in rows}
    accounts = {a for a, _, _ in repos}
    assert len(accounts) >= 3 and all(len(a) == 12 and a.isdigit() for a in accounts)
    assert {r for _, r, _ in repos} == {"us-east-1", "eu-west-1", "us-west-2"}
    assert len(repos) >= 60 and all("/" in name for _, _, name in repos)
    tags = [r.tags for r in snapshot.repositories]
    # The demo looks real: markup in tag values is the tests' data (tests/report_data.py).
    assert not any("<" in v or ">" in v for t in tags for v in t.values())
    # Read when the last period ends: never dated after a report of that closed month.
    assert snapshot.taken_at == Period.parse(PERIODS[-1]).end_at.replace(tzinfo=UTC)
    assert any("Team" in t for t in tags) and any("owner_team" in t for t in tags)
    assert any(t == {} for t in tags)
    assert any(not r.images for r in snapshot.repositories)  # one empty repository


def _legacy_parquet_totals(sample: Path) -> dict[str, float]:
    rows = _q(
        f"SELECT strftime(bill_billing_period_start_date, '%Y-%m'), sum(line_item_unblended_cost) "
        f"FROM read_parquet('{sample}/cur-legacy-parquet/**/ecrcost-athena-*.parquet', "
        "union_by_name = true) WHERE line_item_product_code = 'AmazonECR' GROUP BY 1"
    ).fetchall()
    return dict(rows)


def _csv_current_keys(sample: Path) -> list[str]:
    root = sample / "cur-legacy-csv"
    keys = []
    for manifest in sorted(root.glob("ecrcost-csv/*/ecrcost-csv-Manifest.json")):
        keys += [str(root / k) for k in json.loads(manifest.read_text())["reportKeys"]]
    return keys


def _csv_totals(files: list[str]) -> dict[str, float]:
    rows = _q(
        'SELECT substr("bill/BillingPeriodStartDate", 1, 7), '
        'sum(CAST("lineItem/UnblendedCost" AS DOUBLE)) '
        f"FROM read_csv({files!r}, union_by_name = true, header = true, all_varchar = true) "
        "WHERE \"lineItem/ProductCode\" = 'AmazonECR' GROUP BY 1"
    ).fetchall()
    return dict(rows)


def _export_totals(sample: Path, layout: str, column: str, where: str) -> dict[str, float]:
    rows = _q(
        f"SELECT BILLING_PERIOD, sum({column}) FROM read_parquet('{sample}/{layout}/exports/*/"
        f"data/*/*.parquet', hive_partitioning = true) WHERE {where} GROUP BY 1"
    ).fetchall()
    return dict(rows)


def test_every_layout_carries_the_truths_ecr_total_to_the_cent(sample, truth):
    layouts = {
        "cur-legacy-parquet": _legacy_parquet_totals(sample),
        "cur-legacy-csv": _csv_totals(_csv_current_keys(sample)),
        "cur2": _export_totals(
            sample, "cur2", "line_item_unblended_cost", "line_item_product_code = 'AmazonECR'"
        ),
        "focus": _export_totals(sample, "focus", "BilledCost", "x_ServiceCode = 'AmazonECR'"),
    }
    for name, totals in layouts.items():
        assert sorted(totals) == PERIODS, name
        for period in PERIODS:
            assert round(totals[period], 2) == round(truth[period]["total_ecr_cost"], 2), name
    for period in PERIODS:
        t = truth[period]
        parts = t["usage_cost"] + t["credit"] + t["tax"] + t["discount"]
        assert parts == pytest.approx(t["total_ecr_cost"], abs=1e-9)
        assert t["credit"] < 0 < t["tax"] and t["discount"] < 0 < t["usage_cost"]
        assert t["non_ecr_cost"] > 10 * t["total_ecr_cost"]  # readers must filter


LAYOUTS = ("cur-legacy-parquet", "cur-legacy-csv", "cur2", "focus")


def test_every_layout_ingests_to_the_same_sums_per_account_region_and_line_type(sample, tmp_path):
    # FOCUS has no discount category: the EdpDiscount line arrives as ChargeCategory Adjustment.
    as_focus = {"EdpDiscount": "Adjustment"}
    sums: dict[str, dict[tuple, float]] = {}
    for layout in LAYOUTS:
        with opened(tmp_path / layout / "warehouse.duckdb") as con:
            ingest(con, str(sample / layout))
            rows = con.execute(
                "SELECT billing_period, usage_account_id, region, line_item_type,"
                " sum(unblended_cost) FROM cur_ecr_lines GROUP BY ALL"
            ).fetchall()
        sums[layout] = {(p, a, r, as_focus.get(t, t)): c for p, a, r, t, c in rows}
    reference = sums["cur-legacy-parquet"]
    assert {k[0] for k in reference} == set(PERIODS)
    assert {k[3] for k in reference} == {"Usage", "Adjustment", "Credit", "Tax"}
    assert {k[2] for k in reference if k[3] == "Usage"} == {"us-east-1", "eu-west-1", "us-west-2"}
    # tax and credit lines have no product region in any layout (docs/billing-layouts.md)
    assert {k[2] for k in reference if k[3] in ("Tax", "Credit")} == {None}
    for layout, got in sums.items():
        assert set(got) == set(reference), layout
        for key, cost in reference.items():
            assert abs(got[key] - cost) < 0.005, (layout, key, got[key], cost)


def test_net_unblended_cost_sums_to_the_unblended_total(sample):
    unblended, net = _q(
        f"SELECT sum(line_item_unblended_cost), sum(line_item_net_unblended_cost) "
        f"FROM read_parquet('{sample}/cur2/exports/*/data/*/*.parquet') "
        "WHERE line_item_product_code = 'AmazonECR'"
    ).fetchone()
    assert net == pytest.approx(unblended, abs=0.005)


def test_superseded_csv_assembly_is_present_but_not_listed(sample, truth):
    span = sample / "cur-legacy-csv" / "ecrcost-csv" / "20260901-20261001"
    assemblies = sorted(p.name for p in span.iterdir() if p.is_dir())
    assert len(assemblies) == 2
    listed = json.loads((span / "ecrcost-csv-Manifest.json").read_text())["reportKeys"]
    assert len(listed) == 1
    stale = next(a for a in assemblies if a not in listed[0])
    stale_file = span / stale / "ecrcost-csv-1.csv.gz"
    assert (
        json.loads((span / stale / "ecrcost-csv-Manifest.json").read_text())["assemblyId"] == stale
    )
    stale_total = _csv_totals([str(stale_file)])["2026-09"]
    assert round(stale_total, 2) != round(truth["2026-09"]["total_ecr_cost"], 2)
    everything = _csv_totals(sorted(str(p) for p in span.rglob("*.csv.gz")))["2026-09"]
    assert everything > truth["2026-09"]["total_ecr_cost"] + 1  # reading all double-counts


def test_legacy_parquet_matches_real_file_types_and_tag_columns(sample):
    month = sample / "cur-legacy-parquet" / "cur" / "ecrcost-athena" / "ecrcost-athena"
    first = _q(f"DESCRIBE SELECT * FROM '{month}/year=2026/month=8/*.parquet'").df()
    last = _q(f"DESCRIBE SELECT * FROM '{month}/year=2026/month=10/*.parquet'").df()
    types = dict(zip(last["column_name"], last["column_type"], strict=True))
    assert types["line_item_usage_start_date"] == "TIMESTAMP"  # naive UTC, as real files read
    assert types["line_item_unblended_rate"] == "VARCHAR"
    assert types["line_item_unblended_cost"] == "DOUBLE"
    # cost-center was activated after the first month: schema drift between months
    assert "resource_tags_user_cost_center" not in set(first["column_name"])
    assert "resource_tags_user_cost_center" in types
    physical = _q(
        f"SELECT type FROM parquet_schema('{month}/year=2026/month=10/"
        "ecrcost-athena-00001.snappy.parquet') WHERE name = 'line_item_usage_start_date'"
    ).fetchone()
    assert physical == ("INT64",)
    empty = _q(
        f"SELECT count(*) FROM '{month}/year=2026/month=10/*.parquet' "
        "WHERE resource_tags_user_team IS NULL"
    ).fetchone()
    assert empty == (0,)  # empty tags are '' as in real files
    assert parquet_name("resourceTags/user:CostCenter") == "resource_tags_user_cost_center"
    assert parquet_name("reservation/ReservationARN") == "reservation_reservation_a_r_n"


def test_csv_keeps_tag_key_casings_apart_and_is_not_retroactive(sample):
    keys = _csv_current_keys(sample)
    headers = []
    for k in keys:
        with gzip.open(k, "rt") as f:
            headers.append(f.readline().strip().split(","))
    assert "resourceTags/user:team" in headers[0]
    assert "resourceTags/user:Team" not in headers[0]  # activated in the second month
    assert {"resourceTags/user:team", "resourceTags/user:Team"} <= set(headers[-1])
    with gzip.open(keys[-1], "rt") as f:
        first_line = f.readlines()[1]
    assert "T00:00:00Z/" in first_line.split(",")[1]
    with open(sample / "truth" / "tags.csv") as f:
        tags = list(csv.DictReader(f))
    assert not any(t["raw_key"] == "Team" and t["billing_period"] == "2026-08" for t in tags)
    assert any(t["raw_key"] == "Team" and t["billing_period"] == "2026-10" for t in tags)


def test_cur2_and_focus_tags_are_maps(sample):
    cur2_keys, focus_keys = (
        set(
            _q(
                f"SELECT DISTINCT unnest(map_keys({col})) FROM read_parquet('{sample}/{layout}/"
                "exports/*/data/BILLING_PERIOD=2026-10/*.parquet')"
            )
            .df()
            .iloc[:, 0]
        )
        for layout, col in (("cur2", "resource_tags"), ("focus", "Tags"))
    )
    assert {"user_team", "user_Team", "user_env", "user_cost-center"} <= cur2_keys
    assert {"team", "Team", "env", "cost-center"} <= focus_keys


def test_storage_cost_is_average_gb_times_list_price(sample):
    with open(sample / "truth" / "repository_costs.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(
        float(r["storage_cost"]) == pytest.approx(float(r["avg_gb_stored"]) * 0.10, abs=1e-9)
        for r in rows
    )
    billed = _q(
        f"SELECT sum(line_item_usage_amount) FROM read_parquet('{sample}/cur2/exports/*/data/"
        "BILLING_PERIOD=2026-10/*.parquet') WHERE line_item_resource_id = "
        "'arn:aws:ecr:us-east-1:334455667788:repository/payments/api' "
        "AND line_item_usage_type = 'TimedStorage-ByteHrs'"
    ).fetchone()[0]
    row = next(
        r
        for r in rows
        if r["billing_period"] == "2026-10"
        and r["repository_name"] == "payments/api"
        and r["account_id"] == "334455667788"
        and r["region"] == "us-east-1"
    )
    assert billed == pytest.approx(float(row["avg_gb_stored"]), rel=1e-12)


def test_inventory_blobs_match_the_last_billed_hour(sample, snapshot):
    last_hour = datetime(2026, 10, 31, 23)
    billed = dict(
        _q(
            f"SELECT line_item_resource_id || '|' || line_item_usage_type, line_item_usage_amount "
            f"FROM read_parquet('{sample}/cur-legacy-parquet/**/year=2026/month=10/*.parquet') "
            f"WHERE line_item_product_code = 'AmazonECR' AND line_item_usage_start_date = "
            f"TIMESTAMP '{last_hour:%Y-%m-%d %H:%M:%S}'"
        ).fetchall()
    )
    hours = 31 * 24
    archived_seen = False
    for repo in snapshot.repositories:
        active = {
            b.digest: b.size_bytes
            for im in repo.images
            if im.status == "ACTIVE"
            for b in im.blobs or []
        }
        archived = {
            b.digest: b.size_bytes
            for im in repo.images
            if im.status == "ARCHIVED"
            for b in im.blobs or []
            if b.digest not in active
        }
        prefix = {"us-east-1": "", "eu-west-1": "EU-", "us-west-2": "USW2-"}[repo.region]
        # AWS's archive usage type carries the region code even in us-east-1
        for usage, blobs in (
            (f"{prefix}TimedStorage-ByteHrs", active),
            (f"{prefix or 'USE1-'}TimedStorage-Archive-ByteHrs", archived),
        ):
            amount = billed.get(f"{repo.arn}|{usage}", 0.0)
            assert amount * GIB * hours == pytest.approx(sum(blobs.values()), rel=1e-9), repo.arn
        archived_seen |= bool(archived)
        # shared layers are billed once: naive image-size sums overstate the bill
        if len(repo.images) > 3 and not any(im.child_digests for im in repo.images):
            assert sum(im.size_bytes or 0 for im in repo.images) > sum(active.values())
    assert archived_seen


def test_snapshot_has_multi_arch_referrers_archive_and_stale_repositories(snapshot):
    images = [im for r in snapshot.repositories for im in r.images]
    digests = {im.digest for im in images}
    indexes = [im for im in images if im.child_digests]
    assert indexes and all(set(im.child_digests) <= digests and im.blobs == [] for im in indexes)
    referrers = [im for im in images if im.subject_digest]
    assert referrers and all(im.subject_digest in digests for im in referrers)
    archived = [im for im in images if im.status == "ARCHIVED"]
    assert archived and all(im.archived_at for im in archived)
    assert any(not im.tags for im in images if not im.child_digests and not im.subject_digest)
    assert snapshot.manifests_read and snapshot.taken_at == datetime(2026, 11, 1, tzinfo=UTC)
    stale = [
        r
        for r in snapshot.repositories
        if r.images
        and all(
            (im.last_pulled_at or im.pushed_at) < snapshot.taken_at - timedelta(days=120)
            for im in r.images
        )
    ]
    assert len(stale) >= 2
    assert all(im.last_pulled_at is None or im.last_pulled_at <= snapshot.taken_at for im in images)


def test_deleted_repositories_leave_the_bill_and_the_inventory(sample, snapshot):
    with open(sample / "truth" / "repository_costs.csv") as f:
        rows = list(csv.DictReader(f))
    deleted = {
        (r["account_id"], r["region"], r["repository_name"])
        for r in rows
        if r["exists_at_end"] == "false"
    }
    assert len(deleted) == 2
    present = {(r.account_id, r.region, r.name) for r in snapshot.repositories}
    assert not deleted & present
    actions = json.loads((sample / "inventory" / "actions.json").read_text())
    deletion = next(a for a in actions if a["action"] == "repository_deleted")
    assert (deletion["account_id"], deletion["region"], deletion["repository_name"]) in deleted
    for account, region, name in deleted:
        arn = f"arn:aws:ecr:{region}:{account}:repository/{name}"
        last = _q(
            f"SELECT max(line_item_usage_start_date) FROM read_parquet('{sample}/cur2/exports/*/"
            "data/*/*.parquet') WHERE line_item_resource_id = $arn",
            {"arn": arn},
        ).fetchone()[0]
        assert last is not None and last < datetime(2026, 10, 31)  # the bill stops
        if name == deletion["repository_name"] and account == deletion["account_id"]:
            acted = datetime.fromisoformat(deletion["acted_at"].replace("Z", ""))
            assert acted - timedelta(days=1) <= last < acted


def test_action_records_fit_the_action_log_table(sample, tmp_path):
    records = json.loads((sample / "inventory" / "actions.json").read_text())
    ddl = (SQL_DIR / "schema" / "090_policy_actions.sql").read_text()
    con = duckdb.connect()
    con.execute(ddl)
    columns = [r[0] for r in con.execute("DESCRIBE policy_actions").fetchall()]
    assert all(list(r) == columns for r in records)
    for r in records:
        con.execute(
            f"INSERT INTO policy_actions VALUES ({', '.join('?' * len(columns))})",
            [r[c] for c in columns],
        )
    counts = dict(con.execute("SELECT action, count(*) FROM policy_actions GROUP BY 1").fetchall())
    assert counts["policy_applied"] >= 3 and counts["repository_deleted"] == 1
    for r in records:
        assert r["status"] == "done" and r["old_policy"] is None
        if r["action"] == "policy_applied":
            assert [rule["rulePriority"] for rule in json.loads(r["new_policy"])["rules"]] == [
                1,
                2,
                3,
                4,
            ]
            assert r["predicted_freed_bytes"] > 0 and r["predicted_monthly_savings_usd"] > 0


def test_a_policy_lowers_the_bill_from_the_day_it_acts(sample):
    with open(sample / "truth" / "actions.csv") as f:
        actions = [a for a in csv.DictReader(f) if a["action"] == "policy_applied"]
    assert len(actions) >= 3
    for a in actions:
        before, after = float(a["daily_storage_cost_before"]), float(a["daily_storage_cost_after"])
        assert 0 < after < before * 0.75
        freed = int(a["bytes_before"]) - int(a["bytes_after"])
        assert float(a["monthly_saving"]) == pytest.approx(freed / GIB * 0.10, rel=1e-12)
        arn = f"arn:aws:ecr:{a['region']}:{a['account_id']}:repository/{a['repository']}"
        for column, at, shift in (
            ("bytes_before", a["acted_at"], -1),
            ("bytes_after", a["effective_at"], 1),
        ):
            hour = datetime.fromisoformat(at.replace("Z", "")).replace(minute=0, second=0)
            hour += timedelta(hours=shift)
            if not datetime(2026, 8, 1) <= hour < datetime(2026, 11, 1):
                continue  # the action fell before the history
            amount = _q(
                f"SELECT line_item_usage_amount FROM read_parquet('{sample}/cur2/exports/*/data/"
                "*/*.parquet') WHERE line_item_resource_id = $arn AND line_item_usage_start_date "
                "= $hour AND line_item_usage_type LIKE '%TimedStorage-ByteHrs'",
                {"arn": arn, "hour": hour},
            ).fetchone()[0]
            hours = {8: 31 * 24, 9: 30 * 24, 10: 31 * 24}[hour.month]
            assert amount * GIB * hours == pytest.approx(int(a[column]), rel=1e-9)


def test_policy_evaluation_follows_the_documented_rule_priority_example():
    t = datetime(2026, 1, 10, tzinfo=UTC)
    a = SimImage("sha256:a", t - timedelta(days=10), [], tags=["beta-1", "prod-1"])
    b = SimImage("sha256:b", t - timedelta(days=9), [], tags=["beta-2", "prod-2"])
    c = SimImage("sha256:c", t - timedelta(days=8), [], tags=["beta-3"])

    def rule(priority, prefix):
        return {
            "rulePriority": priority,
            "action": {"type": "expire"},
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": [prefix],
                "countType": "imageCountMoreThan",
                "countNumber": 1,
            },
        }

    assert evaluate_policy({"rules": [rule(1, "prod"), rule(2, "beta")]}, [a, b, c]) == [a]
    swapped = evaluate_policy({"rules": [rule(1, "beta"), rule(2, "prod")]}, [a, b, c])
    assert {im.digest for im in swapped} == {"sha256:a", "sha256:b"}


def test_cli_rejects_bad_input_with_one_line_and_exit_2(tmp_path, capsys):
    assert main(["sample", "--out", str(tmp_path / "x"), "--end", "2026-13"]) == 2
    assert main(["sample", "--out", str(tmp_path / "x"), "--months", "0"]) == 2
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    assert main(["sample", "--out", str(taken)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("ecrcost: ") for line in err)
    assert "2026-13" in err[0] and str(taken) in err[2]
    assert (taken / "notes.txt").read_text() == "mine"
    assert not any(p.name.startswith(".taken.tmp") for p in tmp_path.iterdir())


def test_cli_writes_a_one_month_sample_and_prints_a_summary(tmp_path, capsys):
    assert main(["sample", "--out", str(tmp_path / "one"), "--months", "1", "--end", END]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert 3 <= len(lines) <= 5
    assert "1 periods 2026-10..2026-10" in lines[0] and "3 regions" in lines[1]
    assert (tmp_path / "one" / "truth" / "period_totals.csv").is_file()
    # re-running over an earlier sample replaces it
    assert main(["sample", "--out", str(tmp_path / "one"), "--months", "1", "--end", END]) == 0


def test_other_services_share_usage_types_so_readers_must_filter_on_product(sample):
    per_month = dict(
        _q(
            f"SELECT BILLING_PERIOD, count(*) FROM read_parquet('{sample}/cur2/exports/*/data/*/"
            "*.parquet', hive_partitioning = true) WHERE line_item_product_code <> 'AmazonECR' "
            "GROUP BY 1"
        ).fetchall()
    )
    assert sorted(per_month) == PERIODS and min(per_month.values()) > 2000
    products = dict(
        _q(
            f"SELECT line_item_product_code, count(*) FROM read_parquet('{sample}/cur2/exports/*/"
            "data/*/*.parquet') WHERE line_item_usage_type = 'TimedStorage-ByteHrs' GROUP BY 1"
        ).fetchall()
    )
    assert products.keys() == {"AmazonECR", "AmazonS3"}


@pytest.mark.parametrize(("seed", "months"), [(1, 1), (2, 2), (5, 3), (11, 5)])
def test_every_seed_and_length_has_the_features_later_stages_need(seed, months):
    org = build_org(seed, periods_for(END, months))
    assert sum(1 for r in org.repos if r.first_expiry_at) >= 3
    assert sum(1 for r in org.repos if r.deleted_at) == 2
    assert any(im.archived_at and not im.removed_at for r in org.repos for im in r.images)
    assert len(org.repos) >= 60


def test_periods_for_counts_back_from_the_end_across_a_year():
    periods = periods_for("2026-02", 3)
    assert [p.label for p in periods] == ["2025-12", "2026-01", "2026-02"]
    assert periods == periods_for(Period(2026, 2), 3)
    assert (periods[0].start, periods[0].end) == (
        datetime(2025, 12, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert [p.hours for p in periods] == [31 * 24, 31 * 24, 28 * 24]


def test_a_bad_end_has_the_one_period_message(tmp_path, capsys):
    assert main(["sample", "--out", str(tmp_path / "x"), "--end", "2026-13"]) == 2
    assert capsys.readouterr().err == (
        "ecrcost: --end '2026-13': expected a billing period as YYYY-MM, e.g. 2026-10\n"
    )


def test_an_end_outside_the_calendar_the_sample_models_is_refused(tmp_path):
    with pytest.raises(UserError, match=r"^--end '0001-05': expected a month of the years 1900"):
        generate(str(tmp_path / "x"), months=12, end="0001-05")
    assert not (tmp_path / "x").exists()
