"""The monthly report: its numbers equal the warehouse's, user text is escaped, missing sources
say so. Built on a hand-made warehouse (and the sample organisation when it is present)."""

from __future__ import annotations

import argparse
import csv
import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from report_data import (
    KEEP_20,
    PERIOD,
    PIPE_TAG,
    SCRIPT,
    add_daily_storage,
    add_snapshot,
    build_warehouse,
)

from ecrcost import fmt as formats
from ecrcost import warehouse
from ecrcost.attribution.forecast import forecast, trend_periods
from ecrcost.cli import main
from ecrcost.errors import UserError
from ecrcost.inventory.model import Snapshot
from ecrcost.inventory.store import store_snapshot
from ecrcost.lifecycle.plan import plan_policy
from ecrcost.periods import Period
from ecrcost.reports import cli as report_cli
from ecrcost.reports import render_report
from ecrcost.reports.render import fmt, md_cell
from ecrcost.reports.sections import Column, Table, last_months, policy_bound
from ecrcost.resources import base_policy_path
from ecrcost.settings import Settings, load_settings


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A three-month warehouse with marts, an inventory snapshot, an action and the report."""
    tmp = tmp_path_factory.mktemp("report")
    settings = Settings(home=tmp / "home")
    con = warehouse.connect(":memory:")
    build_warehouse(con, settings)
    files = render_report(con, settings, PERIOD)
    yield con, settings, files
    con.close()


def _csv(files, name: str) -> list[dict[str, str]]:
    (path,) = [p for p in files.csv if p.name == f"{name}.csv"]
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_files_written_where_expected(built):
    _, settings, files = built
    assert files.out_dir == settings.home / "reports" / PERIOD
    assert files.html.name == f"ecr-report-{PERIOD}.html" and files.html.is_file()
    assert files.md.is_file()
    names = {p.name for p in files.csv}
    assert {
        "trend.csv",
        "top_repositories.csv",
        "tag_chargeback.csv",
        "realized_savings.csv",
        "predictability.csv",
        "movers.csv",
        "figures.csv",
    } <= names


def test_trend_and_headline_equal_the_bill(built):
    con, _, files = built
    bill = dict(
        con.execute(
            "SELECT billing_period, sum(unblended_cost) FROM cur_ecr_lines GROUP BY 1"
        ).fetchall()
    )
    trend = {r["period"]: r for r in _csv(files, "trend")}
    assert len(trend) == 12 and list(trend)[-1] == PERIOD
    for period, total in bill.items():
        assert float(trend[period]["total_cost"]) == pytest.approx(total, abs=1e-9)
    assert trend["2025-12"]["total_cost"] == ""  # not loaded: empty, not zero
    figures = {(r["section"], r["figure"]): r["value"] for r in _csv(files, "figures")}
    change = float(figures[("headline", "change")])
    assert change == pytest.approx(bill[PERIOD] - bill["2026-02"], abs=1e-9)


def test_top_repositories_equal_repository_costs(built):
    con, _, files = built
    expected = con.execute(
        "SELECT repository_name, net_cost FROM repository_costs WHERE billing_period = $p"
        " ORDER BY net_cost DESC",
        {"p": PERIOD},
    ).fetchall()
    got = [(r["repository_name"], float(r["net_cost"])) for r in _csv(files, "top_repositories")]
    assert got == [(n, pytest.approx(c, abs=1e-9)) for n, c in expected]
    # and the bill's own storage sums agree for the costliest
    (api,) = con.execute(
        "SELECT sum(unblended_cost) FROM cur_ecr_lines WHERE billing_period = $p"
        " AND repository_name = 'team/api'",
        {"p": PERIOD},
    ).fetchall()[0]
    assert dict(got)["team/api"] == pytest.approx(api)


def test_chargeback_sums_to_the_period_total(built):
    con, _, files = built
    rows = _csv(files, "tag_chargeback")
    (coverage,) = _csv(files, "tag_coverage")
    values = {r["tag_value"]: float(r["net_cost"]) for r in rows}
    assert set(values) == {SCRIPT, PIPE_TAG, "untagged"}
    (total,) = con.execute(
        "SELECT sum(unblended_cost) FROM cur_ecr_lines WHERE billing_period = $p", {"p": PERIOD}
    ).fetchall()[0]
    assert sum(values.values()) + float(coverage["unattributed_cost"]) == pytest.approx(total)
    assert values["untagged"] == pytest.approx(0.5 * 31)
    # One denominator: coverage and the untagged share are both of gross usage.
    untagged_share, coverage_share = float(coverage["untagged_share"]), float(coverage["coverage"])
    assert untagged_share + coverage_share == pytest.approx(1.0)
    untagged_row = next(r for r in rows if r["tag_value"] == "untagged")
    assert untagged_share == pytest.approx(float(untagged_row["share"]))


def test_realized_savings_in_the_report(built):
    con, _, files = built
    (row,) = _csv(files, "realized_savings")
    (stored,) = con.execute(
        "SELECT realized_monthly_savings_usd, verdict FROM realized_savings"
        " WHERE billing_period = $p",
        {"p": PERIOD},
    ).fetchall()
    assert float(row["realized_monthly_savings_usd"]) == pytest.approx(float(stored[0]))
    assert row["verdict_label"] == "realized" and stored[1] == "realized"
    html = files.html.read_text()
    assert 'data-chart="realized_savings"' in html


def test_predictability_bound_and_ceiling(built):
    _, _, files = built
    rows = {r["repository_name"]: r for r in _csv(files, "predictability")}
    api = rows["team/api"]
    assert api["image_bound"] == "20" and api["policy"].startswith("at most 20 images")
    assert float(api["monthly_ceiling"]) == pytest.approx(20 * 2 * 0.10)  # 20 x 2 GiB x $0.10
    assert rows["team/web"]["image_bound"] == "" and rows["team/web"]["monthly_ceiling"] == ""
    # untagged/x: 0.5/day in Feb and Mar, nothing in Jan (no line) -> a rising line, 30 days
    points = [(0, 0.0), (1, 0.5), (2, 0.5)]
    slope = 0.25
    mean = sum(y for _, y in points) / 3
    assert float(rows["untagged/x"]["next_month_forecast"]) == pytest.approx(
        (mean + slope * 2) * 30
    )


def test_candidate_policy_equals_the_planner(built):
    con, settings, files = built
    plan = plan_policy(con, settings, base_policy_path().read_text())
    rows = _csv(files, "candidate_policy")
    by_repo = {r.repository_name: r for r in plan.repositories}
    assert rows, "the base policy expires images in the fixture"
    for row in rows:
        planned = by_repo[row["repository_name"]]
        assert float(row["monthly_savings_usd"]) == pytest.approx(planned.monthly_savings_usd)
        assert int(row["expired"]) == planned.expired
    figures = {(r["section"], r["figure"]): r["value"] for r in _csv(files, "figures")}
    total = float(figures[("findings", "candidate policy saves")])
    assert total == pytest.approx(plan.totals["monthly_savings_usd"], abs=1e-6)
    # team/web: 20 untagged (19 beyond the newest go) and 10 v* (the oldest beyond 9 goes)
    assert by_repo["team/web"].expired == 20


def test_long_tables_show_a_limit_but_csv_has_all():
    t = Table("x", "x", [Column("a", "a")], [{"a": i} for i in range(25)], limit=20)
    assert len(t.shown) == 20 and t.hidden == 5


def test_markup_in_tag_values_is_text(built):
    _, _, files = built
    html = files.html.read_text()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()  # the report itself needs no script
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    md = files.md.read_text()
    assert "<script>" not in md and "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in md
    assert "web\\|ops second line" in md  # a pipe cannot break the table, nor a newline
    (line,) = [x for x in md.splitlines() if x.startswith("| team | web")]
    cells = re.split(r"(?<!\\)\|", line)[1:-1]  # split on unescaped pipes only
    assert [c.strip() for c in cells[:2]] == ["team", "web\\|ops second line"]
    assert len(cells) == 9  # the tag_chargeback table's columns (storage, archive, transfer added)


def test_every_chart_present_with_bars(built):
    _, _, files = built
    html = files.html.read_text()
    for name in ("trend", "top_repositories", "chargeback", "realized_savings"):
        m = re.search(rf'<svg class="chart" data-chart="{name}".*?</svg>', html, re.S)
        assert m, name
        assert m.group(0).count('class="bar"') >= 1, name


def test_md_cell_escaping():
    assert md_cell("a|b") == "a\\|b"
    assert md_cell("x\\|y") == "x\\\\\\|y"
    assert md_cell("<b>\r\nz") == "&lt;b&gt; z"


def test_policy_bound():
    assert policy_bound(json.dumps(KEEP_20))[0] == 20
    untagged_only = {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "imageCountMoreThan",
                    "countNumber": 1,
                },
                "action": {"type": "expire"},
            }
        ]
    }
    assert policy_bound(json.dumps(untagged_only)) == (None, "no catch-all count rule: unbounded")
    assert policy_bound(None)[0] is None
    assert policy_bound("{not json")[1] == "policy unreadable"


def test_policy_bound_reads_only_catch_all_expire_rules():
    def policy(*rules):
        return json.dumps(
            {
                "rules": [
                    {"rulePriority": i + 1, "selection": sel, "action": {"type": "expire"}}
                    for i, sel in enumerate(rules)
                ]
            }
        )

    by_age = {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days"}
    assert policy_bound(policy({**by_age, "countNumber": 30})) == (
        None,
        "images expire after 30 days: size follows the push rate",
    )
    prefixed = {
        "tagStatus": "tagged",
        "tagPrefixList": ["v"],
        "countType": "imageCountMoreThan",
        "countNumber": 5,
    }
    catch_all = {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 40}
    assert policy_bound(policy(prefixed, catch_all)) == (
        40,
        "at most 40 images (catch-all count rule)",
    )
    # What PutLifecyclePolicy would refuse is not a bound either (one reader: lifecycle.policy).
    assert policy_bound(json.dumps({"rules": []}).ljust(120)) == (None, "policy unreadable")


def test_report_cells_use_the_one_format_per_kind():
    assert fmt(1234.5, "money") == "$1,234.50"
    assert fmt(-3.1, "money") == "-$3.10"
    assert fmt(0.12345, "money4") == "$0.1235"
    assert fmt(2.5, "signed_money") == "+$2.50"
    assert fmt(-2.5, "signed_money") == "-$2.50"
    assert fmt(0.123, "pct") == "12.3%"
    assert fmt(-0.05, "signed_pct") == "-5.0%"
    assert fmt(0.05, "signed_pct") == "+5.0%"
    assert fmt(1536, "bytes") == "1.5 KiB"
    assert fmt(3 * 1024**4 * 1024, "bytes") == "3,072.0 TiB"
    assert fmt(512, "bytes") == "512 B"
    assert fmt(None, "money") == "–"
    assert fmt(date(2026, 3, 9), "date") == "2026-03-09"
    assert fmt(True) == "yes"
    assert formats.utc_minute(datetime(2026, 4, 2, 6, 5)) == "2026-04-02 06:05 UTC"
    assert formats.share(0.125, places=0) == "12%"


def test_month_arithmetic_crosses_years():
    assert last_months("2026-02", 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert trend_periods("2026-01") == ["2025-11", "2025-12", "2026-01"]


def test_forecast_is_a_line_through_the_daily_costs():
    periods = ["2026-01", "2026-02", "2026-03"]
    covered = {"2026-01": 31, "2026-02": 28, "2026-03": 31}
    costs = {"2026-01": 31.0, "2026-02": 56.0, "2026-03": 93.0}  # $1, $2, $3 a day
    assert forecast(costs, periods, covered, 30) == pytest.approx(4.0 * 30)
    # Only the covered months count; one point is flat; a falling line stops at zero.
    assert forecast(costs, periods, {"2026-03": 31}, 30) == pytest.approx(3.0 * 30)
    falling = {"2026-01": 93.0, "2026-02": 28.0, "2026-03": 0.0}
    assert forecast(falling, periods, covered, 30) == 0.0
    assert forecast({}, periods, covered, 30) is None


def test_missing_sources_say_not_available(con, settings, tmp_path):
    add_daily_storage(con, "team/api", date(2026, 3, 1), date(2026, 3, 31), lambda d: 1.0)
    files = render_report(con, settings, PERIOD, out_dir=tmp_path / "out")
    html = files.html.read_text()
    assert "Not available: the attribution marts of 2026-03 are not built" in html
    assert "Not available: the warehouse holds no inventory snapshot" in html
    assert "No action was recorded between 2025-04-01 and the end of 2026-03" in html
    assert "Candidate policy" not in html  # no snapshot: the whole section says why
    assert "No billing load is recorded for 2026-03" in html
    trend = {r["period"]: r["total_cost"] for r in _csv(files, "trend")}
    assert float(trend[PERIOD]) == pytest.approx(31.0)


def test_incomplete_period_is_flagged(con, settings, tmp_path):
    add_daily_storage(con, "team/api", date(2026, 3, 1), date(2026, 3, 20), lambda d: 1.0)
    con.execute(
        "INSERT INTO billing_loads VALUES ('2026-03', 'cur-legacy-parquet', '/bill', [], 'f', 20,"
        " 20.0, false, 'status UPDATING', TIMESTAMP '2026-03-21 06:00:00')"
    )
    files = render_report(con, settings, PERIOD, out_dir=tmp_path / "out")
    md = files.md.read_text()
    assert "2026-03 is INCOMPLETE" in md
    assert "The bill covers 20 of 31 days of 2026-03" in md


@pytest.fixture
def billed_home(home):
    """A home whose warehouse holds February and March 2026 of one repository's storage."""
    con = warehouse.connect(home / "warehouse.duckdb")
    add_daily_storage(con, "team/api", date(2026, 2, 1), date(2026, 3, 31), lambda d: 1.0)
    con.close()
    return home


