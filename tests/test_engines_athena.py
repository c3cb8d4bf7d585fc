"""The Athena engine's API flow over HTTP against moto's server: the Glue table, the UNLOAD
query (recorded by moto, its state driven through moto's state manager), the download of the
UNLOAD output and the load. Moto runs no SQL: the test plays Athena's part by running the
recorded query's SELECT (parsed as Trino, in DuckDB) on the sample's files and putting its
Parquet at the UNLOAD's TO location. A FAILED query's reason comes from a botocore Stubber with
AWS's documented GetQueryExecution shape (moto never fails a query)."""

from __future__ import annotations

import io
import json
import urllib.request

import boto3
import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest
from botocore.stub import Stubber
from fixtures_engines import agree_rows, athena_view, run_trino, unload_parts
from moto.athena.models import athena_backends

from ecrcost import cli, warehouse
from ecrcost.billing import athena
from ecrcost.billing.athena import AthenaTable, run_query, scan_cost
from ecrcost.errors import UserError
from ecrcost.orchestration import assets
from ecrcost.orchestration.resources import EcrcostResource

ACCOUNT, REGION = "123456789012", "us-east-1"  # moto's default account
RESULTS = "s3://athena-results/ecrcost"
FLAGS = ["--engine", "athena", "--table", "cur.bill", "--output-location", RESULTS]


