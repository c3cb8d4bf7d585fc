"""Safe to open anywhere: every CSV ecrcost writes neutralises formula-like cells (one rule,
`ecrcost.fmt.csv_value`), Markdown cannot carry a live link or image, and the warehouse and the
backups folder are the owner's only."""

from __future__ import annotations

import csv
import io
import stat
from datetime import date, datetime
from decimal import Decimal

import pytest
from report_data import PERIOD, add_daily_storage

from ecrcost import warehouse
from ecrcost.actions.backup import BackupSet
from ecrcost.attribution import build_marts
from ecrcost.cli import main
from ecrcost.fmt import csv_value
from ecrcost.inventory.output import playbook_csv, snapshot_rows
from ecrcost.inventory.snapshots import SnapshotInfo
from ecrcost.inventory.store import RepositorySize
from ecrcost.prices import PriceTable
from ecrcost.reports import render_report
from ecrcost.reports.render import md_cell

FORMULAS = ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "\nx", "\0x"]


def test_csv_value_neutralises_every_formula_start():
    for text in FORMULAS:
        assert csv_value(text) == "'" + text
    # Plain text, numbers (a negative float is a number, not text) and flags are left alone.
    assert csv_value("team=web") == "team=web"
    assert csv_value(-2.5) == "-2.5"
    assert csv_value(-3) == -3
    assert csv_value(True) == "true"
    # exact money: a negative Decimal (a cost that rose) is a number with every digit
    assert csv_value(Decimal("-1.250000000000")) == "-1.250000000000"
    assert csv_value(Decimal("1E-12")) == "0.000000000001"


def test_md_cell_escapes_links_images_and_emphasis():
    assert md_cell("![x](http://e.test/a.png)") == "\\!\\[x\\]\\(http://e.test/a.png\\)"
    assert md_cell("[click](javascript:x)") == "\\[click\\]\\(javascript:x\\)"
    assert md_cell("*bold* _it_ `code`") == "\\*bold\\* \\_it\\_ \\`code\\`"
    assert md_cell("a|b\\c") == "a\\|b\\\\c"
    assert md_cell("<img src=x>") == "&lt;img src=x&gt;"


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_inventory_csv_and_detailed_neutralise_cells():
    size = RepositorySize(
        "snap", "111111111111", "us-east-1", "app", True, 2, 1, 0, 1024**2, 1024**2,
        0, "estimated", 0.1,
    )  # fmt: skip
    details = {("111111111111", "us-east-1", "app"): {"has_policy": True, "tags": "=1+1"}}
    (_, row) = _rows(playbook_csv([size], PriceTable(), details))
    assert row[14] == "'=1+1"
    info = SnapshotInfo(
        "s1", datetime(2026, 4, 2), "@evil", False, ("111111111111",), ("us-east-1",), 1, 2, "complete",
        ("-x",),
    )  # fmt: skip
    (_, row) = _rows(snapshot_rows([info], "csv"))
    assert row[2] == "'@evil" and row[8] == "'-x"


@pytest.fixture
def formula_home(home):
    """A warehouse whose only repository carries the tag value `=1+1`."""
    con = warehouse.connect(home / "warehouse.duckdb")
    add_daily_storage(
        con,
        "team/api",
        date(2026, 3, 1),
        date(2026, 3, 31),
        lambda d: 1.0,
        tags={"user:team": "=1+1"},
    )
    con.close()
    return home


def test_costs_csv_neutralises_tag_values(formula_home, capsys):
    argv = ["costs", "--home", str(formula_home), "--period", PERIOD, "--by", "tag:team"]
    assert main([*argv, "-o", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["key"], r["cost"]) for r in rows] == [("'=1+1", "31")]


def test_report_csvs_neutralise_tag_values(formula_home, settings, tmp_path):
    con = warehouse.connect(formula_home / "warehouse.duckdb")
    try:
        build_marts(con, settings, PERIOD)
        from_report = render_report(con, settings, PERIOD, out_dir=tmp_path / "out")
    finally:
        con.close()
    everything = "\n".join(p.read_text() for p in from_report.csv)
    assert "'=1+1" in everything
    for path in from_report.csv:
        for row in csv.reader(path.open(newline="")):
            assert not any(cell.startswith("=") for cell in row), (path.name, row)


def test_warehouse_file_is_owner_only(tmp_path):
    path = tmp_path / "home" / "warehouse.duckdb"
    warehouse.connect(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_backups_folder_is_owner_only(tmp_path):
    backups = tmp_path / "home" / "backups"
    backup = BackupSet.create(backups, "apply-20260402T000000Z-0001", "apply")
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    assert stat.S_IMODE(backup.root.stat().st_mode) == 0o700