def _report(home, *argv: str) -> int:
    """`ecrcost report ARGV --home HOME` through the command's own parser and handler."""
    parser = argparse.ArgumentParser()
    report_cli.register(parser.add_subparsers())
    args = parser.parse_args(["report", *argv, "--home", str(home)])
    return args.handler(args, load_settings({"home": str(home)}, env={}))


def test_cli_report(billed_home, capsys):
    assert _report(billed_home, "--period", PERIOD) == 0
    out = capsys.readouterr().out
    assert f"ecr-report-{PERIOD}.html" in out
    html = (billed_home / "reports" / PERIOD / f"ecr-report-{PERIOD}.html").read_text()
    assert "team/api" in html  # the command built the marts before rendering
    assert "Not available: the attribution marts" not in html


def test_cli_refuses_a_period_without_a_bill(billed_home):
    with pytest.raises(UserError, match="no billing data for it"):
        _report(billed_home, "--period", "2027-05")


def test_cli_bad_periods_give_the_one_message(billed_home):
    with pytest.raises(UserError) as bad:
        _report(billed_home, "--period", "2026-13")
    assert (
        str(bad.value) == "--period '2026-13': expected a billing period as YYYY-MM, e.g. 2026-10"
    )
    with pytest.raises(UserError) as bad:
        _report(billed_home, "--period", PERIOD, "--compare", "March")
    assert str(bad.value) == "--compare 'March': expected a billing period as YYYY-MM, e.g. 2026-10"


