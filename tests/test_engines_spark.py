"""The Spark engine really running (pyspark, local[1], one session for the test session):
the sample organisation's layouts give the default engine's lines, to the cent."""

from __future__ import annotations

import boto3
import pytest
from fixtures_engines import agree_rows

from ecrcost import cli, warehouse
from ecrcost.aws import AwsAccess
from ecrcost.billing import ingest
from ecrcost.billing.load import load_extracted
from ecrcost.billing.spark import Staging, extract_location, extract_table
from ecrcost.fmt import human_bytes


def _default(tmp_path, root):
    con = warehouse.connect(tmp_path / "duckdb.duckdb")
    result = ingest(con, str(root))
    rows = agree_rows(con)
    con.close()
    return result, rows


def test_ingest_engine_spark_loads_the_default_engines_lines(spark, sample_org, tmp_path, capsys):
    """`ecrcost ingest --engine spark --cur <the sample's legacy Parquet layout>`."""
    root = sample_org[0] / "cur-legacy-parquet"
    assert cli.main(["ingest", "--cur", str(root), "--home", str(tmp_path / "a")]) == 0
    default_out = capsys.readouterr().out
    args = ["ingest", "--engine", "spark", "--spark-master", "local[1]", "--cur", str(root)]
    assert cli.main([*args, "--home", str(tmp_path / "b")]) == 0
    out, err = capsys.readouterr()
    assert out == default_out  # the same periods, rows and dollars
    assert "2026-08  cur-legacy-parquet  1 file(s)  50345 ECR rows  $61.56" in out
    read = sum(p.stat().st_size for p in root.rglob("year=*/month=*/*.parquet"))
    assert f"spark: read {human_bytes(read)} of billing files" in err
    figures = []
    for home in ("a", "b"):
        with warehouse.opened(tmp_path / home / "warehouse.duckdb", read_only=True) as con:
            loads = con.execute(
                "SELECT billing_period, source_format, ecr_rows, files FROM billing_loads"
                " ORDER BY 1"
            ).fetchall()
            figures.append((agree_rows(con), loads))
    assert figures[0] == figures[1]
    assert len(figures[0][0]) > 100


@pytest.mark.parametrize("layout", ["cur2", "focus", "cur-legacy-csv"])
def test_spark_agrees_on_every_layout(spark, sample_org, tmp_path, layout):
    root = sample_org[0] / layout
    expected, rows = _default(tmp_path, root)
    url, found = extract_location(spark, str(root), Staging(str(tmp_path / "st"), tmp_path))
    con = warehouse.connect(tmp_path / "spark.duckdb")
    result = load_extracted(con, url, found)
    assert [(p.period, p.ecr_rows, round(p.ecr_cost, 2), p.notes) for p in result.periods] == [
        (p.period, p.ecr_rows, round(p.ecr_cost, 2), p.notes) for p in expected.periods
    ]
    assert agree_rows(con) == rows
    source = con.execute("SELECT DISTINCT source_file FROM cur_ecr_lines ORDER BY 1").fetchall()
    assert [s for (s,) in source] == sorted(f for p in expected.periods for f in p.files)


def test_spark_catalog_table(spark, sample_org, tmp_path):
    """`--table`: a table of many months; each period's rows by their own billing period."""
    root = sample_org[0] / "cur2"
    _, rows = _default(tmp_path, root)
    files = sorted(str(p) for p in root.rglob("*.parquet"))
    spark.read.parquet(*files).createOrReplaceTempView("cur2_bill")
    staging = Staging(str(tmp_path / "st"), tmp_path)
    found = extract_table(spark, "cur2_bill", staging, ["2026-08", "2026-09"])
    con = warehouse.connect(tmp_path / "spark.duckdb")
    load_extracted(con, "table cur2_bill", found)
    assert agree_rows(con) == rows


def test_s3_staging_is_written_through_s3a_and_read_back(moto_reset, monkeypatch, tmp_path):
    """On a cluster Spark writes the lines to S3 (`--spark-staging s3://...`); this process
    downloads the Parquet files it wrote (not Spark's _SUCCESS marker). Over moto's server."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_reset)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="stage")
    staging = Staging("s3://stage/ecrcost/", tmp_path / "local", AwsAccess(), run="r1")
    assert staging.target("2026-08") == "s3a://stage/ecrcost/r1/2026-08"
    part = b"PAR1 not really"
    s3.put_object(Bucket="stage", Key="ecrcost/r1/2026-08/part-00000-a.snappy.parquet", Body=part)
    s3.put_object(Bucket="stage", Key="ecrcost/r1/2026-08/_SUCCESS", Body=b"")
    s3.put_object(Bucket="stage", Key="ecrcost/r1/2026-09/part-00000-b.snappy.parquet", Body=b"")
    [local] = staging.files("2026-08")
    assert local == str(tmp_path / "local" / "2026-08" / "part-00000-a.snappy.parquet")
    assert (tmp_path / "local" / "2026-08" / "part-00000-a.snappy.parquet").read_bytes() == part


def test_spark_conf_reaches_the_running_session(spark, tmp_path, capsys):
    """`--spark-conf` on a running session (a cluster's): runtime settings are set, a static
    one is refused in one line."""
    args = ["ingest", "--engine", "spark", "--cur", str(tmp_path / "none")]
    code = cli.main([*args, "--spark-conf", "spark.sql.files.maxPartitionBytes=64m"])
    assert code == 2  # the location does not exist, after the session took the setting
    assert spark.conf.get("spark.sql.files.maxPartitionBytes") == "64m"
    assert "billing location does not exist" in capsys.readouterr().err
    assert cli.main([*args, "--spark-conf", "spark.executor.cores=2"]) == 2
    [line] = [x for x in capsys.readouterr().err.splitlines() if x.startswith("ecrcost: ")]
    assert line.startswith("ecrcost: --spark-conf spark.executor.cores: ")
    spark.conf.unset("spark.sql.files.maxPartitionBytes")


def test_spark_unreadable_file_is_one_line(spark, tmp_path, capsys):
    folder = tmp_path / "cur" / "rep" / "rep" / "year=2026" / "month=8"
    folder.mkdir(parents=True)
    (folder / "rep-00001.snappy.parquet").write_text("not parquet")
    args = ["ingest", "--engine", "spark", "--cur", str(tmp_path / "cur")]
    assert cli.main([*args, "--home", str(tmp_path / "h")]) == 2
    err = capsys.readouterr().err
    [line] = [x for x in err.splitlines() if x.startswith("ecrcost: ")]
    assert line.startswith(
        f"ecrcost: {tmp_path}/cur/rep/rep: Spark cannot read the billing files: "
        "[FAILED_READ_FILE.CANNOT_READ_FILE_FOOTER]"
    )
    assert "Traceback" not in err and "Py4J" not in err
    with warehouse.opened(tmp_path / "h" / "warehouse.duckdb", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM billing_loads").fetchall() == [(0,)]
