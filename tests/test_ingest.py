"""Billing ingestion: real files, every format, restatement, bad input, S3 over real HTTP."""

from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
import time

import boto3
import duckdb
import pytest
from fixtures_billing import (
    set_ecr_field,
    upload_tree,
    write_cur2,
    write_focus,
    write_legacy_csv,
    write_legacy_csv_manifest,
    write_legacy_parquet,
)
from fixtures_sql import fail_at

from ecrcost import cli, warehouse
from ecrcost.aws import AwsAccess
from ecrcost.billing import check_against_source, ingest, location_fingerprints, source_totals
from ecrcost.billing.cli import report_lines
from ecrcost.billing.groups import ensure_line_groups
from ecrcost.billing.load import IngestResult, PeriodLoad, period_totals
from ecrcost.billing.location import open_location
from ecrcost.billing.readers import scratch
from ecrcost.errors import UserError

LINES = (
    "SELECT billing_period, region, product_code, repository_name, usage_category, usage_type,"
    " line_item_type, usage_amount, unit, unblended_cost, net_cost, tags, source_format"
    " FROM cur_ecr_lines ORDER BY billing_period, unblended_cost"
)


def state(con) -> tuple:
    lines = con.execute("SELECT * FROM cur_ecr_lines ORDER BY ALL").fetchall()
    loads = con.execute("SELECT * FROM billing_loads ORDER BY billing_period").fetchall()
    return lines, loads


def legacy_parquet_dir(tmp_path, real_data, month="10"):
    folder = tmp_path / "cur" / "rep" / "rep" / "year=2018" / f"month={month}"
    write_legacy_parquet(
        real_data / "cur-legacy-2018-10.snappy.parquet", folder / "rep-00001.snappy.parquet"
    )
    return tmp_path / "cur"


# ---- real files -------------------------------------------------------------------------


def test_real_legacy_parquet_month_without_ecr(tmp_path, real_data, home, capsys):
    folder = tmp_path / "cur" / "rep" / "rep" / "year=2018" / "month=10"
    folder.mkdir(parents=True)
    shutil.copy(real_data / "cur-legacy-2018-10.snappy.parquet", folder)
    code = cli.main(["ingest", "--cur", str(tmp_path / "cur"), "--home", str(home)])
    assert code == 0
    out = capsys.readouterr().out
    assert "2018-10  cur-legacy-parquet  1 file(s)  no ECR spend in 2018-10" in out
    with warehouse.opened(home / "warehouse.duckdb") as con:
        assert con.execute("SELECT count(*) FROM cur_ecr_lines").fetchone() == (0,)
        assert con.execute(
            "SELECT ecr_rows, source_ecr_cost, complete FROM billing_loads"
        ).fetchall() == [(0, 0.0, True)]


def test_real_legacy_csv_month_without_ecr(tmp_path, real_data, home, capsys):
    folder = tmp_path / "cur" / "rep" / "20231101-20231201"
    folder.mkdir(parents=True)
    shutil.copy(real_data / "cur-legacy-sample.csv", folder / "rep-1.csv")
    assert cli.main(["ingest", "--cur", str(tmp_path / "cur"), "--home", str(home)]) == 0
    assert "no ECR spend in 2023-11" in capsys.readouterr().out


def test_loose_real_csv_file_takes_period_from_data(con, real_data):
    result = ingest(con, str(real_data / "cur-legacy-sample.csv"))
    [p] = result.periods
    assert (p.period, p.source_format, p.ecr_rows) == ("2023-11", "cur-legacy-csv", 0)