def test_bad_period_is_a_user_error(con, settings):
    with pytest.raises(UserError, match="YYYY-MM"):
        render_report(con, settings, "2026-3x")


def test_render_under_a_second(built):
    con, settings, _ = built
    files = render_report(con, settings, PERIOD, out_dir=Path(settings.home) / "again")
    assert files.seconds < 1.0


def test_report_csv_numbers_rounded_and_flags_true_false(built):
    _, _, files = built
    headline = files.out_dir / "headline.csv"
    assert headline.read_text().splitlines() == [
        "period,total_cost,usage_cost,adjustments,storage_gb_months,cost_per_gb_month,repositories",
        "2026-02,106.26,103.46,2.8,1020.6,0.1,3",
        "2026-03,104.91,101.81,3.1,1002.6,0.1,3",
    ]
    assert [r["over_ceiling"] for r in _csv(files, "predictability")] == ["false", "false", "true"]
    assert [r["change_ratio"] for r in _csv(files, "movers")] == [
        "-0.364285714286",
        "0.115069894306",
        "0.107142857143",
    ]
    # No float written with its binary noise: floats have 12 significant digits at most, and
    # the DECIMAL figures (realized savings) exactly their 12 decimal places.
    for path in files.csv:
        for number in re.findall(r"(?<![\w.])-?\d+\.\d+(?![\w.])", path.read_text()):
            whole, fraction = number.lstrip("-").split(".")
            assert len((whole + fraction).lstrip("0")) <= 12 or len(fraction) == 12, number


