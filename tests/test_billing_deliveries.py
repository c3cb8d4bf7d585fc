"""Issue 11: every delivery read exactly once, each row in its own billing period, finite
numbers. Files laid out as AWS writes them: Data Exports execution folders and manifests,
legacy CSV assemblies, misfiled months, gzip/ZIP, BOM, lower-cased headers."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from fixtures_billing import (
    set_ecr_field,
    write_cur2,
    write_focus,
    write_legacy_csv,
    write_legacy_csv_manifest,
    write_legacy_parquet,
)

from ecrcost import cli, warehouse
from ecrcost.billing import ingest, source_totals
from ecrcost.errors import UserError

PERIOD = "2024-01"
DATA = f"cur2/data/BILLING_PERIOD={PERIOD}"
OLD, NEW = "20240201T010000Z-0a1b", "20240203T010000Z-9f8e"  # execution folders


def state(con) -> tuple:
    lines = con.execute("SELECT * FROM cur_ecr_lines ORDER BY ALL").fetchall()
    loads = con.execute("SELECT * FROM billing_loads ORDER BY billing_period").fetchall()
    return lines, loads


def _execution(tmp_path: Path, root: Path, name: str, scale: float, mtime: int) -> str:
    """One Data Exports execution of PERIOD: its file in `data/BILLING_PERIOD=/<name>/`."""
    src = write_cur2(tmp_path / f"src-{name}", PERIOD, scale=scale)
    target = root / DATA / name / src.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, target)
    os.utime(target, (mtime, mtime))
    return f"s3://bucket/exports/{DATA}/{name}/{src.name}"


@pytest.fixture
def executions(tmp_path) -> Path:
    """Two executions ("create new file"): the older one at scale 1 ($2.35), the newer at 2."""
    root = tmp_path / "exports"
    _execution(tmp_path, root, OLD, 1.0, 1_706_749_200)
    newer = _execution(tmp_path, root, NEW, 2.0, 1_706_922_000)
    meta = root / f"cur2/metadata/BILLING_PERIOD={PERIOD}"
    meta.mkdir(parents=True)
    (meta / "cur2-Manifest.json").write_text(json.dumps({"executionId": NEW, "dataFiles": [newer]}))
    return root


def test_the_manifest_names_the_one_execution_read(con, executions):
    p = ingest(con, str(executions / "cur2")).period(PERIOD)
    assert (p.ecr_rows, round(p.ecr_cost, 6)) == (3, 4.7)
    assert p.files == [str(executions / DATA / NEW / "cur2-00001.snappy.parquet")]
    assert p.notes == ["ignored 1 file(s) not in the current manifest (older assemblies)"]


@pytest.mark.parametrize("where", ["data", "period folder", "export root without metadata"])
def test_without_a_manifest_only_the_newest_execution_is_read_and_said(con, executions, where):
    if where == "export root without metadata":
        shutil.rmtree(executions / "cur2" / "metadata")
        location = executions / "cur2"
    else:
        location = executions / ("cur2/data" if where == "data" else DATA)
    p = ingest(con, str(location)).period(PERIOD)
    assert (p.ecr_rows, round(p.ecr_cost, 6)) == (3, 4.7)  # not 7.05: one execution only
    assert p.files == [str(executions / DATA / NEW / "cur2-00001.snappy.parquet")]
    assert p.notes == [
        f"no Data Exports manifest: read only the newest of 2 executions, {NEW} (1 file(s)); "
        f"ignored {OLD}; copy metadata/ too to let the manifest choose"
    ]
    assert con.execute("SELECT round(sum(unblended_cost), 6) FROM cur_ecr_lines").fetchone() == (
        4.7,
    )


def test_the_newest_execution_is_said_on_the_command_line(executions, home, capsys):
    location = str(executions / "cur2" / "data")
    assert cli.main(["ingest", "--cur", location, "--home", str(home)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{PERIOD}  cur2  1 file(s)  3 ECR rows  $4.70\n"
    assert err == (
        f"note: {PERIOD}: no Data Exports manifest: read only the newest of 2 executions, {NEW} "
        f"(1 file(s)); ignored {OLD}; copy metadata/ too to let the manifest choose\n"
    )


@pytest.mark.parametrize("inside", [False, True])
def test_legacy_assemblies_pointed_at_the_report_folder_itself(con, tmp_path, real_data, inside):
    """`--cur .../20231101-20231201`: the same manifest rule as from the report root (before,
    the folder read as loose files and both assemblies were summed)."""
    folder = tmp_path / "cur" / "rep" / "20231101-20231201"
    real = real_data / "cur-legacy-sample.csv"
    write_legacy_csv(real, folder / "old-assembly" / "rep-1.csv", scale=10.0)
    write_legacy_csv(real, folder / "new-assembly" / "rep-1.csv")
    write_legacy_csv_manifest(folder, "rep", ["new-assembly/rep-1.csv"])
    if inside:
        (folder / "rep-Manifest.json").unlink()
        with pytest.raises(UserError, match=r"20231101-20231201: several assemblies and no"):
            ingest(con, str(folder))
        assert state(con) == ([], [])
        return
    p = ingest(con, str(folder)).period("2023-11")
    assert (p.source_format, p.ecr_rows, round(p.ecr_cost, 6)) == ("cur-legacy-csv", 4, 1.64)
    assert p.files == [str(folder / "new-assembly" / "rep-1.csv")]


# ---- 11.2 a row's own billing period ------------------------------------------------------


def _period_file(tmp_path: Path, period: str, into: Path, name: str | None = None) -> Path:
    """A CUR 2.0 data file of `period` copied into folder `into` (possibly another period's)."""
    src = write_cur2(tmp_path / f"src-{period}", period)
    into.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(src, into / (name or src.name)))