def test_legacy_parquet_with_ecr_rows(con, tmp_path, real_data):
    result = ingest(con, str(legacy_parquet_dir(tmp_path, real_data)))
    p = result.period("2018-10")
    assert (p.ecr_rows, round(p.ecr_cost, 6), p.complete) == (4, 1.64, True)
    assert con.execute(LINES).fetchall() == [
        (
            "2018-10",
            "us-east-1",
            "AmazonECR",
            "team/app",
            "storage",
            "USE1-TimedStorage-ByteHrs",
            "Credit",
            0.0,
            "GB-Mo",
            -0.2,
            None,
            {},
            "cur-legacy-parquet",
        ),
        (
            "2018-10",
            "us-west-2",
            "AmazonECR",
            None,
            "data_transfer",
            "USW2-DataTransfer-Out-Bytes",
            "Usage",
            1.0,
            "GB-Mo",
            0.09,
            None,
            {},
            "cur-legacy-parquet",
        ),
        (
            "2018-10",
            "eu-west-1",
            "AmazonECR",
            "web",
            "storage",
            "EU-TimedStorage-ByteHrs",
            "Usage",
            5.0,
            "GB-Mo",
            0.5,
            None,
            {"user_environment": "prod"},
            "cur-legacy-parquet",
        ),
        (
            "2018-10",
            "us-east-1",
            "AmazonECR",
            "team/app",
            "storage",
            "USE1-TimedStorage-ByteHrs",
            "Usage",
            12.5,
            "GB-Mo",
            1.25,
            None,
            {"user_cost_center": "cc1"},
            "cur-legacy-parquet",
        ),
    ]
    start = con.execute("SELECT min(usage_start), max(usage_end) FROM cur_ecr_lines").fetchone()
    assert [str(t) for t in start] == ["2018-10-03 00:00:00", "2018-10-03 01:00:00"]


def test_legacy_csv_with_ecr_rows_and_superseded_assembly(con, tmp_path, real_data):
    folder = tmp_path / "cur" / "rep" / "20231101-20231201"
    real = real_data / "cur-legacy-sample.csv"
    write_legacy_csv(real, folder / "old-assembly" / "rep-1.csv", scale=10.0)
    new = write_legacy_csv(real, folder / "new-assembly" / "rep-1.csv")
    with open(new, "rb") as src, gzip.open(new.with_suffix(".csv.gz"), "wb") as dst:
        dst.write(src.read())
    new.unlink()
    write_legacy_csv_manifest(folder, "rep", ["new-assembly/rep-1.csv.gz"])
    p = ingest(con, str(tmp_path / "cur")).period("2023-11")
    assert (p.source_format, p.ecr_rows, round(p.ecr_cost, 6)) == ("cur-legacy-csv", 4, 1.64)
    assert p.files == [str(folder / "new-assembly" / "rep-1.csv.gz")]
    assert "older assemblies" in p.notes[0]
    rows = con.execute(
        "SELECT repository_name, region, unblended_cost, tags FROM cur_ecr_lines"
        " ORDER BY unblended_cost"
    ).fetchall()
    assert rows == [
        ("team/app", "us-east-1", -0.2, {}),
        (None, "us-west-2", 0.09, {}),
        ("web", "eu-west-1", 0.5, {}),
        ("team/app", "us-east-1", 1.25, {"user:CostCenter": "cc1"}),
    ]
    start = con.execute("SELECT min(usage_start) FROM cur_ecr_lines").fetchone()[0]
    assert str(start) == "2023-11-03 00:00:00"


def test_legacy_csv_manifest_listing_a_missing_file(con, tmp_path, real_data):
    folder = tmp_path / "cur" / "rep" / "20231101-20231201"
    write_legacy_csv(real_data / "cur-legacy-sample.csv", folder / "a1" / "rep-1.csv")
    write_legacy_csv_manifest(folder, "rep", ["a1/rep-1.csv", "a1/rep-2.csv"])
    with pytest.raises(UserError, match=r"rep-Manifest\.json: lists a1/rep-2\.csv, which is not"):
        ingest(con, str(tmp_path / "cur"))