def test_sizes_are_labelled_gib(built):
    _, _, files = built
    md = files.md.read_text()
    assert "avg GiB stored" in md and "storage GiB-months" in md and "$ per GiB-month" in md
    assert "avg GB" not in md and "GB-months" not in md.replace("GiB-months", "")


def test_data_quality_names_the_snapshot_used(built):
    con, _, files = built
    (snap,) = con.execute("SELECT snapshot_id FROM ecr_snapshots").fetchone()
    line = (
        "Inventory used for findings, the candidate policy and the repository inventory: "
        f"snapshot {snap} taken 2026-04-02 00:00 UTC (complete, 3 repositories, 45 images)."
    )
    assert md_cell(line) in files.md.read_text()  # parentheses escaped: \\( \\)
    assert line in files.html.read_text()


@pytest.fixture
def inventoried_home(billed_home):
    """billed_home with the complete snapshot of report_data and a newer, empty one (what a
    mistyped region stores); returns (home, complete id, empty id)."""
    con = warehouse.connect(billed_home / "warehouse.duckdb")
    add_snapshot(con)
    empty = store_snapshot(con, Snapshot(datetime(2026, 4, 5, 9), "aws"))
    (complete,) = con.execute(
        "SELECT snapshot_id FROM ecr_snapshots WHERE snapshot_id <> ?", [empty]
    ).fetchone()
    con.close()
    return billed_home, complete, empty


