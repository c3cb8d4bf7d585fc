"""Which period `costs` and `report` show without --period: the last closed month when it is
loaded, else the newest loaded month (said on stderr with every loaded month); an explicit
period that is not loaded is refused naming the loaded ones. "Loaded" is the view
loaded_periods: a month whose billing load holds no ECR line counts."""

from __future__ import annotations

import json

import pytest
from fixtures_marts import add_lines, line

from ecrcost import sqlfiles, warehouse
from ecrcost.cli import main
from ecrcost.periods import Period


@pytest.fixture
def two_months(home, monkeypatch):
    """January 2026 with $6 of one repository, February 2026 loaded with no ECR line ($0),
    and the last closed month (March 2026) not loaded."""
    monkeypatch.setattr(Period, "last_closed", classmethod(lambda cls, now=None: Period(2026, 3)))
    con = warehouse.connect(home / "warehouse.duckdb")
    add_lines(con, [line(repo="team/api", unblended_cost=6.0)])
    sqlfiles.run(
        con,
        "billing/insert_billing_load",
        {
            "period": "2026-02",
            "source_format": "cur2",
            "location": "s3://bills/exp",
            "files": ["s3://bills/exp/data/BILLING_PERIOD=2026-02/exp-00001.snappy.parquet"],
            "fingerprint": "fp",
            "ecr_rows": 0,
            "source_ecr_cost": 0.0,
            "complete": True,
            "notes": None,
        },
    )
    con.close()
    return home


def test_costs_falls_back_to_the_newest_loaded_month_and_names_every_loaded_one(two_months, capsys):
    assert main(["costs", "-o", "json", "--home", str(two_months)]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    # February is loaded with $0 of ECR spend: it is the newest loaded month, not "nothing".
    assert (doc["period"], doc["total_cost"], doc["rows"]) == ("2026-02", 0.0, [])
    assert err == (
        "note: --period not given: the last closed month, 2026-03, is not loaded; "
        "using the newest loaded month, 2026-02 (loaded: 2026-01, 2026-02)\n"
    )


def test_costs_uses_the_last_closed_month_when_it_is_loaded(two_months, capsys, monkeypatch):
    monkeypatch.setattr(Period, "last_closed", classmethod(lambda cls, now=None: Period(2026, 1)))
    assert main(["costs", "-o", "json", "--home", str(two_months)]) == 0
    out, err = capsys.readouterr()
    assert (json.loads(out)["period"], json.loads(out)["total_cost"]) == ("2026-01", 6.0)
    assert err == "note: --period not given: using the last closed month, 2026-01\n"


def test_an_explicit_period_that_is_not_loaded_lists_the_loaded_ones(two_months, capsys):
    assert main(["costs", "--period", "2025-12", "--home", str(two_months)]) == 2
    out, err = capsys.readouterr()
    path = two_months / "warehouse.duckdb"
    assert out == ""
    assert err == (
        f"ecrcost: --period 2025-12: no billing data for it in {path} (loaded: 2026-01, "
        "2026-02); load its bill first (ecrcost ingest --cur LOCATION) or pick a loaded period\n"
    )
    assert main(["report", "--period", "2026-03", "--home", str(two_months)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--period 2026-03: no billing data" in err
    assert "(loaded: 2026-01, 2026-02)" in err
    assert not (two_months / "reports").exists()


def test_nothing_loaded_is_one_line_exit_2(home, capsys):
    warehouse.connect(home / "warehouse.duckdb").close()
    path = home / "warehouse.duckdb"
    for command in ("costs", "report"):
        assert main([command, "--home", str(home)]) == 2
        assert capsys.readouterr().err == (
            f"ecrcost: {path}: no billing period is loaded; load a bill first "
            "(ecrcost ingest --cur LOCATION)\n"
        )
    assert main(["costs", "--period", "2026-01", "--home", str(home)]) == 2
    assert "(no period is loaded)" in capsys.readouterr().err


def test_report_falls_back_to_the_newest_loaded_month(two_months, capsys):
    assert main(["report", "--home", str(two_months)]) == 0
    out, err = capsys.readouterr()
    assert (
        "note: --period not given: the last closed month, 2026-03, is not loaded; "
        "using the newest loaded month, 2026-02 (loaded: 2026-01, 2026-02)\n"
    ) in err
    assert out.splitlines()[0] == str(
        two_months / "reports" / "2026-02" / "ecr-report-2026-02.html"
    )
    # compared with the prior month, January: the report says what it compared with
    md = (two_months / "reports" / "2026-02" / "ecr-report-2026-02.md").read_text()
    assert "2026-01" in md


def test_report_compare_must_precede_the_chosen_period(two_months, capsys):
    assert main(["report", "--compare", "2026-02", "--home", str(two_months)]) == 2
    err = capsys.readouterr().err
    assert err.endswith("ecrcost: --compare 2026-02: must be a period before --period 2026-02\n")
    assert not (two_months / "reports").exists()
