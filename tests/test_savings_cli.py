"""`ecrcost savings`: the fixed interface (--period, --by action|repository|account|tag:KEY,
--output table|json|csv), its figures against the warehouse, and the report showing the same."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from report_data import add_action, add_daily_storage

from ecrcost import warehouse
from ecrcost.attribution import build_marts
from ecrcost.cli import main
from ecrcost.reports.prepare import prepare_report
from ecrcost.reports.sections import build_context, build_sections
from ecrcost.savings.rollup import group_rows

MAR = "2026-03"
OTHER = "444455556666"


@pytest.fixture
def bill(home, settings):
    con = warehouse.connect(home / "warehouse.duckdb")
    start, end = date(2026, 1, 1), date(2026, 3, 31)
    add_daily_storage(
        con,
        "team/api",
        start,
        end,
        lambda d: 1.0 if d < date(2026, 3, 10) else 0.4,
        tags={"user:team": "payments"},
    )
    add_daily_storage(con, "team/web", start, end, lambda d: 2.0, tags={"user:Team": "web"})
    add_daily_storage(
        con,
        "ops/tool",
        start,
        end,
        lambda d: 0.5 if d < date(2026, 3, 5) else 0.1,
        account=OTHER,
    )
    add_daily_storage(con, "ops/db", start, end, lambda d: 3.0, account=OTHER)
    add_daily_storage(con, None, start, end, lambda d: 0.2, line_item_type="Tax")
    add_action(con, "a1", "policy_applied", datetime(2026, 3, 10, 12), "team/api", 20.0)
    add_action(
        con, "a2", "policy_applied", datetime(2026, 3, 5, 9), "ops/tool", 10.0, account=OTHER
    )
    for p in ("2026-01", "2026-02", MAR):
        build_marts(con, settings, p)
    con.close()
    return home


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["savings", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_by_action_has_the_stored_figures_and_the_bridge(bill, capsys):
    code, out, _ = _run(capsys, "--home", str(bill), "--period", MAR, "--output", "json")
    assert code == 0
    view = json.loads(out)
    assert (view["period"], view["prior_period"], view["by"]) == (MAR, "2026-02", "action")
    assert view["interval_level"] == 0.9
    rows = {r["action_id"]: r for r in view["rows"]}
    assert set(rows) == {"a1", "a2"}
    a1 = rows["a1"]
    assert a1["realized_monthly_savings_usd"] == pytest.approx(0.6 * 31, abs=1e-12)
    assert a1["period_realized_usd"] == pytest.approx(0.6 * 20, abs=1e-12)  # 03-12 .. 03-31
    assert a1["annualized_usd"] == pytest.approx(0.6 * 31 * 12, abs=1e-9)
    assert a1["verdict"] == "realized" and a1["method"] == "untouched"
    with warehouse.opened(bill / "warehouse.duckdb", read_only=True) as con:
        stored = dict(
            con.execute(
                "SELECT action_id, realized_monthly_savings_usd FROM realized_savings"
                " WHERE billing_period = $p",
                {"p": MAR},
            ).fetchall()
        )
        (total,) = con.execute(
            "SELECT total_cost FROM mart_builds WHERE billing_period = $p", {"p": MAR}
        ).fetchone()
    assert {k: Decimal(str(r["realized_monthly_savings_usd"])) for k, r in rows.items()} == stored
    t = view["totals"]
    assert t["judged"] == 2 and t["realized_monthly_savings_usd"] == pytest.approx(
        sum(r["realized_monthly_savings_usd"] for r in rows.values())
    )
    b = view["bridge"]
    assert (b["steps"][0]["key"], b["steps"][-1]["key"]) == ("start", "end")
    assert b["start_usd"] + sum(s["amount_usd"] for s in b["steps"][1:-1]) == pytest.approx(
        b["end_usd"], abs=1e-9
    )
    assert round(b["end_usd"], 2) == round(total, 2)
    assert {s["action_id"] for s in b["steps"] if s["key"] == "action"} == {"a1", "a2"}


def test_csv_keeps_every_digit_and_table_reads(bill, capsys):
    code, out, _ = _run(capsys, "--home", str(bill), "--period", MAR, "-o", "csv")
    assert code == 0
    rows = {r["action_id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["a1"]["realized_monthly_savings_usd"] == "18.600000000000"
    assert rows["a1"]["acted_at"] == "2026-03-10T12:00:00Z"

    code, out, _ = _run(capsys, "--home", str(bill), "--period", MAR)
    assert code == 0
    assert "team/api" in out and "$18.60" in out and "realized" in out
    assert "bridge from 2026-02 to 2026-03" in out
    assert "policy applied: team/api" in out and "-$12.00" in out


@pytest.mark.parametrize(
    ("by", "keys"),
    [
        ("repository", {"111122223333:eu-west-1:team/api", f"{OTHER}:eu-west-1:ops/tool"}),
        ("account", {"111122223333", OTHER}),
        ("region", {"eu-west-1"}),
        # `user:team` and `user:Team` fold into one key, as chargeback folds them.
        ("tag:team", {"payments", "untagged"}),
        ("tag:TEAM", {"payments", "untagged"}),
    ],
)
def test_roll_ups(bill, capsys, by, keys):
    code, out, _ = _run(capsys, "--home", str(bill), "--period", MAR, "--by", by, "-o", "json")
    assert code == 0, out
    view = json.loads(out)
    assert {r["key"] for r in view["rows"]} == keys
    assert sum(r["realized_monthly_savings_usd"] for r in view["rows"]) == pytest.approx(
        view["totals"]["realized_monthly_savings_usd"]
    )
    assert sum(r["actions"] for r in view["rows"]) == 2
    if by.startswith("tag:"):
        assert view["tag_key"] == "team"
        payments = next(r for r in view["rows"] if r["key"] == "payments")
        assert payments["realized_monthly_savings_usd"] == pytest.approx(18.6)


def test_bad_input_is_one_line_and_exit_2(bill, capsys, tmp_path):
    code, _, err = _run(capsys, "--home", str(bill), "--period", MAR, "--by", "team")
    assert code == 2 and "--by 'team': expected action, repository" in err
    code, _, err = _run(capsys, "--home", str(bill), "--period", MAR, "--by", "tag:owner")
    assert code == 2 and "--by tag:owner: no tag key folds to 'owner' in period 2026-03" in err
    assert "(keys there: team)" in err
    code, _, err = _run(capsys, "--home", str(bill), "--period", "2025-06")
    assert code == 2 and "period 2025-06: no billing data" in err
    code, _, err = _run(capsys, "--home", str(tmp_path / "nowhere"), "--period", MAR)
    assert code == 2 and "no warehouse here" in err
    code, _, err = _run(capsys, "--home", str(bill), "--period", "2026-13")
    assert code == 2 and err.count("\n") == 1


def test_report_shows_the_same_figures_as_savings_json(bill, capsys, settings):
    code, out, _ = _run(capsys, "--home", str(bill), "--period", MAR, "-o", "json")
    assert code == 0
    view = json.loads(out)
    with warehouse.opened(bill / "warehouse.duckdb") as con:
        prepare_report(con, settings, MAR, "2026-02")
        sections = {s.key: s for s in build_sections(build_context(con, settings, MAR, "2026-02"))}
    realized, bridge = sections["realized"], sections["bridge"]
    assert realized.available and bridge.available, (realized.why, bridge.why)
    figures = {f.label: f.value for f in realized.figures}
    t = view["totals"]
    assert float(figures["realized, net of the trend"]) == t["realized_monthly_savings_usd"]
    assert float(figures["realized in 2026-03"]) == t["period_realized_usd"]
    assert float(figures["realized, last 12 months"]) == t["twelve_month_realized_usd"]
    assert float(figures["annualized"]) == t["annualized_usd"]
    assert figures["realized, 90% low"] == t["realized_low_usd"]
    (table,) = realized.tables
    assert {r["action_id"]: float(r["realized_monthly_savings_usd"]) for r in table.rows} == {
        r["action_id"]: r["realized_monthly_savings_usd"] for r in view["rows"]
    }
    (steps,) = bridge.tables
    shown = [
        (r["step"], r["amount"] if r["amount"] is not None else r["spend"]) for r in steps.rows
    ]
    assert [(k, float(v)) for k, v in shown] == [
        (s["key"], s["amount_usd"]) for s in view["bridge"]["steps"]
    ]
    assert 'data-chart="bridge"' in bridge.charts[0]
    assert bridge.charts[0].count('class="bar"') == len(view["bridge"]["steps"])


def test_group_sums_count_judged_actions_and_bounds_only_when_all_have_them():
    def row(realized, low, high, verdict="realized"):
        return {
            "verdict": verdict,
            "realized_monthly_savings_usd": realized,
            "annualized_usd": realized * 12 if realized is not None else None,
            "period_realized_usd": realized,
            "twelve_month_realized_usd": realized,
            "predicted_monthly_savings_usd": 5.0,
            "realized_low_usd": low,
            "realized_high_usd": high,
            "period_predicted_usd": 5.0,
            "twelve_month_predicted_usd": 5.0,
        }

    (g,) = group_rows(
        [row(Decimal("4.5"), 4.0, 5.0), row(Decimal("1.25"), 1.0, 1.5)], lambda a: "k"
    )
    assert (g["actions"], g["judged"], g["realized_monthly_savings_usd"]) == (2, 2, Decimal("5.75"))
    assert (g["realized_low_usd"], g["realized_high_usd"]) == (5.0, 6.5)
    assert g["predicted_monthly_savings_usd"] == 10.0
    early = row(Decimal("9"), 8.0, 10.0, verdict="too_early")
    (g,) = group_rows([row(Decimal("4.5"), None, None), early], lambda a: "k")
    assert (g["judged"], g["too_early"], g["realized_monthly_savings_usd"]) == (
        1,
        1,
        Decimal("4.5"),
    )
    assert g["realized_low_usd"] is None and g["predicted_monthly_savings_usd"] == 5.0