@pytest.fixture
def loaded_january(con, tmp_path):
    """The warehouse holding a good load of 2024-01, to show a refused load keeps it."""
    write_cur2(tmp_path / "good", PERIOD)
    ingest(con, str(tmp_path / "good" / "cur2"))
    return state(con)


def test_a_december_file_under_januarys_folder_is_refused(con, tmp_path, loaded_january):
    folder = tmp_path / "exports" / DATA
    misfiled = _period_file(tmp_path, "2023-12", folder)
    with pytest.raises(UserError) as err:
        ingest(con, str(tmp_path / "exports" / "cur2"))
    assert str(err.value) == (
        f"{misfiled}: 3 ECR line(s) of billing period 2023-12 in the folder of 2024-01; move the "
        "file to its own period's folder (or point --cur at the file alone to load each line "
        "into its own period)"
    )
    assert state(con) == loaded_january  # January's lines were not replaced by December's


def test_two_months_in_one_period_folder_are_refused_not_summed(con, tmp_path, loaded_january):
    folder = tmp_path / "exports" / DATA
    _period_file(tmp_path, PERIOD, folder, "a-00001.snappy.parquet")
    misfiled = _period_file(tmp_path, "2024-02", folder, "b-00001.snappy.parquet")
    with pytest.raises(UserError, match=rf"^{misfiled}: 3 ECR line\(s\) of billing period 2024-02"):
        ingest(con, str(tmp_path / "exports" / "cur2"))
    assert state(con) == loaded_january


def test_a_legacy_month_folder_holding_another_month(tmp_path, real_data, home, capsys):
    folder = tmp_path / "cur" / "rep" / "rep" / "year=2018" / "month=11"
    path = write_legacy_parquet(
        real_data / "cur-legacy-2018-10.snappy.parquet", folder / "rep-00001.snappy.parquet"
    )
    assert cli.main(["ingest", "--cur", str(tmp_path / "cur"), "--home", str(home)]) == 2
    assert capsys.readouterr().err == (
        f"ecrcost: {path}: 4 ECR line(s) of billing period 2018-10 in the folder of 2018-11; "
        "move the file to its own period's folder (or point --cur at the file alone to load "
        "each line into its own period)\n"
    )
    with warehouse.opened(home / "warehouse.duckdb") as c:
        assert state(c) == ([], [])


def _without_ecr(src: Path, out: Path) -> Path:
    """`src` (a CUR 2.0 Parquet file) without its ECR rows: only other services' lines."""
    out.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_parquet('{src}') WHERE line_item_product_code NOT LIKE"
        f" 'AmazonECR%') TO '{out}' (FORMAT parquet)"
    )
    return out


