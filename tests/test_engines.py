"""The one extraction definition rendered per engine, and the load of an engine's lines.

The Athena SQL is proven by running it: parsed as Trino, transpiled back to DuckDB and run on
the sample organisation's files shaped as Athena's tables (lower-case columns, partitions,
`"$path"`); its lines, loaded by `load_extracted`, equal the default engine's to the cent.
"""

from __future__ import annotations

import re
from dataclasses import replace

import duckdb
import pyarrow.parquet as pq
import pytest
import sqlglot
from fixtures_engines import LAYOUTS, agree_rows, athena_view, run_trino

from ecrcost import cli, warehouse
from ecrcost.actions.iam import iam_action, left_out, policy_document
from ecrcost.billing import extract, ingest
from ecrcost.billing.load import Extracted, load_extracted, period_totals
from ecrcost.errors import UserError
from ecrcost.settings import Settings, load_settings


@pytest.fixture(scope="module")
def default_lines(sample_org, tmp_path_factory):
    """Each layout loaded by the default engine: the figures every engine must give."""
    out = {}
    for fmt, (folder, _) in LAYOUTS.items():
        con = warehouse.connect(tmp_path_factory.mktemp("duckdb") / "w.duckdb")
        ingest(con, str(sample_org[0] / folder))
        out[fmt] = agree_rows(con)
        con.close()
    return out


def _athena_lines(tmp_path, sample, fmt, **view) -> tuple[duckdb.DuckDBPyConnection, list]:
    """Every period of the layout extracted by the Athena SQL (run in DuckDB), then loaded."""
    scratch = duckdb.connect()
    scratch.execute("SET TimeZone = 'UTC'")
    columns, partitions = athena_view(scratch, sample, fmt, **view)
    info = extract.table_info("table cur.bill", columns, "", "auto")
    assert info.fmt == fmt
    found = []
    for period in ("2026-08", "2026-09"):
        sql = extract.render(
            "athena",
            info,
            '"cur"."bill"',
            period,
            None,
            extract.partition_filter(partitions, period),
        )
        path = tmp_path / f"{fmt}-{period}.parquet"
        pq.write_table(run_trino(scratch, sql), path)
        found.append(Extracted(period, info.fmt, [str(path)], "table cur.bill", None))
    con = warehouse.connect(tmp_path / "athena.duckdb")
    result = load_extracted(con, "athena:cur.bill", found)
    return con, result.periods


@pytest.mark.parametrize("fmt", list(LAYOUTS))
def test_athena_sql_gives_the_default_engines_lines(tmp_path, sample_org, default_lines, fmt):
    con, periods = _athena_lines(tmp_path, sample_org[0], fmt)
    summary = sample_org[1]
    assert [p.period for p in periods] == ["2026-08", "2026-09"]
    for p in periods:
        assert round(p.ecr_cost, 2) == round(summary.ecr_cost_by_period[p.period], 2)
        assert p.source_format == fmt
    rows = agree_rows(con)
    assert rows == default_lines[fmt]
    assert len(rows) > 100 and any(r[5] != "{}" for r in rows)  # tagged and untagged groups


def test_athena_decimal_costs_and_empty_map_values_change_nothing(
    tmp_path, sample_org, default_lines
):
    """Athena's tables may hold DECIMAL costs, and CUR 2.0's map may hold '' for a key the
    resource does not carry (where DuckDB's lookup gives NULL): the same lines either way."""
    con, _ = _athena_lines(
        tmp_path, sample_org[0], "cur2", decimal_costs=True, empty_tag_key="user_not_set"
    )
    assert agree_rows(con) == default_lines["cur2"]
    keys = con.execute("SELECT DISTINCT unnest(map_keys(tags)) FROM cur_ecr_lines").fetchall()
    assert ("user_not_set",) not in keys and ("user_team",) in keys


