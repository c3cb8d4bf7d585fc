"""The report and `ecrcost costs --output json` never disagree: one definition each of a
line's repository, of unattributed spend and of a loaded period (docs/report.md, "One answer
everywhere"), for every month of the sample organisation and for odd months built by hand."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fixtures_marts import line

from ecrcost import warehouse
from ecrcost.billing import ingest
from ecrcost.billing.groups import replace_line_groups
from ecrcost.cli import main
from ecrcost.inventory.model import Snapshot
from ecrcost.inventory.store import store_snapshot
from ecrcost.periods import shift_period
from ecrcost.reports import prepare_report
from ecrcost.reports.sections import build_context, build_sections
from ecrcost.sample import generate
from ecrcost.settings import load_settings


def costs_json(home: Path, period: str, *more: str) -> dict[str, Any]:
    """What `ecrcost costs --output json` prints."""
    argv = ["costs", "--period", period, "--output", "json", "--home", str(home), *more]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(argv) == 0
    return json.loads(buf.getvalue())


def report_sections(home: Path, settings, period: str) -> dict[str, Any]:
    compare = shift_period(period, -1)
    with warehouse.opened(settings.warehouse_path) as con:
        prepare_report(con, settings, period, compare)
        ctx = build_context(con, settings, period, compare)
        return {s.key: s for s in build_sections(ctx)}


def figure(section, label: str) -> Any:
    (value,) = [f.value for f in section.figures if f.label == label]
    return value


def table(section, name: str) -> list[dict[str, Any]]:
    (rows,) = [t.rows for t in section.tables if t.name == name]
    return rows


def assert_agree(home: Path, settings, period: str, tag_key: str | None = "team") -> dict:
    """Every figure the report shows of `period` equals the one `costs` prints."""
    view = costs_json(home, period)
    sections = report_sections(home, settings, period)
    head, trend, quality = sections["headline"], sections["trend"], sections["data_quality"]
    assert head.available and trend.available and quality.available
    assert figure(head, f"ECR spend {period}") == view["total_cost"]
    assert figure(head, "repositories billed") == len(view["rows"])
    by_class = dict(view["unattributed_by_charge_class"])
    usage_unattributed = by_class.pop("usage", 0.0)
    (spend,) = [r for r in table(head, "headline") if r["period"] == period]
    gross = spend["usage_cost"]
    # Gross usage = the repositories' gross usage + the unattributed usage (to the digit the
    # DECIMAL sums keep: both sides are sums of the same DECIMAL(38,12) values).
    rows_gross = sum(r["gross_cost"] for r in view["rows"])
    assert round(gross, 9) == round(rows_gross + usage_unattributed, 9)
    assert round(spend["adjustments"], 9) == round(view["total_cost"] - gross, 9)
    assert figure(quality, "adjustments without a repository") == sum(by_class.values())
    share = figure(quality, "usage without a repository")
    assert share == (usage_unattributed / gross if gross else None)
    assert sum(r["cost"] for r in table(quality, "unattributed")) == pytest.approx(
        view["unattributed_cost"], abs=1e-9
    )
    (row,) = [r for r in table(trend, "trend") if r["period"] == period]
    assert row["total_cost"] == view["total_cost"]
    assert not any(period in t for t in trend.text)  # loaded: never under "Not loaded"
    if view["rows"]:
        analysis = sections["analysis"]
        assert figure(analysis, "repositories") == len(view["rows"])
        top = [
            (f"{r['account_id']}:{r['region']}:{r['repository_name']}", r["net_cost"])
            for r in table(analysis, "top_repositories")
        ]
        assert top == [(r["key"], r["cost"]) for r in view["rows"][:10]]
    if tag_key is not None and sections["chargeback"].available:
        tags = costs_json(home, period, "--by", f"tag:{tag_key}")
        values = [
            (v["tag_value"], v["net_cost"], v["storage_cost"], v["data_transfer_cost"])
            for v in table(sections["chargeback"], "tag_chargeback")
            if v["tag_key"] == tags["tag_key"]
        ]
        assert sorted(values) == sorted(
            (r["key"], r["cost"], r["storage_cost"], r["data_transfer_cost"]) for r in tags["rows"]
        )
        (cov,) = [
            c for c in table(sections["chargeback"], "tag_coverage") if c["tag_key"] == tag_key
        ]
        assert cov["unattributed_cost"] == tags["unattributed_cost"]
        assert cov["untagged_cost"] == tags["untagged_cost"]
    return {"view": view, "sections": sections}


# --- the sample organisation -------------------------------------------------------------


@pytest.mark.slow
def test_report_equals_costs_for_every_sample_month(tmp_path):
    sample = tmp_path / "org"
    generate(sample, seed=7, months=3, end="2026-09")
    home = tmp_path / "home"
    settings = load_settings({"home": str(home), "tag_keys": ["team"]}, env={})
    with warehouse.opened(settings.warehouse_path) as con:
        ingest(con, str(sample / "cur2"))
        store_snapshot(con, Snapshot.read(sample / "inventory" / "snapshot.json.gz"))
    (home / "ecrcost.toml").write_text('tag_keys = ["team"]\n')
    checked = []
    for period in ("2026-07", "2026-08", "2026-09"):
        got = assert_agree(home, settings, period)
        assert got["view"]["total_cost"] > 0 and len(got["view"]["rows"]) > 10
        checked.append(period)
    assert checked == ["2026-07", "2026-08", "2026-09"]


# --- odd months, built by hand ----------------------------------------------------------


def _line(period: str, day: int, cost: float, **over: Any) -> dict[str, Any]:
    """One storage line of `period` (test_attribution.line), on `day`."""
    year, month = map(int, period.split("-"))
    fields = {"usage_amount": cost / 0.10, **over}
    return line(
        billing_period=period, usage_start=datetime(year, month, day), unblended_cost=cost, **fields
    )


def _adjustment(day: int, cost: float, kind: str) -> dict[str, Any]:
    """A March line without a resource id or usage (Credit, Tax, ...)."""
    return _line(
        "2026-03",
        day,
        cost,
        usage_category="other",
        line_item_type=kind,
        usage_type=None,
        usage_amount=0.0,
    )


def _load(con, period: str, rows: list[dict[str, Any]]) -> None:
    """The period as ingestion leaves it: its lines, their groups and a billing load."""
    if rows:
        cols = list(rows[0])
        con.executemany(
            f"INSERT INTO cur_ecr_lines ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [[r[c] for c in cols] for r in rows],
        )
    replace_line_groups(con, period)
    total = sum(r["unblended_cost"] for r in rows)
    con.execute(
        "INSERT INTO billing_loads VALUES (?, 'cur2', 'local', [], 'fp', ?, ?, true, NULL, ?)",
        [period, len(rows), total, datetime(2026, 4, 2)],
    )


@pytest.fixture
def odd_home(tmp_path):
    home = tmp_path / "home"
    (home).mkdir()
    (home / "ecrcost.toml").write_text('tag_keys = ["team"]\n')
    settings = load_settings({"home": str(home), "tag_keys": ["team"]}, env={})
    return home, settings


def test_a_loaded_month_without_ecr_lines_is_loaded_everywhere(odd_home):
    home, settings = odd_home
    with warehouse.opened(settings.warehouse_path) as con:
        _load(
            con,
            "2026-02",
            [_line("2026-02", 1, 3.0, repo="a")],
        )
        _load(con, "2026-03", [])
    got = assert_agree(home, settings, "2026-03")
    assert (got["view"]["total_cost"], got["view"]["rows"]) == (0.0, [])
    trend = got["sections"]["trend"]
    assert [t for t in trend.text if t.startswith("Not loaded")] == [
        "Not loaded: 2025-04, 2025-05, 2025-06, 2025-07, 2025-08, 2025-09, 2025-10, 2025-11, "
        "2025-12, 2026-01 (shown as empty)."
    ]
    (row,) = [r for r in table(trend, "trend") if r["period"] == "2026-03"]
    assert (row["total_cost"], row["usage_cost"], row["adjustments"]) == (0.0, 0.0, 0.0)
    head = got["sections"]["headline"]
    assert figure(head, "ECR spend 2026-02") == 3.0
    assert figure(head, "change") == -3.0


def test_resource_ids_that_are_not_arns_are_repositories_everywhere(odd_home):
    home, settings = odd_home
    names = ["api", "web", "batch", "ml", "docs"]
    rows = [
        _line("2026-03", 1 + i, 1.0 + i, resource_id=name, tags={"user_team": "x"})
        for i, name in enumerate(names)
    ]
    with warehouse.opened(settings.warehouse_path) as con:
        _load(con, "2026-03", rows)
    got = assert_agree(home, settings, "2026-03")
    view, quality = got["view"], got["sections"]["data_quality"]
    assert sorted(r["repository_name"] for r in view["rows"]) == sorted(names)
    assert (view["total_cost"], view["unattributed_cost"]) == (15.0, 0.0)
    assert figure(got["sections"]["headline"], "repositories billed") == 5
    assert figure(quality, "usage without a repository") == 0.0
    assert table(quality, "unattributed") == []


def test_a_month_of_only_credits(odd_home):
    home, settings = odd_home
    rows = [_adjustment(5, -2.5, "Credit"), _adjustment(9, -0.25, "Credit")]
    with warehouse.opened(settings.warehouse_path) as con:
        _load(con, "2026-03", rows)
    got = assert_agree(home, settings, "2026-03")
    view, sections = got["view"], got["sections"]
    assert (view["total_cost"], view["unattributed_cost"]) == (-2.75, -2.75)
    assert view["unattributed_by_charge_class"] == {"credit": -2.75}
    (spend,) = table(sections["headline"], "headline")
    assert (spend["usage_cost"], spend["adjustments"]) == (0.0, -2.75)
    assert figure(sections["data_quality"], "usage without a repository") is None
    assert figure(sections["data_quality"], "adjustments without a repository") == -2.75
    assert [
        (r["charge_class"], r["cost"], r["lines"])
        for r in table(sections["data_quality"], "unattributed")
    ] == [("credit", -2.75, 2)]


def test_one_day_of_data(odd_home):
    home, settings = odd_home
    web = {"repo": "team/api", "tags": {"user_team": "web"}}
    rows = [
        _line("2026-03", 14, 0.4, **web),
        _line(
            "2026-03",
            14,
            0.09,
            usage_category="data_transfer",
            usage_type="EU-DataTransfer-Out-Bytes",
            usage_amount=1.0,
            unit="GB",
            **web,
        ),
        _adjustment(14, 0.05, "Tax"),
    ]
    with warehouse.opened(settings.warehouse_path) as con:
        _load(con, "2026-03", rows)
    got = assert_agree(home, settings, "2026-03")
    view, quality = got["view"], got["sections"]["data_quality"]
    assert round(view["total_cost"], 12) == 0.54
    assert [
        (r["repository_name"], round(r["storage_cost"], 12), round(r["data_transfer_cost"], 12))
        for r in view["rows"]
    ] == [("team/api", 0.4, 0.09)]
    assert (
        "The bill covers 1 of 31 days of 2026-03: compare per day, not per month." in quality.text
    )
    tags = costs_json(home, "2026-03", "--by", "tag:team")
    assert [
        (r["key"], round(r["storage_cost"], 12), round(r["data_transfer_cost"], 12))
        for r in tags["rows"]
    ] == [("web", 0.4, 0.09)]


def test_the_headline_says_not_loaded_only_of_periods_not_loaded(odd_home):
    home, settings = odd_home
    with warehouse.opened(settings.warehouse_path) as con:
        _load(con, "2026-03", [])
    sections = report_sections(home, settings, "2026-03")
    assert sections["headline"].text == [
        "Realized savings: no action judged against the bill in the 12 months to 2026-03 "
        "(see Realized savings).",
        "No billing data for 2026-02 is loaded to compare with.",
    ]
    assert figure(sections["headline"], "ECR spend 2026-03") == 0.0