def test_a_december_file_without_ecr_lines_under_januarys_folder_is_refused(
    con, tmp_path, loaded_january
):
    folder = tmp_path / "exports" / DATA
    _period_file(tmp_path, PERIOD, folder, "a-00001.snappy.parquet")
    december = write_cur2(tmp_path / "src-dec", "2023-12")
    misfiled = _without_ecr(december, folder / "b-00001.snappy.parquet")
    with pytest.raises(UserError) as err:
        ingest(con, str(tmp_path / "exports" / "cur2"))
    assert str(err.value) == (
        f"{misfiled}: rows of billing period 2023-12 (no ECR lines) in the folder of 2024-01; "
        "move the file to its own period's folder"
    )
    assert state(con) == loaded_january


def test_a_file_without_ecr_lines_in_its_own_folder_loads(con, tmp_path):
    folder = tmp_path / "exports" / DATA
    _period_file(tmp_path, PERIOD, folder, "a-00001.snappy.parquet")
    _without_ecr(write_cur2(tmp_path / "src-jan", PERIOD), folder / "b-00001.snappy.parquet")
    result = ingest(con, str(tmp_path / "exports" / "cur2"))
    assert [(p.period, p.ecr_rows, round(p.ecr_cost, 6)) for p in result.periods] == [
        (PERIOD, 3, 2.35)
    ]


def test_the_real_legacy_parquet_month_without_ecr_rows_in_the_next_months_folder(
    tmp_path, real_data, home, capsys
):
    """The real file as AWS wrote it (119,307 lines, no ECR rows, only the old-style footer
    statistics), copied under month=11: refused from the footer, nothing written."""
    folder = tmp_path / "cur" / "rep" / "rep" / "year=2018" / "month=11"
    folder.mkdir(parents=True)
    path = Path(
        shutil.copy(
            real_data / "cur-legacy-2018-10.snappy.parquet", folder / "rep-1.snappy.parquet"
        )
    )
    assert cli.main(["ingest", "--cur", str(tmp_path / "cur"), "--home", str(home)]) == 2
    assert capsys.readouterr().err == (
        f"ecrcost: {path}: rows of billing period 2018-10 (no ECR lines) in the folder of "
        "2018-11; move the file to its own period's folder\n"
    )
    with warehouse.opened(home / "warehouse.duckdb") as c:
        assert state(c) == ([], [])


def test_the_real_legacy_csv_month_without_ecr_rows_in_the_next_months_folder(
    con, tmp_path, real_data
):
    """The real November 2023 CSV (no ECR rows; no footer to ask, its rows are read) in
    December's assembly folder."""
    folder = tmp_path / "cur" / "rep" / "20231201-20240101"
    folder.mkdir(parents=True)
    path = Path(shutil.copy(real_data / "cur-legacy-sample.csv", folder / "rep-1.csv"))
    with pytest.raises(UserError) as err:
        ingest(con, str(tmp_path / "cur"))
    assert str(err.value) == (
        f"{path}: rows of billing period 2023-11 (no ECR lines) in the folder of 2023-12; "
        "move the file to its own period's folder"
    )
    assert state(con) == ([], [])


def test_loose_files_put_each_row_in_its_own_period(con, tmp_path):
    flat = tmp_path / "flat"
    _period_file(tmp_path, "2023-12", flat, "december.parquet")
    _period_file(tmp_path, PERIOD, flat, "january.parquet")
    result = ingest(con, str(flat))
    assert [(p.period, p.ecr_rows, round(p.ecr_cost, 6)) for p in result.periods] == [
        ("2023-12", 3, 2.35),
        ("2024-01", 3, 2.35),
    ]
    assert con.execute(
        "SELECT billing_period, regexp_extract(source_file, '[a-z]+\\.parquet$'), count(*)"
        " FROM cur_ecr_lines GROUP BY ALL ORDER BY ALL"
    ).fetchall() == [("2023-12", "december.parquet", 3), ("2024-01", "january.parquet", 3)]


