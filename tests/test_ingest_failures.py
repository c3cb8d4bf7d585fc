"""`ecrcost ingest` failures a user causes: one line each, and Ctrl-C says what was kept (read
back from the warehouse's billing_loads, not from what the run believed)."""

from __future__ import annotations

from contextlib import contextmanager

import boto3
import pytest
from fixtures_billing import upload_tree, write_cur2

from ecrcost import cli, warehouse
from ecrcost.billing import load
from ecrcost.billing.location import S3Location

PERIODS = ("2024-01", "2024-02", "2024-03")
NOTHING_KEPT = (
    "ecrcost: ingest interrupted: no period was loaded; the warehouse holds what it held before\n"
)
ALL_KEPT = (
    "ecrcost: ingest interrupted after its load was committed: 3 period(s) loaded and kept "
    "(2024-01, 2024-02, 2024-03)\n"
)


@pytest.fixture
def three_periods(tmp_path):
    for period in PERIODS:
        write_cur2(tmp_path / "exports", period)
    return str(tmp_path / "exports" / "cur2")


def _loads(home) -> list[tuple]:
    with warehouse.opened(home / "warehouse.duckdb", read_only=True) as con:
        return con.execute(
            "SELECT billing_period, ecr_rows FROM billing_loads ORDER BY 1"
        ).fetchall()


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def _ingest(location, home) -> int:
    return cli.main(["ingest", "--cur", location, "--home", str(home)])


def test_interrupt_before_any_period(three_periods, home, capsys, monkeypatch):
    monkeypatch.setattr(load, "_inspect", _interrupt)
    assert _ingest(three_periods, home) == 130
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", NOTHING_KEPT)
    assert _loads(home) == []


def test_interrupt_between_periods_keeps_nothing_of_the_run(
    three_periods, home, capsys, monkeypatch
):
    # An earlier load of 2024-01 stays as it was: the run's periods land in one transaction.
    write_cur2(home.parent / "earlier", "2024-01", scale=2.0)
    assert _ingest(str(home.parent / "earlier" / "cur2"), home) == 0
    before = _loads(home)
    capsys.readouterr()
    real = load._replace
    calls = []

    def second_fails(*args):
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(load, "_replace", second_fails)
    assert _ingest(three_periods, home) == 130
    assert capsys.readouterr().err == NOTHING_KEPT
    assert len(calls) == 2 and _loads(home) == before == [("2024-01", 3)]


def test_interrupt_during_commit_reports_what_landed(three_periods, home, capsys, monkeypatch):
    real = load.transaction

    @contextmanager
    def commit_then_interrupt(con):
        with real(con):
            yield con
        raise KeyboardInterrupt  # Ctrl-C arriving as COMMIT returns

    monkeypatch.setattr(load, "transaction", commit_then_interrupt)
    assert _ingest(three_periods, home) == 130
    assert capsys.readouterr().err == ALL_KEPT
    assert _loads(home) == [(p, 3) for p in PERIODS]


def test_interrupt_after_the_last_commit(three_periods, home, capsys, monkeypatch):
    monkeypatch.setattr(load, "IngestResult", _interrupt)
    assert _ingest(three_periods, home) == 130
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", ALL_KEPT)
    assert _loads(home) == [(p, 3) for p in PERIODS]


# ---- AWS set-up mistakes for an s3:// location -------------------------------------------


@pytest.fixture
def bucket(moto_reset, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_reset)
    write_cur2(tmp_path / "up", "2024-01")
    upload_tree(tmp_path / "up", "billing")
    return "s3://billing/cur2"


def test_s3_location_without_credentials_is_one_line(bucket, home, capsys, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert _ingest(bucket, home) == 2
    assert capsys.readouterr().err == (
        "ecrcost: no AWS credentials found: configure a profile (--profile), SSO "
        "(`aws sso login`), environment variables or an instance role\n"
    )
    assert _loads(home) == []


def test_s3_location_with_an_unknown_profile_is_one_line(bucket, home, capsys):
    argv = ["ingest", "--cur", bucket, "--home", str(home), "--profile", "nope"]
    assert cli.main(argv) == 2
    assert capsys.readouterr().err == (
        "ecrcost: AWS profile 'nope' not found in the AWS config files: check --profile / "
        "AWS_PROFILE (`aws configure list-profiles` lists them)\n"
    )


def test_s3_object_gone_before_its_download_is_one_line(bucket, home, capsys, monkeypatch):
    key = "cur2/data/BILLING_PERIOD=2024-01/cur2-00001.snappy.parquet"
    real = S3Location.entries

    def listed_then_deleted(self):
        out = real(self)
        boto3.client("s3").delete_object(Bucket="billing", Key=key)
        return out

    monkeypatch.setattr(S3Location, "entries", listed_then_deleted)
    assert _ingest(bucket, home) == 2
    assert capsys.readouterr().err == f"ecrcost: s3://billing/{key}: cannot download: 404\n"
    assert _loads(home) == []