def _write_csv(path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def test_legacy_csv_keeps_tag_keys_that_differ_only_by_case(con, tmp_path):
    # `user:team` and `user:Team` are two keys of the bill (two CSV columns): DuckDB matches
    # column names regardless of case, which must not merge, rename or drop either of them.
    folder = tmp_path / "cur" / "rep" / "20231101-20231201" / "a1"
    base = ["lineItem/ProductCode", "lineItem/UsageStartDate", "lineItem/UsageType"]
    line = ["AmazonECR", "2023-11-03T00:00:00Z", "USE1-TimedStorage-ByteHrs"]
    _write_csv(
        folder / "rep-1.csv",
        [*base, "resourceTags/user:team", "lineItem/UnblendedCost", "resourceTags/user:Team"],
        [
            [*line, "red", "1.0", ""],  # team only
            [*line, "", "2.0", "Blue"],  # Team only
            [*line, "green", "3.0", "Green"],  # both on the same row
            [*line, "", "4.0", ""],  # neither
            ["AmazonS3", *line[1:], "s3", "5.0", "S3"],  # not ECR
        ],
    )
    # a second file of the month whose header differs: only `user:Team`, in another position
    _write_csv(
        folder / "rep-2.csv",
        ["resourceTags/user:Team", *base, "lineItem/UnblendedCost"],
        [["Teal", *line, "6.0"], ["", *line, "7.0"]],
    )
    p = ingest(con, str(tmp_path / "cur")).period("2023-11")
    assert (p.source_format, p.ecr_rows, round(p.ecr_cost, 6)) == ("cur-legacy-csv", 6, 23.0)
    rows = con.execute(
        "SELECT unblended_cost, tags FROM cur_ecr_lines ORDER BY unblended_cost"
    ).fetchall()
    assert rows == [
        (1.0, {"user:team": "red"}),
        (2.0, {"user:Team": "Blue"}),
        (3.0, {"user:team": "green", "user:Team": "Green"}),
        (4.0, {}),
        (6.0, {"user:Team": "Teal"}),
        (7.0, {}),
    ]


def test_focus_csv_tags_keep_keys_that_differ_only_by_case(con, tmp_path):
    # CUR 2.0 / FOCUS CSV carry the map as JSON text in one column: its keys keep their case.
    _write_csv(
        tmp_path / "focus" / "data" / "BILLING_PERIOD=2024-02" / "focus-00001.csv",
        ["ChargePeriodStart", "x_ServiceCode", "BilledCost", "Tags"],
        [
            ["2024-02-05T00:00:00Z", "AmazonECR", "1.5", '{"team": "ml", "Team": "ML"}'],
            ["2024-02-05T00:00:00Z", "AmazonECR", "0.5", '{"Team": "ops"}'],
        ],
    )
    ingest(con, str(tmp_path / "focus"))
    rows = con.execute(
        "SELECT unblended_cost, tags FROM cur_ecr_lines ORDER BY unblended_cost"
    ).fetchall()
    assert rows == [(0.5, {"Team": "ops"}), (1.5, {"team": "ml", "Team": "ML"})]


# ---- CUR 2.0 and FOCUS ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "csv.gz"])
def test_cur2(con, tmp_path, fmt):
    write_cur2(tmp_path, "2024-01", fmt)
    p = ingest(con, str(tmp_path / "cur2")).period("2024-01")
    assert (p.source_format, p.ecr_rows, round(p.ecr_cost, 6)) == ("cur2", 3, 2.35)
    assert [r[1:] for r in con.execute(LINES).fetchall()] == [
        (
            "ap-northeast-1",
            "AmazonECR",
            "old",
            "archive_storage",
            "APN1-TimedStorage-Archive-ByteHrs",
            "Usage",
            10.0,
            "GB-Mo",
            0.05,
            0.045,
            {},
            "cur2",
        ),
        (
            "us-east-1",
            "AmazonECRPublic",
            "pub",
            "storage",
            "USE1-TimedStorage-ByteHrs",
            "Usage",
            3.0,
            "GB-Mo",
            0.3,
            0.27,
            {"user_team": "oss"},
            "cur2",
        ),
        (
            "us-east-2",
            "AmazonECR",
            "api",
            "storage",
            "USE2-TimedStorage-ByteHrs",
            "Usage",
            20.0,
            "GB-Mo",
            2.0,
            1.8,
            {"user_team": "payments"},
            "cur2",
        ),
    ]


@pytest.mark.parametrize(
    "version,fmt", [("1.0", "parquet"), ("1.2", "parquet"), ("1.0", "csv"), ("1.2", "csv.gz")]
)
def test_focus(con, tmp_path, version, fmt):
    write_focus(tmp_path, "2024-02", version, fmt)
    p = ingest(con, str(tmp_path / "focus")).period("2024-02")
    assert (p.source_format, p.ecr_rows, round(p.ecr_cost, 6)) == ("focus", 2, 1.75)
    rows = con.execute(LINES).fetchall()
    assert [r[1:] for r in rows] == [
        (None, "AmazonECR", None, "other", None, "Tax", None, "GB-Months", 0.25, 0.2, {}, "focus"),
        (
            "eu-north-1",
            "AmazonECR",
            "ml/model",
            "storage",
            "EUN1-TimedStorage-ByteHrs",
            "Usage",
            15.0,
            "GB-Months",
            1.5,
            1.2,
            {"team": "ml"},
            "focus",
        ),
    ]


# ---- periods, restatement, drift, status ------------------------------------------------


def test_restated_month_replaces_and_fingerprint_follows(con, tmp_path):
    path = write_cur2(tmp_path, "2024-01")
    loc = str(tmp_path / "cur2")
    ingest(con, loc)
    first = location_fingerprints(loc)
    before = state(con)
    ingest(con, loc)  # re-running changes nothing
    assert location_fingerprints(loc) == first
    assert [r[:9] for r in state(con)[1]] == [r[:9] for r in before[1]]
    assert state(con)[0] == before[0]
    time.sleep(0.01)
    write_cur2(tmp_path, "2024-01", scale=3.0)  # AWS restates the month
    assert os.path.exists(path)
    assert location_fingerprints(loc)["2024-01"] != first["2024-01"]
    p = ingest(con, loc).period("2024-01")
    assert round(p.ecr_cost, 6) == 7.05
    assert con.execute(
        "SELECT count(*), round(sum(unblended_cost), 6) FROM cur_ecr_lines"
    ).fetchone() == (3, 7.05)
    assert con.execute(
        "SELECT count(*), round(sum(source_ecr_cost), 6) FROM billing_loads"
    ).fetchone() == (1, 7.05)


GROUP_SUMS = (
    "SELECT billing_period, sum(line_count), round(sum(cost), 6), round(sum(usage_amount), 6)"
    " FROM cur_ecr_line_groups GROUP BY 1 ORDER BY 1"
)
LINE_SUMS = (
    "SELECT billing_period, count(*), round(sum(unblended_cost), 6),"
    " round(coalesce(sum(usage_amount), 0), 6) FROM cur_ecr_lines GROUP BY 1 ORDER BY 1"
)


def test_line_groups_follow_each_load_and_roll_back_with_it(con, tmp_path, monkeypatch):
    write_cur2(tmp_path, "2024-01")
    write_cur2(tmp_path, "2024-02", scale=2.0)
    loc = str(tmp_path / "cur2")
    ingest(con, loc)
    first = con.execute(GROUP_SUMS).fetchall()
    assert [r[0] for r in first] == ["2024-01", "2024-02"]
    assert first == con.execute(LINE_SUMS).fetchall()
    time.sleep(0.01)
    write_cur2(tmp_path, "2024-01", scale=3.0)  # AWS restates January
    ingest(con, loc, periods=["2024-01"])
    restated = con.execute(GROUP_SUMS).fetchall()
    assert restated == con.execute(LINE_SUMS).fetchall()
    assert restated[0][2] == round(3 * first[0][2], 6) and restated[1] == first[1]

    # A load failing after the period's lines and groups were replaced rolls back all three.
    before = (state(con), con.execute("SELECT * FROM cur_ecr_line_groups ORDER BY ALL").fetchall())
    time.sleep(0.01)
    write_cur2(tmp_path, "2024-01", scale=5.0)
    fail_at(monkeypatch, "billing/insert_billing_load")
    with pytest.raises(RuntimeError):
        ingest(con, loc)
    monkeypatch.undo()
    after = (state(con), con.execute("SELECT * FROM cur_ecr_line_groups ORDER BY ALL").fetchall())
    assert after == before


def test_padded_and_unpadded_months_and_tag_drift(con, tmp_path, real_data):
    root = legacy_parquet_dir(tmp_path, real_data, month="10")
    d = duckdb.connect()
    src = root / "rep/rep/year=2018/month=10/rep-00001.snappy.parquet"
    for month, drop in (("7", True), ("08", False)):
        out = root / f"rep/rep/year=2018/month={month}"
        out.mkdir(parents=True)
        cols = "* EXCLUDE (resource_tags_user_cost_center)" if drop else "*"
        d.execute(
            f"COPY (SELECT {cols} REPLACE (TIMESTAMP '2018-{int(month):02d}-01'"
            f" AS bill_billing_period_start_date) FROM read_parquet('{src}'))"
            f" TO '{out}/rep-00001.snappy.parquet' (FORMAT parquet)"
        )
    # within one month, a second file without the tag column: read by name, NULL there
    d.execute(
        f"COPY (SELECT * EXCLUDE (resource_tags_user_cost_center) FROM read_parquet('{src}')"
        f" WHERE line_item_product_code = 'AmazonECR')"
        f" TO '{src.parent}/rep-00002.snappy.parquet' (FORMAT parquet)"
    )
    result = ingest(con, str(root))
    assert [(p.period, p.ecr_rows) for p in result.periods] == [
        ("2018-07", 4),
        ("2018-08", 4),
        ("2018-10", 8),
    ]
    assert "resource_tags_user_cost_center" in result.period("2018-10").notes[-1]
    tags = con.execute(
        "SELECT billing_period, count(*) FILTER (WHERE tags['user_cost_center'] = 'cc1')"
        " FROM cur_ecr_lines GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert tags == [("2018-07", 0), ("2018-08", 1), ("2018-10", 1)]
    assert [p.period for p in ingest(con, str(root), periods=["2018-08"]).periods] == ["2018-08"]


def test_status_updating_loads_but_marks_recent_months_incomplete(
    con, tmp_path, real_data, capsys, home
):
    root = legacy_parquet_dir(tmp_path, real_data)
    status = root / "rep/cost_and_usage_data_status"  # beside the inner rep/, as AWS does
    status.mkdir()
    duckdb.execute(
        f"COPY (SELECT 'UPDATING' AS status) TO '{status}/cost_and_usage_data_status.parquet'"
        " (FORMAT parquet)"
    )
    code = cli.main(["ingest", "--cur", str(root), "--home", str(home)])
    captured = capsys.readouterr()
    assert code == 0
    assert "4 ECR rows  $1.64" in captured.out
    assert "warning: 2018-10 is incomplete: status UPDATING" in captured.err
    with warehouse.opened(home / "warehouse.duckdb") as c:
        loads = c.execute("SELECT complete, ecr_rows FROM billing_loads").fetchall()
    assert loads == [(False, 4)]


# ---- bad input: one line, exit 2, warehouse unchanged --------------------------------------


@pytest.fixture
def loaded(con, tmp_path):
    write_cur2(tmp_path / "good", "2024-01")
    ingest(con, str(tmp_path / "good" / "cur2"))
    return state(con)


def _bad_folder(tmp_path, name: str) -> os.PathLike:
    folder = tmp_path / "bad" / "x" / "data" / "BILLING_PERIOD=2024-01"
    folder.mkdir(parents=True)
    return folder / name


def test_bad_missing_location(con, loaded, tmp_path):
    with pytest.raises(UserError, match="nowhere: billing location does not exist"):
        ingest(con, str(tmp_path / "nowhere"))
    assert state(con) == loaded


def test_bad_empty_location(con, loaded, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"empty: no billing files \(\.parquet"):
        ingest(con, str(tmp_path / "empty"))
    assert state(con) == loaded


def test_bad_csv_of_something_else(con, loaded, tmp_path):
    path = _bad_folder(tmp_path, "people.csv")
    path.write_text("name,age\nada,36\n")
    with pytest.raises(UserError, match=r"people\.csv: not billing data"):
        ingest(con, str(tmp_path / "bad"))
    assert state(con) == loaded


def test_bad_parquet_without_line_items(con, loaded, tmp_path):
    path = _bad_folder(tmp_path, "x.parquet")
    duckdb.execute(f"COPY (SELECT 1 AS a) TO '{path}' (FORMAT parquet)")
    with pytest.raises(UserError, match=r"x\.parquet: not billing data"):
        ingest(con, str(tmp_path / "bad"))
    assert state(con) == loaded


def test_bad_truncated_parquet(con, loaded, tmp_path):
    good = write_cur2(tmp_path / "t", "2024-01")
    data = good.read_bytes()
    good.write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match=r"cur2-00001\.snappy\.parquet: not a readable Parquet"):
        ingest(con, str(tmp_path / "t" / "cur2"))
    assert state(con) == loaded


def test_bad_required_column_missing(con, loaded, tmp_path):
    path = _bad_folder(tmp_path, "c.parquet")
    duckdb.execute(
        f"COPY (SELECT 'AmazonECR' AS line_item_product_code, 'u' AS line_item_usage_type,"
        f" TIMESTAMP '2024-01-02' AS line_item_usage_start_date) TO '{path}' (FORMAT parquet)"
    )
    with pytest.raises(
        UserError, match=r"c\.parquet: required column line_item_unblended_cost is missing"
    ):
        ingest(con, str(tmp_path / "bad"))
    assert state(con) == loaded


def test_bad_mixed_formats(con, loaded, tmp_path):
    write_cur2(tmp_path / "mix", "2024-01")
    write_focus(tmp_path / "mix", "2024-02")
    with pytest.raises(UserError, match=r"mixes billing formats \(cur2: .*; focus: "):
        ingest(con, str(tmp_path / "mix"))
    assert state(con) == loaded


def test_bad_mixed_layouts(con, loaded, tmp_path, real_data):
    root = legacy_parquet_dir(tmp_path, real_data)
    write_cur2(root, "2024-01")
    with pytest.raises(UserError, match=r"mixes billing layouts \(export, legacy-parquet\)"):
        ingest(con, str(root))
    assert state(con) == loaded


def test_bad_input_exit_code_and_one_line(tmp_path, home, capsys):
    code = cli.main(["ingest", "--cur", str(tmp_path / "nowhere"), "--home", str(home)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("ecrcost: ")
    assert cli.main(["ingest", "--cur", str(tmp_path), "--period", "2024-13"]) == 2


# ---- S3 over real HTTP (moto server) ------------------------------------------------------


@pytest.fixture
def s3_endpoint(moto_reset, monkeypatch):
    """The session's moto server (emptied) as every client's endpoint."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_reset)
    return moto_reset


def test_s3_location(con, tmp_path, s3_endpoint):
    write_cur2(tmp_path / "up", "2024-01")
    # a superseded file the manifest does not list must be ignored
    root = tmp_path / "up"
    upload_tree(root, "billing", "exports/")
    s3 = boto3.client("s3")
    s3.put_object(
        Bucket="billing",
        Key="exports/cur2/data/BILLING_PERIOD=2024-01/old/cur2-00001.snappy.parquet",
        Body=(root / "cur2/data/BILLING_PERIOD=2024-01/cur2-00001.snappy.parquet").read_bytes(),
    )
    loc = "s3://billing/exports/cur2"
    fp = location_fingerprints(loc)
    p = ingest(con, loc).period("2024-01")
    assert (p.ecr_rows, round(p.ecr_cost, 6)) == (3, 2.35)
    assert p.files == [
        "s3://billing/exports/cur2/data/BILLING_PERIOD=2024-01/cur2-00001.snappy.parquet"
    ]
    assert p.fingerprint == fp["2024-01"]
    manifest = json.loads(
        s3.get_object(
            Bucket="billing", Key="exports/cur2/metadata/BILLING_PERIOD=2024-01/cur2-Manifest.json"
        )["Body"].read()
    )
    manifest["executionId"] = "exec-2"
    s3.put_object(
        Bucket="billing",
        Key="exports/cur2/metadata/BILLING_PERIOD=2024-01/cur2-Manifest.json",
        Body=json.dumps(manifest).encode(),
    )
    assert location_fingerprints(loc)["2024-01"] != fp["2024-01"]
    with pytest.raises(UserError, match="s3://nobucket: cannot list the billing location"):
        ingest(con, "s3://nobucket")


def test_format_flag_overrides_detection(con, loaded, tmp_path):
    write_cur2(tmp_path / "o", "2024-01")
    with pytest.raises(
        UserError, match=r"cur2-00001\.snappy\.parquet: required column ChargePeriodStart"
    ):
        ingest(con, str(tmp_path / "o" / "cur2"), fmt="focus")
    assert state(con) == loaded
    p = ingest(con, str(tmp_path / "o" / "cur2"), fmt="cur2").period("2024-01")
    assert (p.source_format, p.ecr_rows) == ("cur2", 3)


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("lineItem/UnblendedCost", "n/a", r"cannot read billing data: .*n/a"),
        ("lineItem/UsageStartDate", "", r"ECR line items that cannot load \(.*NOT NULL"),
    ],
)
def test_bad_value_inside_the_load_rolls_back(con, tmp_path, real_data, field, value, message):
    folder = tmp_path / "cur" / "rep" / "20231101-20231201"
    path = write_legacy_csv(real_data / "cur-legacy-sample.csv", folder / "rep-1.csv")
    ingest(con, str(tmp_path / "cur"))
    before = state(con)
    set_ecr_field(path, field, value)
    with pytest.raises(UserError, match=message):
        ingest(con, str(tmp_path / "cur"))
    assert state(con) == before
    assert before[1][0][5] == 4  # ecr_rows of the earlier, good load are still there


@pytest.mark.parametrize("layout", ["cur-legacy-csv", "focus"])
def test_check_against_source_reads_the_files_again(con, sample_org, layout):
    """The reconciliation check's source side comes from the files, not from what was loaded."""
    out, summary = sample_org
    location = str(out / layout)
    ingest(con, location)
    periods = sorted(summary.periods)
    totals = source_totals(location, periods=periods)
    assert {p: round(c, 2) for p, (_, c) in totals.items()} == {
        p: round(summary.ecr_cost_by_period[p], 2) for p in periods
    }
    assert check_against_source(con, location, "auto", periods) == {}

    # A warehouse that drifted from the bill (here: one line lost) is caught, per period.
    con.execute(
        "DELETE FROM cur_ecr_lines WHERE rowid = "
        "(SELECT min(rowid) FROM cur_ecr_lines WHERE billing_period = $p AND unblended_cost > 0)",
        {"p": periods[-1]},
    )
    off = check_against_source(con, location, "auto", periods)
    assert list(off) == [periods[-1]]
    (held_rows, held_cost), (source_rows, source_cost) = off[periods[-1]]
    assert (held_rows, source_rows) == (totals[periods[-1]][0] - 1, totals[periods[-1]][0])
    assert held_cost < source_cost


def test_ingest_reads_s3_with_the_profile(tmp_path, home, s3_endpoint, monkeypatch, capsys):
    creds = tmp_path / "aws-credentials"
    creds.write_text("[billing]\naws_access_key_id = billing\naws_secret_access_key = billing\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    client = open_location("s3://b/p", AwsAccess(profile="billing")).client
    assert client._request_signer._credentials.access_key == "billing"  # not the environment's
    write_cur2(tmp_path / "up", "2024-01")
    upload_tree(tmp_path / "up", "profiled")
    argv = ["ingest", "--cur", "s3://profiled/cur2", "--home", str(home)]
    assert cli.main([*argv, "--profile", "billing"]) == 0
    assert "2024-01  cur2  1 file(s)  3 ECR rows  $2.35" in capsys.readouterr().out


def test_period_flag_has_the_one_period_message(con, tmp_path, home, capsys):
    write_cur2(tmp_path, "2024-01")
    with pytest.raises(UserError) as err:
        ingest(con, str(tmp_path / "cur2"), periods=["2024-1"])
    assert str(err.value) == "--period '2024-1': expected a billing period as YYYY-MM, e.g. 2026-10"
    assert cli.main(["ingest", "--cur", str(tmp_path), "--period", "2024-13"]) == 2
    assert capsys.readouterr().err == (
        "ecrcost: --period '2024-13': expected a billing period as YYYY-MM, e.g. 2026-10\n"
    )


def test_report_lines_per_period_and_warnings_apart():
    def load(period, rows, cost, complete=True):
        return PeriodLoad(period, "cur2", ["a", "b"], rows, cost, complete, "fp", ["status X"])

    result = IngestResult("loc", [load("2024-01", 0, 0.0), load("2024-02", 3, 1234.5, False)])
    assert report_lines(result) == [
        ("2024-01  cur2  2 file(s)  no ECR spend in 2024-01", False),
        ("note: 2024-01: status X", True),
        ("2024-02  cur2  2 file(s)  3 ECR rows  $1,234.50", False),
        ("warning: 2024-02 is incomplete: status X", True),
    ]


def test_scratch_connection_is_utc_and_closed_after():
    with scratch() as c:
        assert c.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)
    with pytest.raises(duckdb.ConnectionException):
        c.execute("SELECT 1")


def test_line_groups_are_rebuilt_only_when_they_do_not_match_the_lines(con, tmp_path):
    write_cur2(tmp_path, "2024-01")
    ingest(con, str(tmp_path / "cur2"))
    groups = con.execute("SELECT * FROM cur_ecr_line_groups ORDER BY ALL").fetchall()
    assert groups and ensure_line_groups(con, "2024-01") is False
    con.execute("DELETE FROM cur_ecr_line_groups")
    assert ensure_line_groups(con, "2024-01") is True
    assert con.execute("SELECT * FROM cur_ecr_line_groups ORDER BY ALL").fetchall() == groups
    assert ensure_line_groups(con, "2024-01") is False


def test_a_period_folder_naming_no_month_is_one_line_naming_it(con, tmp_path):
    write_cur2(tmp_path, "2024-01")
    good = tmp_path / "cur2" / "data" / "BILLING_PERIOD=2024-01"
    good.rename(good.with_name("BILLING_PERIOD=2024-13"))
    with pytest.raises(UserError) as err:
        ingest(con, str(tmp_path / "cur2"))
    assert str(err.value).startswith("data/BILLING_PERIOD=2024-13/")
    assert str(err.value).endswith(
        ": folder BILLING_PERIOD '2024-13': expected a billing period as YYYY-MM, e.g. 2026-10"
    )


def test_period_totals_are_what_the_warehouse_holds(con, tmp_path):
    write_cur2(tmp_path, "2024-01")
    p = ingest(con, str(tmp_path / "cur2")).period("2024-01")
    rows, cost = period_totals(con, "2024-01")
    assert (rows, round(cost, 6)) == (p.ecr_rows, round(p.ecr_cost, 6)) == (3, 2.35)
    assert period_totals(con, "2023-12") == (0, 0.0)


def test_parquet_tags_one_map_per_distinct_tag_set_each_line_its_own(con, tmp_path):
    # Legacy columns: the scan builds one MAP per distinct set of tag values and joins it back
    # to the lines; the CUR 2.0 MAP is filtered per line. Either way every line keeps exactly
    # its own tags ('' and NULL dropped), lines without any are {}, and the line groups (the
    # marts' grain) split by those tag sets.
    legacy = tmp_path / "legacy" / "rep" / "rep" / "year=2024" / "month=3"
    cur2 = tmp_path / "cur2" / "exp" / "data" / "BILLING_PERIOD=2024-03"
    legacy.mkdir(parents=True)
    cur2.mkdir(parents=True)
    rows = [  # cost, team, env (None: NULL in the file)
        (1.0, "red", ""),
        (2.0, "red", None),
        (3.0, "red", "prod"),
        (4.0, "", ""),
        (5.0, None, "prod"),
        (6.0, "red", ""),
    ]
    values = ", ".join(
        f"({cost}, {'NULL' if team is None else repr(team)}, {'NULL' if env is None else repr(env)})"
        for cost, team, env in rows
    )
    common = (
        "SELECT TIMESTAMP '2024-03-01' AS bill_billing_period_start_date,"
        " TIMESTAMP '2024-03-02' AS line_item_usage_start_date,"
        " 'AmazonECR' AS line_item_product_code, 'USE1-TimedStorage-ByteHrs' AS"
        " line_item_usage_type, 'Usage' AS line_item_line_item_type, 'GB-Mo' AS pricing_unit,"
        " 'arn:aws:ecr:us-east-1:111122223333:repository/app' AS line_item_resource_id,"
        " cost AS line_item_unblended_cost"
    )
    source = f"(VALUES {values}) AS t(cost, team, env)"
    scratch_con = duckdb.connect()
    scratch_con.execute(
        f"COPY ({common}, team AS resource_tags_user_team, env AS resource_tags_user_env"
        f" FROM {source}) TO '{legacy}/rep-00001.snappy.parquet' (FORMAT parquet)"
    )
    scratch_con.execute(
        f"COPY ({common}, CASE WHEN cost = 5.0 THEN NULL ELSE"
        " MAP {'user_team': team, 'user_env': env} END AS resource_tags"
        f" FROM {source}) TO '{cur2}/exp-00001.snappy.parquet' (FORMAT parquet)"
    )
    scratch_con.close()
    expected = [
        (1.0, {"user_team": "red"}),
        (2.0, {"user_team": "red"}),
        (3.0, {"user_team": "red", "user_env": "prod"}),
        (4.0, {}),
        (5.0, {"user_env": "prod"}),
        (6.0, {"user_team": "red"}),
    ]
    for location, fmt in ((tmp_path / "legacy", "cur-legacy-parquet"), (tmp_path / "cur2", "cur2")):
        p = ingest(con, str(location)).period("2024-03")
        assert (p.source_format, p.ecr_rows, p.ecr_cost) == (fmt, 6, 21.0)
        lines = con.execute(
            "SELECT unblended_cost, tags FROM cur_ecr_lines ORDER BY unblended_cost"
        ).fetchall()
        # CUR 2.0: the NULL map of the 5.0 line is no tag at all
        assert lines == (expected if fmt != "cur2" else [*expected[:4], (5.0, {}), expected[5]])
        groups = con.execute(
            "SELECT tags, cost, line_count FROM cur_ecr_line_groups ORDER BY cost, line_count"
        ).fetchall()
        if fmt == "cur2":
            assert groups == [
                ({"user_team": "red", "user_env": "prod"}, 3.0, 1),
                ({}, 9.0, 2),
                ({"user_team": "red"}, 9.0, 3),
            ]
        else:
            assert groups == [
                ({"user_team": "red", "user_env": "prod"}, 3.0, 1),
                ({}, 4.0, 1),
                ({"user_env": "prod"}, 5.0, 1),
                ({"user_team": "red"}, 9.0, 3),
            ]