# ---- 11.3 finite numbers -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize("field", ["lineItem/UnblendedCost", "lineItem/UsageAmount"])
def test_a_cost_or_quantity_that_is_not_a_finite_number_is_refused(
    con, tmp_path, real_data, field, value
):
    folder = tmp_path / "cur" / "rep" / "20231101-20231201"
    path = write_legacy_csv(real_data / "cur-legacy-sample.csv", folder / "rep-1.csv")
    ingest(con, str(tmp_path / "cur"))
    before = state(con)
    first = set_ecr_field(path, field, value, last_only=True)
    start = first["lineItem/UsageStartDate"][:16].replace("T", " ")
    with pytest.raises(UserError) as err:
        ingest(con, str(tmp_path / "cur"))
    assert str(err.value) == (
        f"{path}: column {field} is not a finite number (NaN, Infinity or out of range), first "
        f"at the line of {start} usage type {first['lineItem/UsageType']}; fix the file"
    )
    assert state(con) == before


def test_a_parquet_infinity_is_refused_too(con, tmp_path, loaded_january):
    import duckdb

    folder = tmp_path / "exports" / DATA
    path = _period_file(tmp_path, PERIOD, folder)
    duckdb.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN line_item_usage_type LIKE 'USE2%' THEN 'inf'::DOUBLE"
        f" ELSE line_item_net_unblended_cost END AS line_item_net_unblended_cost)"
        f" FROM '{path}') TO '{path}.tmp' (FORMAT parquet)"
    )
    os.replace(f"{path}.tmp", path)
    with pytest.raises(UserError, match=r"column line_item_net_unblended_cost is not a finite"):
        ingest(con, str(tmp_path / "exports" / "cur2"))
    assert state(con) == loaded_january


# ---- 11.4 column names matched regardless of case (Athena / Glue lower-case them) ---------

LINES = (
    "SELECT billing_period, region, product_code, repository_name, usage_category, usage_type,"
    " line_item_type, usage_amount, unit, unblended_cost, net_cost, tags"
    " FROM cur_ecr_lines ORDER BY unblended_cost"
)


def test_focus_with_lower_cased_column_names(con, tmp_path):
    import duckdb

    path = write_focus(tmp_path / "orig", "2024-02")
    ingest(con, str(tmp_path / "orig" / "focus"))
    expected = con.execute(LINES).fetchall()
    lower = tmp_path / "athena" / "focus" / "data" / "BILLING_PERIOD=2024-02" / path.name
    lower.parent.mkdir(parents=True)
    cols = [r[0] for r in duckdb.execute(f"DESCRIBE SELECT * FROM '{path}'").fetchall()]
    renamed = ", ".join(f'"{c}" AS "{c.lower()}"' for c in cols)
    duckdb.execute(f"COPY (SELECT {renamed} FROM '{path}') TO '{lower}' (FORMAT parquet)")
    p = ingest(con, str(tmp_path / "athena" / "focus")).period("2024-02")
    assert (p.source_format, p.ecr_rows, round(p.ecr_cost, 6)) == ("focus", 2, 1.75)
    assert con.execute(LINES).fetchall() == expected
    assert expected[1][4:6] == ("storage", "EUN1-TimedStorage-ByteHrs")


def test_legacy_csv_with_a_bom_and_lower_cased_headers_keeps_tag_keys_apart(con, tmp_path):
    path = tmp_path / "cur" / "rep" / "20231101-20231201" / "rep-1.csv"
    path.parent.mkdir(parents=True)
    header = [
        "bill/billingperiodstartdate", "lineitem/productcode", "lineitem/usagestartdate",
        "lineitem/usagetype", "lineitem/unblendedcost", "lineitem/usageamount", "pricing/unit",
        "resourcetags/user:team", "resourcetags/user:Team",
    ]  # fmt: skip
    start = ["2023-11-01T00:00:00Z", "AmazonECR", "2023-11-03T00:00:00Z"]
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:  # Excel's BOM
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerow([*start, "USE1-TimedStorage-ByteHrs", "1.5", "15", "GB-Mo", "red", "Red"])
        writer.writerow([*start, "EU-TimedStorage-ByteHrs", "0.5", "5", "GB-Mo", "", "Blue"])
    p = ingest(con, str(tmp_path / "cur")).period("2023-11")
    assert (p.source_format, p.ecr_rows, round(p.ecr_cost, 6)) == ("cur-legacy-csv", 2, 2.0)
    assert con.execute(LINES).fetchall() == [
        ("2023-11", "eu-west-1", "AmazonECR", None, "storage", "EU-TimedStorage-ByteHrs", None,
         5.0, "GB-Mo", 0.5, None, {"user:Team": "Blue"}),
        ("2023-11", "us-east-1", "AmazonECR", None, "storage", "USE1-TimedStorage-ByteHrs", None,
         15.0, "GB-Mo", 1.5, None, {"user:team": "red", "user:Team": "Red"}),
    ]  # fmt: skip