def test_cli_report_uses_the_newest_complete_snapshot_and_says_so(inventoried_home, capsys):
    home, complete, empty = inventoried_home
    assert _report(home, "--period", PERIOD) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"using snapshot {complete} taken at 2026-04-02T00:00:00Z (complete, 3 repositories)"
    )
    assert err[1] == (
        f"note: passed over the newer snapshot {empty} taken at 2026-04-05T09:00:00Z: it is "
        f"empty; pass --snapshot {empty} to use it"
    )
    md = (home / "reports" / PERIOD / f"ecr-report-{PERIOD}.md").read_text()
    assert (
        md_cell(f"snapshot {complete} taken 2026-04-02 00:00 UTC (complete, 3 repositories") in md
    )
    assert f"Inventory note: passed over the newer snapshot {empty}" in md
    assert "team/web" in md  # findings of the complete snapshot


def test_cli_report_snapshot_option_picks_the_inventory(inventoried_home, capsys):
    home, complete, empty = inventoried_home
    assert _report(home, "--period", PERIOD, "--snapshot", empty) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"using snapshot {empty} taken at 2026-04-05T09:00:00Z (empty, 0 repositories)"
    assert f"note: snapshot {empty} taken at 2026-04-05T09:00:00Z holds no repository" in err
    md = (home / "reports" / PERIOD / f"ecr-report-{PERIOD}.md").read_text()
    assert (
        md_cell(f"snapshot {empty} taken 2026-04-05 09:00 UTC (empty, 0 repositories, 0 images)")
        in md
    )
    assert f"snapshot {complete}" not in md
    assert main(["report", "--period", PERIOD, "--snapshot", "nope", "--home", str(home)]) == 2
    assert capsys.readouterr().err == (
        "ecrcost: --snapshot nope: no such snapshot (`ecrcost snapshots` lists them)\n"
    )