def _moto_api(server: str, path: str, body: dict) -> None:
    request = urllib.request.Request(
        f"{server}/moto-api/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).read()


@pytest.fixture
def athena_env(moto_reset, monkeypatch, sample_org):
    """moto on AWS_ENDPOINT_URL with the results bucket and the Glue table of the sample's
    CUR 2.0 export (columns as Athena's table declares them, partitioned by billing_period);
    each query stays QUEUED, then RUNNING, for two polls each."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_reset)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="athena-results")
    scratch = duckdb.connect()
    scratch.execute("SET TimeZone = 'UTC'")
    columns, partitions = athena_view(scratch, sample_org[0], "cur2")
    glue = boto3.client("glue", region_name=REGION)
    glue.create_database(DatabaseInput={"Name": "cur"})
    glue.create_table(
        DatabaseName="cur",
        TableInput={
            "Name": "bill",
            "StorageDescriptor": {
                "Columns": [
                    {"Name": n, "Type": t} for n, t in columns.items() if n not in partitions
                ],
                "Location": "s3://cur-bucket/exports/ecrcost-cur2/data/",
            },
            "PartitionKeys": [{"Name": p, "Type": "string"} for p in partitions],
        },
    )
    transition = {"progression": "manual", "times": 2}
    _moto_api(
        moto_reset,
        "state-manager/set-transition",
        {"model_name": "athena::execution", "transition": transition},
    )
    yield scratch, s3
    _moto_api(moto_reset, "state-manager/unset-transition", {"model_name": "athena::execution"})


def _executions():
    return list(athena_backends[ACCOUNT][REGION].executions.values())


def _play_athena(scratch, s3):
    """A `pause` that, while a query waits, does Athena's work for it once: the UNLOAD's
    SELECT run on the sample's files, its Parquet put at the TO location as Athena names it."""
    done = set()

    def pause(seconds):
        for execution in _executions():
            if execution.id in done or execution.status == "CANCELLED":
                continue
            select, target = unload_parts(execution.query)
            bucket, _, prefix = target[len("s3://") :].partition("/")
            buf = io.BytesIO()
            pq.write_table(run_trino(scratch, select), buf)
            key = f"{prefix}20261201_120000_00001_abcde_{execution.id}"  # no extension
            s3.put_object(Bucket=bucket, Key=key, Body=buf.getvalue())
            done.add(execution.id)

    return pause


def test_ingest_engine_athena(athena_env, monkeypatch, sample_org, tmp_path, capsys):
    scratch, s3 = athena_env
    monkeypatch.setattr(athena, "pause", _play_athena(scratch, s3))
    root = sample_org[0] / "cur2"
    assert cli.main(["ingest", "--cur", str(root), "--home", str(tmp_path / "a")]) == 0
    default_out = capsys.readouterr().out
    periods = ["--period", "2026-08", "--period", "2026-09"]
    assert cli.main(["ingest", *FLAGS, *periods, "--home", str(tmp_path / "b")]) == 0
    out, err = capsys.readouterr()
    assert out == default_out
    executions = sorted(_executions(), key=lambda e: e.start_time)
    assert len(executions) == 2
    for execution, period in zip(executions, ["2026-08", "2026-09"], strict=True):
        assert execution.query.startswith("UNLOAD (\nSELECT")
        assert f"\"billing_period\" IN ('{period}')" in execution.query  # only its partition
        assert f"TO '{RESULTS}/ecrcost-unload/{period}/" in execution.query
        assert execution.workgroup.name == "primary"
        assert execution.context == {"Database": "cur"}
        assert execution.config["OutputLocation"].startswith(f"{RESULTS}/")
        assert execution.status == "SUCCEEDED"
        # moto reports 0 bytes scanned: Athena bills its 10 MB minimum
        assert (
            f"athena: {period}: Athena query {execution.id} scanned 0 B, $0.000048 at $5/TB"
            " (10 MB minimum)" in err
        )
    assert "athena: scanned 0 B in all, $0.000095" in err
    figures = []
    for home in ("a", "b"):
        with warehouse.opened(tmp_path / home / "warehouse.duckdb", read_only=True) as con:
            figures.append(agree_rows(con))
            location = con.execute("SELECT DISTINCT location FROM billing_loads").fetchall()
    assert figures[0] == figures[1] and len(figures[0]) > 100
    assert location == [("athena:cur.bill",)]


def test_athena_timeout_stops_the_query(athena_env, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(athena, "pause", lambda seconds: None)
    monkeypatch.setenv("ECRCOST_ATHENA_TIMEOUT", "0.000001")
    code = cli.main(["ingest", *FLAGS, "--period", "2026-08", "--home", str(tmp_path / "h")])
    err = capsys.readouterr().err
    [execution] = _executions()
    assert code == 2
    assert (
        f"table cur.bill: Athena query {execution.id} still QUEUED after 0 s (athena_timeout);"
        " stopped it" in err
    )
    assert execution.status == "CANCELLED"  # StopQueryExecution reached moto
    with warehouse.opened(tmp_path / "h" / "warehouse.duckdb", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM billing_loads").fetchall() == [(0,)]


def test_athena_ctrl_c_stops_the_query(athena_env, monkeypatch, tmp_path, capsys):
    def interrupt(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(athena, "pause", interrupt)
    code = cli.main(["ingest", *FLAGS, "--period", "2026-08", "--home", str(tmp_path / "h")])
    err = capsys.readouterr().err
    [execution] = _executions()
    assert code == 130
    assert "ingest interrupted: no period was loaded" in err
    assert execution.status == "CANCELLED"


def test_athena_table_missing_from_glue(athena_env, tmp_path, capsys):
    args = ["ingest", "--engine", "athena", "--table", "cur.nope", "--output-location", RESULTS]
    assert cli.main([*args, "--home", str(tmp_path / "h")]) == 2
    err = capsys.readouterr().err
    assert "--table cur.nope: cannot read it from Glue: EntityNotFoundException" in err
    assert "Traceback" not in err and _executions() == []


def _stubbed(state: dict) -> tuple:
    client = boto3.client("athena", region_name=REGION)
    stub = Stubber(client)
    stub.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
    stub.add_response(
        "get_query_execution",
        {"QueryExecution": {"QueryExecutionId": "q-1", "Status": state}},
        {"QueryExecutionId": "q-1"},
    )
    return client, stub


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (
            {
                "State": "FAILED",
                "StateChangeReason": "HIVE_BAD_DATA: Field line_item_unblended_cost's type",
                "AthenaError": {"ErrorCategory": 2, "ErrorType": 1301, "Retryable": False},
            },
            "Athena query q-1 FAILED: HIVE_BAD_DATA: Field line_item_unblended_cost's type",
        ),
        (
            {"State": "CANCELLED", "AthenaError": {"ErrorCategory": 2, "ErrorMessage": "by user"}},
            "Athena query q-1 CANCELLED: by user",
        ),
    ],
)
def test_athena_failure_states(state, reason):
    client, stub = _stubbed(state)
    t = AthenaTable("cur", "bill", "primary", RESULTS)
    with stub, pytest.raises(UserError, match=reason) as raised:
        run_query(client, "UNLOAD (SELECT 1) TO 's3://x/'", t, 60, "table cur.bill")
    assert str(raised.value).startswith("table cur.bill: ")
    stub.assert_no_pending_responses()


def test_scan_cost():
    mb, tb = 1 << 20, 1 << 40
    assert scan_cost(0) == scan_cost(10 * mb) == 10 * mb * 5 / tb  # the 10 MB minimum
    assert scan_cost(10 * mb + 1) == 11 * mb * 5 / tb  # rounded up to the next MB
    assert scan_cost(tb) == 5.0


def test_dagster_asset_says_which_engine_ran_and_what_it_scanned(athena_env, monkeypatch, tmp_path):
    """The engine is a setting (ECRCOST_ENGINE ...); the asset is unchanged; its metadata name
    the engine, the table and what Athena scanned and billed."""
    scratch, s3 = athena_env
    monkeypatch.setattr(athena, "pause", _play_athena(scratch, s3))
    for key, value in {
        "ENGINE": "athena",
        "BILLING_TABLE": "cur.bill",
        "ATHENA_OUTPUT_LOCATION": RESULTS,
    }.items():
        monkeypatch.setenv(f"ECRCOST_{key}", value)
    result = dg.materialize(
        [assets.cur_ecr_lines],
        resources={"ecrcost": EcrcostResource(home=str(tmp_path / "h"))},
        partition_key="2026-09",
    )
    [event] = result.asset_materializations_for_node("cur_ecr_lines")
    meta = {k: v.value for k, v in event.metadata.items()}
    assert meta["engine"] == "athena" and meta["source"] == "athena:cur.bill"
    assert meta["scanned_bytes"] == 0 and meta["scan_cost"] == pytest.approx(scan_cost(0))
    assert (meta["ecr_rows"], meta["ecr_cost"]) == (49486, 62.39)