# ---- 11.4 FOCUS without the x_ columns, 11.5 usage types by name with units checked -------

FOCUS_HEADER = [
    "ProviderName", "BillingPeriodStart", "ChargePeriodStart", "ServiceName", "ChargeCategory",
    "ResourceId", "ConsumedQuantity", "ConsumedUnit", "PricingUnit", "ChargeDescription",
    "BilledCost", "EffectiveCost", "RegionId",
]  # fmt: skip
ECR_NAME = "Amazon EC2 Container Registry (ECR)"
REPO = "arn:aws:ecr:us-east-1:123456789012:repository/"


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])


def test_focus_1_0_without_x_columns_classifies_from_focus_columns(con, tmp_path):
    """The FinOps Foundation's FOCUS sample has no x_UsageType/x_ServiceCode/x_Operation."""
    day = ["2024-02-01T00:00:00Z", "2024-02-05T00:00:00Z", ECR_NAME]
    _csv(
        tmp_path / "focus.csv",
        FOCUS_HEADER,
        [
            ["AWS", *day, "Usage", f"{REPO}app", "15", "GB-Mo", "GB-Mo",
             "$0.10 per GB-month of data storage", "1.5", "1.5", "us-east-1"],
            ["AWS", *day, "Usage", f"{REPO}app", "4", "GB-Mo", "GB-Mo",
             "$0.10 per GB-month of archive storage", "0.4", "0.4", "us-east-1"],
            ["AWS", *day, "Usage", f"{REPO}app", "2", "GB", "GB",
             "$0.09 per GB data transfer out", "0.18", "0.18", "us-east-1"],
            ["AWS", *day, "Tax", "", "", "GB-Mo", "", "tax", "0.2", "0.2", ""],
            # another provider's row of another month makes no AWS period
            ["Microsoft", "2024-01-01T00:00:00Z", "2024-01-05T00:00:00Z", "Storage", "Usage",
             "/subs/x", "1", "GB-Mo", "GB-Mo", "blob", "9", "9", "eastus"],
        ],
    )  # fmt: skip
    result = ingest(con, str(tmp_path / "focus.csv"))
    assert [p.period for p in result.periods] == ["2024-02"]
    p = result.period("2024-02")
    assert (p.ecr_rows, round(p.ecr_cost, 6)) == (4, 2.28)
    assert con.execute(
        "SELECT usage_category, usage_amount, unblended_cost FROM cur_ecr_lines ORDER BY 3"
    ).fetchall() == [
        ("data_transfer", 2.0, 0.18),
        ("other", None, 0.2),
        ("archive_storage", 4.0, 0.4),
        ("storage", 15.0, 1.5),
    ]
    assert p.notes == [
        "lines without a usage type classified from ConsumedUnit/PricingUnit and "
        "ChargeDescription: archive_storage 1, data_transfer 1, storage 1"
    ]


CUR2_HEADER = [
    "bill_billing_period_start_date", "line_item_usage_start_date", "line_item_product_code",
    "line_item_usage_type", "line_item_operation", "line_item_line_item_type",
    "line_item_usage_amount", "pricing_unit", "line_item_unblended_cost",
    "line_item_resource_id", "product_region_code",
]  # fmt: skip


USAGE_LINES = [  # usage type, operation, amount, unit, cost(, region)
    ("TimedStorage-ByteHrs", "", "10", "GB-Mo", "1.0"),
    ("USE1-TimedStorage-ByteHrs", "", "5", "GB-Mo", "0.5"),
    ("USE1-TimedStorage-Archive-ByteHrs", "", "20", "GB-Mo", "2.0"),
    ("USE1-Archive-Restore-Bytes", "RestoreImage", "500", "GB", "15.0"),
    ("USE1-Archive-EarlyDelete-ByteHrs", "", "3", "GB-Mo", "0.3"),
    ("USE1-DataTransfer-Out-Bytes", "downloadLayer", "7", "GB", "0.63"),
    ("APS2-USE1-AWS-Out-Bytes", "downloadLayer", "2", "GB", "0.04", "ap-southeast-2"),
    ("USE1-TimedStorage-ByteHrs", "", "999", "GB", "0.01"),  # not a storage unit
    ("USE1-PutImage-Requests", "", "1", "Requests", "0.02"),
]