def test_cli_report_compare_must_be_earlier(billed_home, capsys):
    for compare in (PERIOD, "2026-04"):
        argv = ["report", "--period", PERIOD, "--compare", compare, "--home", str(billed_home)]
        assert main(argv) == 2
        assert capsys.readouterr().err == (
            f"ecrcost: --compare {compare}: must be a period before --period {PERIOD}\n"
        )
    assert not (billed_home / "reports").exists()


def test_cli_report_out_naming_a_file_is_one_line(billed_home, tmp_path, capsys):
    target = tmp_path / "report.html"
    target.write_text("mine")
    argv = ["report", "--period", PERIOD, "--out", str(target), "--home", str(billed_home)]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"ecrcost: --out {target}: is a file; pass a folder (it is created if missing)\n"
    )
    assert target.read_text() == "mine"


def test_cli_report_period_defaults_to_the_last_closed_month(billed_home, capsys, monkeypatch):
    monkeypatch.setattr(Period, "last_closed", classmethod(lambda cls, now=None: Period(2026, 3)))
    assert _report(billed_home) == 0
    captured = capsys.readouterr()
    assert "note: --period not given: using the last closed month, 2026-03" in captured.err
    assert f"ecr-report-{PERIOD}.html" in captured.out


def test_ctrl_c_during_report_exits_130_and_says_what_was_kept(billed_home, capsys, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report_cli, "render_report", interrupt)
    assert main(["report", "--period", PERIOD, "--home", str(billed_home)]) == 130
    assert capsys.readouterr().err.splitlines(keepends=True)[-1] == (
        f"ecrcost: interrupted; the report of {PERIOD} was not (completely) written; the "
        "warehouse keeps the marts of 2026-02, 2026-03. Run the same command again to finish\n"
    )


def _figures(files) -> dict[tuple[str, str], str]:
    return {(r["section"], r["figure"]): r["value"] for r in _csv(files, "figures")}