def test_rendered_sql_per_engine(sample_org):
    cols = {
        "bill_billing_period_start_date": "timestamp",
        "line_item_usage_start_date": "string",  # a CSV-backed table: text timestamps
        "line_item_product_code": "string",
        "line_item_usage_type": "string",
        "line_item_unblended_cost": "decimal(38,9)",
        "resource_tags": "map<string,string>",
        "billing_period": "string",
    }
    info = extract.table_info("t", cols, "", "auto")
    athena = extract.render(
        "athena", info, '"db"."cur"', "2026-08", None, {"billing_period": ["2026-08"]}
    )
    spark = extract.render(
        "spark", info, "db.cur", "2026-08", None, {"billing_period": ["2026-08"]}
    )
    for text in (athena, spark):
        assert re.search(r"\bp_[a-z_]+\b", text) is None  # each macro parameter is a literal
        assert "'AmazonECR'" in text and "'AmazonECRPublic'" in text
        assert "'2026-08'" in text
    assert '"$path"' in athena and 'FROM_ISO8601_TIMESTAMP("line_item_usage_start_date")' in athena
    assert 'CAST("line_item_unblended_cost" AS DOUBLE)' in athena
    assert "input_file_name()" in spark and "TIMESTAMP_NTZ" in spark
    assert "DATE_FORMAT(" in spark and "'yyyy-MM'" in spark
    # both parse in their own dialect
    sqlglot.parse_one(athena, read="trino")
    sqlglot.parse_one(spark, read="spark")


def test_text_timestamps_in_the_athena_sql_read_as_utc():
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA cur")
    con.execute(
        """CREATE VIEW cur.bill AS SELECT * FROM (VALUES
        ('2026-08-31T23:00:00Z', 'AmazonECR', 'USE1-TimedStorage-ByteHrs', '1.25', '/x/a.csv'),
        ('2026-09-01T00:00:00Z', 'AmazonECR', 'USE1-TimedStorage-ByteHrs', '2.5', '/x/a.csv'),
        ('2026-08-02T00:00:00Z', 'AmazonEC2', 'BoxUsage', '9', '/x/a.csv'))
        AS v(line_item_usage_start_date, line_item_product_code, line_item_usage_type,
             line_item_unblended_cost, "$path")"""
    )
    cols = {
        "line_item_usage_start_date": "string",
        "line_item_product_code": "string",
        "line_item_usage_type": "string",
        "line_item_unblended_cost": "string",
    }
    info = extract.table_info("t", cols, "", "cur2")
    rows = run_trino(
        con, extract.render("athena", info, '"cur"."bill"', "2026-08", None)
    ).to_pylist()
    assert [(str(r["usage_start"]), r["unblended_cost"], r["billing_period"]) for r in rows] == [
        ("2026-08-31 23:00:00", 1.25, "2026-08")
    ]


def test_partition_filter_and_types():
    assert extract.partition_filter(["billing_period"], "2026-08") == {
        "billing_period": ["2026-08"]
    }
    assert extract.partition_filter(["year", "month"], "2026-08") == {
        "year": ["2026"],
        "month": ["08", "8"],
    }
    assert extract.partition_filter(["year", "month"], "2026-11") == {
        "year": ["2026"],
        "month": ["11"],
    }
    assert extract.partition_filter(["dt"], "2026-08") == {}
    assert extract.duckdb_type("decimal(38, 9)") == "DECIMAL(38,9)"
    assert extract.duckdb_type("map<string,string>") == "MAP(VARCHAR, VARCHAR)"
    assert extract.duckdb_type("timestamp_ntz") == "TIMESTAMP"
    with pytest.raises(
        UserError, match="table x: required column line_item_usage_start_date is missing"
    ):
        extract.table_info("table x", {"line_item_product_code": "string"}, "", "cur2")