def test_usage_types_by_name_and_storage_only_in_storage_units(con, tmp_path):
    start = ["2024-03-01T00:00:00Z", "2024-03-04T00:00:00Z", "AmazonECR"]

    def line(usage_type, operation, amount, unit, cost, region="us-east-1"):
        return [*start, usage_type, operation, "Usage", amount, unit, cost, f"{REPO}app", region]

    _csv(
        tmp_path / "cur2" / "data" / "BILLING_PERIOD=2024-03" / "cur2-00001.csv",
        CUR2_HEADER,
        [
            *(line(*row) for row in USAGE_LINES),
        ],
    )
    p = ingest(con, str(tmp_path / "cur2")).period("2024-03")
    assert con.execute(
        "SELECT usage_type, usage_category FROM cur_ecr_lines ORDER BY unblended_cost"
    ).fetchall() == [
        ("USE1-TimedStorage-ByteHrs", "other"),
        ("USE1-PutImage-Requests", "other"),
        ("APS2-USE1-AWS-Out-Bytes", "data_transfer"),
        ("USE1-Archive-EarlyDelete-ByteHrs", "early_deletion"),
        ("USE1-TimedStorage-ByteHrs", "storage"),
        ("USE1-DataTransfer-Out-Bytes", "data_transfer"),
        ("TimedStorage-ByteHrs", "storage"),
        ("USE1-TimedStorage-Archive-ByteHrs", "archive_storage"),
        ("USE1-Archive-Restore-Bytes", "archive_retrieval"),
    ]
    # A GB-month figure: storage lines in storage units only (not the restore's 500 GB).
    assert con.execute(
        "SELECT usage_category, sum(usage_amount) FROM cur_ecr_lines"
        " WHERE usage_category IN ('storage', 'archive_storage') GROUP BY 1 ORDER BY 1"
    ).fetchall() == [("archive_storage", 20.0), ("storage", 15.0)]
    assert p.notes == [
        "no Data Exports manifest: every file of the period folder was read",
        "other ECR usage (not storage, archive or transfer): USE1-PutImage-Requests "
        "(1 line(s), $0.02); USE1-TimedStorage-ByteHrs (1 line(s), $0.01)",
    ]


# ---- 11.7 ZIP-compressed legacy CSV --------------------------------------------------------