def test_headline_leads_with_realized_then_available_then_spend(built):
    con, _, files = built
    figures = [(r["section"], r["figure"]) for r in _csv(files, "figures")]
    headline = [f for s, f in figures if s == "headline"]
    assert headline == [
        f"realized in {PERIOD}",
        "realized, last 12 months",
        "annualized",
        "candidate lifecycle policy",
        # no untagged-images or stale finding in this snapshot: that figure is left out
        f"ECR spend {PERIOD}",
        "ECR spend 2026-02",
        "change",
        "change %",
        "repositories billed",
    ]
    # Every figure recomputed from the tables it comes from.
    (daily, monthly, effective) = con.execute(
        "SELECT daily_saving, realized_monthly_savings_usd, effective_day FROM realized_savings"
        " WHERE billing_period = $p AND verdict <> 'too_early'",
        {"p": PERIOD},
    ).fetchone()
    in_effect = (date(2026, 3, 31) - effective).days + 1  # the action took effect in March
    values = _figures(files)
    # DECIMAL in the warehouse, written with every digit: equal, not approximately
    assert Decimal(values[("headline", f"realized in {PERIOD}")]) == daily * in_effect
    assert Decimal(values[("headline", "realized, last 12 months")]) == daily * in_effect
    assert Decimal(values[("headline", "annualized")]) == monthly * 12
    (policy,) = con.execute(
        "SELECT sum(monthly_savings_usd) FROM candidate_policy_plans WHERE skipped_reason IS NULL"
    ).fetchone()
    assert float(values[("headline", "candidate lifecycle policy")]) == pytest.approx(policy)
    html = files.html.read_text()
    # the savings come before the spend, and the sections follow the savings story
    assert html.index("Realized savings") < html.index("Still available") < html.index("Spend")
    order = re.findall(r'<section id="(\w+)"', html)
    assert order == [
        "headline", "realized", "findings", "trend", "analysis", "movers", "chargeback",
        "predictability", "data_quality",
    ]  # fmt: skip
    assert "$ per GiB-month" not in html.split('<section id="realized"')[0].split("<table>")[0]


def test_realized_totals_count_only_the_days_in_effect(built):
    con, settings, _ = built
    from ecrcost.reports.sections import build_context, realized_totals

    ctx = build_context(con, settings, "2026-04", PERIOD)  # no judged action for April
    assert realized_totals(ctx) == ([], None)


def test_the_bridge_has_its_place_in_the_headline(built, monkeypatch):
    con, settings, _ = built
    from ecrcost.reports import sections as sec
    from ecrcost.reports.sections import Figure, Section

    def bridge(ctx):
        return Section("bridge", "From 2026-02 to 2026-03", figures=[Figure("start", 1.0)])

    monkeypatch.setattr(sec, "SECTIONS", [sec.headline, bridge, *sec.SECTIONS[1:]])
    files = render_report(con, settings, PERIOD, out_dir=settings.home / "bridged")
    html = files.html.read_text()
    headline = html.split('<section id="headline"')[1].split("</section>")[0]
    assert '<div class="bridge" id="bridge"><h3>From 2026-02 to 2026-03</h3>' in headline
    assert 'href="#bridge"' not in html  # drawn in the headline, not a section of its own
    md = files.md.read_text()
    assert (
        md.index("## Headline")
        < md.index("### From 2026-02 to 2026-03")
        < md.index("## Realized savings")
    )


def test_findings_in_plain_words_and_same_bytes_once(built):
    _, _, files = built
    html = files.html.read_text()
    findings = html.split('<section id="findings"')[1].split("</section>")[0]
    assert "untagged_images" not in findings and "no_policy" not in findings
    assert "largest repositories" in findings and "no lifecycle policy" in findings
    rows = _csv(files, "findings_top")
    (web,) = [r for r in rows if r["repository_name"] == "team/web" and r["subject"] == ""]
    assert (web["kind"], web["kind_label"]) == (
        "largest_repository+no_policy",
        "largest repositories + no lifecycle policy",
    )
    # Two images of one size are two findings, not one.
    assert (
        sum(r["kind"] == "largest_image" and r["repository_name"] == "team/api" for r in rows) > 1
    )
    assert "removals to review first" in findings and "danger flags" not in html


def test_same_bytes_together_merges_only_equal_bytes_of_one_repository():
    from ecrcost.reports.sections import same_bytes_together

    def row(kind, repo, size, subject=None):
        return {"kind": kind, "account_id": "1", "region": "r", "repository_name": repo,
                "bytes": size, "subject": subject}  # fmt: skip

    rows = [row("no_policy", "a", 5), row("largest_repository", "a", 5),
            row("untagged_images", "a", 4), row("duplicate_image", None, 5),
            row("largest_image", None, 5), row("largest_image", "a", 5, "sha256:1"),
            row("largest_image", "a", 5, "sha256:2"), row("largest_image", "a", 5, "sha256:2")]  # fmt: skip
    got = same_bytes_together(rows)
    assert [r["kind_label"] for r in got] == [
        "no lifecycle policy + largest repositories",
        "untagged images",
        "same image in several repositories",
        "largest images",
        "largest images",
        "largest images",
        "largest images",
    ]