def _staged(tmp_path, rows: list[tuple], name: str = "part-0.parquet") -> str:
    """A Parquet file of an engine's extracted lines (the canonical columns) holding `rows`
    of (billing_period, usage_start, cost, source_file)."""
    con = duckdb.connect()
    values = ", ".join(f"('{p}', TIMESTAMP '{s}', {c}, '{f}')" for p, s, c, f in rows)
    path = tmp_path / name
    con.execute(
        f"""COPY (SELECT billing_period, usage_start, usage_start + INTERVAL 1 HOUR AS usage_end,
            '111122223333' AS payer_account_id, '111122223333' AS usage_account_id,
            'us-east-1' AS region, 'AmazonECR' AS product_code,
            'arn:aws:ecr:us-east-1:111122223333:repository/team/app' AS resource_id,
            'USE1-TimedStorage-ByteHrs' AS usage_type, 'TimedStorage' AS operation,
            'Usage' AS line_item_type, 1.0 AS usage_amount, 'GB-Mo' AS unit,
            CAST(cost AS DOUBLE) AS unblended_cost, CAST(NULL AS DOUBLE) AS net_cost,
            CAST(NULL AS VARCHAR) AS pricing_unit, CAST(NULL AS VARCHAR) AS description,
            MAP {{'user_team': 'a', 'user_env': ''}} AS tags, source_file,
            'cur2' AS source_format
        FROM (VALUES {values}) AS v(billing_period, usage_start, cost, source_file))
        TO '{path}' (FORMAT parquet)"""
    )
    return str(path)


def test_load_extracted_lines(con, tmp_path):
    f = _staged(
        tmp_path,
        [("2026-08", "2026-08-03 00:00:00", "1.5", "s3://b/x/BILLING_PERIOD=2026-08/a.parquet")],
    )
    result = load_extracted(
        con, "spark:s3://b/x", [Extracted("2026-08", "cur2", [f], "x", "2026-08")]
    )
    assert (result.periods[0].ecr_rows, result.periods[0].ecr_cost) == (1, 1.5)
    assert period_totals(con, "2026-08") == (1, 1.5)
    row = con.execute(
        "SELECT repository_name, usage_category, tags, source_file, source_format FROM cur_ecr_lines"
    ).fetchall()
    assert row == [
        (
            "team/app",
            "storage",
            {"user_team": "a"},
            "s3://b/x/BILLING_PERIOD=2026-08/a.parquet",
            "cur2",
        )
    ]
    files = con.execute("SELECT files FROM billing_loads").fetchall()
    assert files == [(["s3://b/x/BILLING_PERIOD=2026-08/a.parquet"],)]


def test_load_extracted_keeps_the_loads_checks(con, tmp_path):
    """A misfiled line, a non-finite cost and a period from two folders are refused in one
    line naming the file, and the warehouse keeps what it held."""
    good = _staged(
        tmp_path, [("2026-07", "2026-07-03 00:00:00", "2", "/bill/07/a.parquet")], "good.parquet"
    )
    load_extracted(con, "x", [Extracted("2026-07", "cur2", [good], "x", "2026-07")])
    misfiled = _staged(
        tmp_path,
        [
            ("2026-08", "2026-08-03 00:00:00", "1", "/bill/08/a.parquet"),
            ("2026-07", "2026-07-31 00:00:00", "1", "/bill/08/a.parquet"),
        ],
        "misfiled.parquet",
    )
    nan = _staged(
        tmp_path, [("2026-08", "2026-08-03 00:00:00", "'NaN'", "/bill/08/b.parquet")], "nan.parquet"
    )
    two = _staged(
        tmp_path,
        [
            (
                "2026-08",
                "2026-08-03 00:00:00",
                "1",
                "s3://b/exp/data/BILLING_PERIOD=2026-08/e1/a.parquet",
            ),
            (
                "2026-08",
                "2026-08-04 00:00:00",
                "1",
                "s3://b/exp/data/BILLING_PERIOD=2026-08/e2/a.parquet",
            ),
        ],
        "two.parquet",
    )
    cases = [
        (
            Extracted("2026-08", "cur2", [misfiled], "x", "2026-08"),
            "/bill/08/a.parquet: 1 ECR line(s) of billing period 2026-07 in the folder of 2026-08",
        ),
        (
            Extracted("2026-08", "cur2", [nan], "x", None),
            "/bill/08/b.parquet: column line_item_unblended_cost is not a finite number",
        ),
        (
            Extracted("2026-08", "cur2", [two], "x", None),
            "billing period 2026-08 is in files of 2 folders",
        ),
    ]
    for extracted, message in cases:
        with pytest.raises(UserError, match=re.escape(message)):
            load_extracted(
                con, "x", [Extracted("2026-07", "cur2", [good], "x", "2026-07"), extracted]
            )
        assert period_totals(con, "2026-08") == (0, 0.0)
        assert period_totals(con, "2026-07") == (1, 2.0)