def test_zip_compressed_legacy_csv_with_its_manifest(con, tmp_path, real_data):
    import zipfile

    folder = tmp_path / "cur" / "rep" / "20231101-20231201"
    plain = write_legacy_csv(real_data / "cur-legacy-sample.csv", tmp_path / "rep-1.csv")
    assembly = folder / "a1"
    assembly.mkdir(parents=True)
    with zipfile.ZipFile(assembly / "rep-1.csv.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.write(plain, "rep-1.csv")
    write_legacy_csv(real_data / "cur-legacy-sample.csv", folder / "old" / "rep-1.csv", 10.0)
    write_legacy_csv_manifest(folder, "rep", ["a1/rep-1.csv.zip"])
    p = ingest(con, str(tmp_path / "cur")).period("2023-11")
    assert (p.source_format, p.ecr_rows, round(p.ecr_cost, 6)) == ("cur-legacy-csv", 4, 1.64)
    assert p.files == [str(assembly / "rep-1.csv.zip")]


def test_a_zip_that_is_not_one_csv_is_one_line(tmp_path, home, capsys):
    import zipfile

    path = tmp_path / "cur" / "rep" / "20231101-20231201" / "rep-1.csv.zip"
    path.parent.mkdir(parents=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.csv", "x\n")
        z.writestr("b.csv", "y\n")
    assert cli.main(["ingest", "--cur", str(tmp_path / "cur"), "--home", str(home)]) == 2
    assert capsys.readouterr().err == (
        f"ecrcost: {path}: expected one CSV file in the ZIP, found a.csv, b.csv\n"
    )
    path.write_bytes(b"not a zip")
    assert cli.main(["ingest", "--cur", str(tmp_path / "cur"), "--home", str(home)]) == 2
    assert capsys.readouterr().err == (
        f"ecrcost: {path}: not a readable ZIP file (File is not a zip file)\n"
    )


# ---- 11.9 deterministic money --------------------------------------------------------------


def test_period_totals_are_exact_decimal_sums(con, tmp_path):
    """0.1 + 0.2 + 0.3 in DOUBLE is 0.6000000000000001, and parallel DOUBLE sums differ in the
    last bits from run to run: the load's totals are exact sums, the same on every run."""
    start = ["2024-03-01T00:00:00Z", "2024-03-04T00:00:00Z", "AmazonECR"]
    usage = ["USE1-TimedStorage-ByteHrs", "", "Usage", "1", "GB-Mo"]
    _csv(
        tmp_path / "cur2" / "data" / "BILLING_PERIOD=2024-03" / "cur2-00001.csv",
        CUR2_HEADER,
        [[*start, *usage, cost, f"{REPO}app", "us-east-1"] for cost in ("0.1", "0.2", "0.3")],
    )
    location = str(tmp_path / "cur2")
    assert sum([0.1, 0.2, 0.3]) == 0.6000000000000001
    p = ingest(con, location).period("2024-03")
    assert (p.ecr_rows, p.ecr_cost) == (3, 0.6)
    assert con.execute("SELECT source_ecr_cost FROM billing_loads").fetchall() == [(0.6,)]
    assert source_totals(location) == {"2024-03": (3, 0.6)}


def test_loose_copies_of_two_deliveries_of_a_period_are_refused(con, tmp_path, loaded_january):
    flat = tmp_path / "copies"
    _period_file(tmp_path, PERIOD, flat / "first", "cur2-00001.snappy.parquet")
    _period_file(tmp_path, PERIOD, flat / "second", "cur2-00001.snappy.parquet")
    with pytest.raises(UserError) as err:
        ingest(con, str(flat))
    assert str(err.value) == (
        f"{flat}: billing period {PERIOD} is in files of 2 folders ({flat / 'first'}, "
        f"{flat / 'second'}), which would be summed; point --cur at one of them"
    )
    assert state(con) == loaded_january


# ---- 11.6 data transfer per repository (cross-region pulls and replication included) ------


def test_cross_region_pulls_and_replication_are_a_repositorys_data_transfer(
    con, settings, tmp_path
):
    from ecrcost.attribution.marts import build_marts

    start = ["2024-03-01T00:00:00Z", "2024-03-04T00:00:00Z", "AmazonECR"]
    rows = [
        ("app", "USE1-TimedStorage-ByteHrs", "", "10", "GB-Mo", "1.0"),
        ("app", "APS2-USE1-AWS-Out-Bytes", "downloadLayer", "2", "GB", "0.04"),
        ("app", "USE1-EU-AWS-Out-Bytes", "ReplicateImage", "3", "GB", "0.06"),
        ("web", "USE1-TimedStorage-ByteHrs", "", "5", "GB-Mo", "0.5"),
        ("web", "USE1-DataTransfer-Out-Bytes", "downloadLayer", "1", "GB", "0.09"),
    ]
    _csv(
        tmp_path / "cur2" / "data" / "BILLING_PERIOD=2024-03" / "cur2-00001.csv",
        CUR2_HEADER,
        [
            [*start, ut, op, "Usage", amount, unit, cost, f"{REPO}{repo}", "us-east-1"]
            for repo, ut, op, amount, unit, cost in rows
        ],
    )
    ingest(con, str(tmp_path / "cur2"))
    build_marts(con, settings, "2024-03")
    got = con.execute(
        "SELECT repository_name, round(storage_cost, 6), round(data_transfer_cost, 6),"
        " round(other_usage_cost, 6), avg_gb_stored FROM repository_costs ORDER BY 1"
    ).fetchall()
    assert got == [("app", 1.0, 0.1, 0.0, 10.0), ("web", 0.5, 0.09, 0.0, 5.0)]