def test_findings_available_counts_a_repository_once(con):
    from ecrcost import sqlfiles
    from ecrcost.reports.sections import SAVING_KINDS

    for kind, repo, cost in [("untagged_images", "a", 2.0), ("stale_repository", "a", 5.0),
                             ("untagged_images", "b", 1.5), ("no_policy", "c", 9.0)]:  # fmt: skip
        con.execute(
            "INSERT INTO findings VALUES ('s', now()::TIMESTAMP, now()::TIMESTAMP, ?, 1, '1', 'r',"
            " ?, NULL, 'd', 10, ?, false, NULL, NULL, [], '{}')",
            [kind, repo, cost],
        )
    (got,) = sqlfiles.records(
        con, "reports/findings_available", {"snapshot_id": "s", "kinds": list(SAVING_KINDS)}
    )
    assert got == {"monthly_cost_usd": 6.5, "repositories": 2}  # a: 5 (not 7), b: 1.5


def test_long_tables_cut_to_report_top_n_with_where_the_rest_is(built):
    con, settings, _ = built
    from dataclasses import replace

    few = replace(settings, report_top_n=2)
    files = render_report(con, few, PERIOD, out_dir=settings.home / "few")
    html = files.html.read_text()
    assert "Top 2 shown; 1 more row(s) in predictability.csv." in html
    assert md_cell("Top 2 shown; 1 more row(s) in predictability.csv.") in files.md.read_text()
    assert len(_csv(files, "predictability")) == 3  # the CSV keeps every row
    # The rows above the median repeat the top repositories: named, not shown again.
    analysis = html.split('<section id="analysis"')[1].split("</section>")[0]
    assert "row(s) in above_median.csv" in analysis
    assert analysis.count("<table>") == 2  # top repositories and by size


def test_charts_explain_themselves(built):
    _, _, files = built
    html = files.html.read_text()
    svgs = dict(re.findall(r'<svg class="chart" data-chart="(\w+)".*?>(.*?)</svg>', html, re.S))
    assert set(svgs) == {"trend", "top_repositories", "chargeback", "realized_savings", "bridge"}
    for name, body in svgs.items():
        title = re.search(r'<text class="chart-title"[^>]*>([^<]+)</text>', body)
        assert title and body.startswith(f"<title>{title.group(1)}</title>"), name
    trend = svgs["trend"]
    assert ">2026-03</text>" in trend and ">26-03</text>" not in trend  # months as YYYY-MM
    assert "$ per month (net)" in trend  # the axis says what and in which unit
    ticks = re.findall(r'text-anchor="end" fill="#4b5563">(\$[\d,.]+)</text>', trend)
    assert ticks and all(re.fullmatch(r"\$\d+", t) for t in ticks), ticks  # round values
    assert "tag &#39;team&#39;" in svgs["chargeback"]  # the chargeback chart names its key
    assert "predicted $/month" in svgs["realized_savings"]  # a legend for two series
    assert "$ per month (net)" in svgs["bridge"]


def test_nice_ticks_are_round():
    from ecrcost.reports.charts import nice_ticks, shorten

    assert nice_ticks(125.79) == [0, 50, 100, 150]
    assert nice_ticks(31.45) == [0, 10, 20, 30, 40]
    assert nice_ticks(4.5) == [0, 1, 2, 3, 4, 5]
    assert nice_ticks(0.3) == [0, 0.1, 0.2, 0.3]
    assert nice_ticks(0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert shorten("a" * 50, 10) == "a" * 9 + "…"