def test_a_period_without_ecr_lines_loads_empty(con):
    result = load_extracted(con, "x", [Extracted("2026-08", "cur2", [], "x", None)])
    assert (result.periods[0].ecr_rows, result.periods[0].ecr_cost) == (0, 0.0)
    assert con.execute("SELECT billing_period FROM loaded_periods").fetchall() == [("2026-08",)]


def test_engine_setting_and_flags(tmp_path, capsys):
    s = load_settings({"engine": "spark", "spark_conf": ["a.b=1", "c=x=y"]}, env={})
    assert (s.engine, s.spark_conf) == ("spark", {"a.b": "1", "c": "x=y"})
    env = load_settings(env={"ECRCOST_ENGINE": "athena", "ECRCOST_SPARK_CONF": "k=v,l=w"})
    assert (env.engine, env.spark_conf) == ("athena", {"k": "v", "l": "w"})
    for args, message in [
        (["--engine", "athena", "--table", "cur.bill"], "--output-location s3://bucket/prefix"),
        (
            ["--engine", "athena", "--table", "bill", "--output-location", "s3://b/p"],
            "pass --database",
        ),
        (["--engine", "athena", "--output-location", "/tmp/x", "--table", "a.b"], "not an s3://"),
        (["--engine", "spark", "--spark-conf", "novalue"], "'novalue' is not KEY=VALUE"),
        (["--table", "cur.bill"], "--table is read by --engine spark or athena"),
    ]:
        assert cli.main(["ingest", "--home", str(tmp_path / "h"), *args]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    (tmp_path / "ecrcost.toml").write_text('engine = "presto"\n')
    assert cli.main(["--config", str(tmp_path / "ecrcost.toml"), "ingest"]) == 2
    assert "setting 'engine' is invalid" in capsys.readouterr().err


def test_iam_policy_allows_the_athena_flow_on_its_workgroup_table_and_results_only():
    settings = replace(
        Settings(),
        engine="athena",
        billing_table="cur_db.cur",
        athena_workgroup="finops",
        athena_output_location="s3://results/ecrcost",
        deliver=("s3://reports/ecr/",),
    )
    by_sid = {s["Sid"]: s for s in policy_document("read", settings)["Statement"]}
    assert by_sid["RunAthenaQueries"]["Resource"] == "arn:aws:athena:*:*:workgroup/finops"
    assert by_sid["ReadBillTableCatalog"]["Resource"] == [
        "arn:aws:glue:*:*:catalog",
        "arn:aws:glue:*:*:database/cur_db",
        "arn:aws:glue:*:*:table/cur_db/cur",
    ]
    assert by_sid["WriteAthenaResults"]["Resource"] == "arn:aws:s3:::results/ecrcost/*"
    assert by_sid["DeliverReports"]["Resource"] == ["arn:aws:s3:::reports/ecr/*"]
    for service, call in [("athena", "StartQueryExecution"), ("athena", "GetQueryExecution"),
                          ("athena", "StopQueryExecution"), ("glue", "GetTable")]:  # fmt: skip
        assert iam_action(service, call) in {a for s in by_sid.values() for a in s["Action"]}
    plain = policy_document("read", Settings())  # the default engine: none of them
    assert not {"RunAthenaQueries", "DeliverReports"} & {s["Sid"] for s in plain["Statement"]}
    assert not any("athena" in line for line in left_out("read", Settings()))
