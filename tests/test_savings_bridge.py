"""The bridge from last period's spend to this one's: each step on a hand-built bill with known
answers, and the whole reconciling exactly (DECIMAL) with the marts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from report_data import add_action, add_daily_storage

from ecrcost.attribution import build_marts
from ecrcost.attribution.forecast import repository_forecasts
from ecrcost.periods import Period
from ecrcost.savings import realized_savings
from ecrcost.savings.bridge import build_bridge, days_effective, saving_in_change

FEB, MAR = "2026-02", "2026-03"
ACTED = datetime(2026, 3, 10, 12)  # effective 03-12: 20 days of March


def _bill(con, settings) -> None:
    start, end = date(2026, 1, 1), date(2026, 3, 31)
    add_daily_storage(
        con,
        "team/api",
        start,
        end,
        lambda d: 1.0 if d < ACTED.date() else (0.7 if d < date(2026, 3, 12) else 0.4),
    )
    add_daily_storage(con, "team/web", start, end, lambda d: 2.5 if d.month == 3 else 2.0)
    add_daily_storage(con, "team/db", start, end, lambda d: 3.0)
    add_daily_storage(con, "new/svc", date(2026, 3, 5), end, lambda d: 0.3)
    add_daily_storage(con, "old/tool", start, date(2026, 2, 27), lambda d: 0.25)
    add_daily_storage(con, None, start, end, lambda d: 0.2, line_item_type="Tax")
    add_daily_storage(
        con,
        "team/web",
        start,
        end,
        lambda d: -0.1 if d.month == 3 else -0.05,
        line_item_type="Credit",
    )
    add_action(con, "a1", "policy_applied", ACTED, "team/api", 20.0)
    for p in ("2026-01", FEB, MAR):
        build_marts(con, settings, p)


def _marts_total(con, period: str) -> Decimal:
    (total,) = con.execute(
        "SELECT (SELECT sum(CAST(net_cost AS DECIMAL(38, 12))) FROM repository_costs"
        " WHERE billing_period = $p) + (SELECT sum(CAST(cost AS DECIMAL(38, 12)))"
        " FROM unattributed_costs WHERE billing_period = $p)",
        {"p": period},
    ).fetchone()
    return total


def test_each_step_and_the_whole_reconcile_to_the_cent(con, settings):
    _bill(con, settings)
    verdicts = realized_savings(con, settings, MAR)
    b = build_bridge(con, MAR, verdicts)
    steps = {s.key: s for s in b.steps if s.key != "action"}
    (action,) = [s for s in b.steps if s.key == "action"]

    # Start and end are the marts' totals, exactly; the steps add up to the end exactly.
    assert b.start == _marts_total(con, FEB) and b.end == _marts_total(con, MAR)
    assert b.start + sum(s.amount for s in b.changes) == b.end
    mart_total = con.execute(
        "SELECT total_cost FROM mart_builds WHERE billing_period = $p", {"p": MAR}
    ).fetchone()[0]
    assert round(b.end, 2) == round(Decimal(mart_total), 2)

    assert steps["organic"].amount == Decimal("2.5") * 31 + 3 * 31 - (2 * 28 + 3 * 28)
    assert steps["organic"].repositories == 2
    assert steps["new"].amount == Decimal("0.3") * 27 and steps["new"].repositories == 1
    assert steps["deleted"].amount == -Decimal("0.25") * 27
    assert steps["adjustments"].amount == Decimal("-0.1") * 31 - Decimal("-0.05") * 28
    assert steps["unattributed"].amount == Decimal("0.2") * 31 - Decimal("0.2") * 28
    # The action: its daily saving over its 20 days in March (none of them in February).
    (v,) = verdicts
    assert v.daily_saving > 0
    assert action.amount == -v.daily_saving * 20 and action.action_id == "a1"
    api_change = (Decimal(1) * 9 + Decimal("0.7") * 2 + Decimal("0.4") * 20) - 28
    # Before the action took effect team/api would have cost as in February per day, plus
    # what the trend moves: its whole change less the saving's part.
    assert steps["touched"].amount == api_change + v.daily_saving * 20
    assert steps["touched"].repositories == 1
    assert b.not_in_bridge == []


def test_an_action_of_the_prior_period_counts_only_its_new_days(con, settings):
    prior = Period.parse(FEB)
    cur = Period.parse(MAR)
    assert days_effective(date(2026, 2, 20), prior) == 9
    assert days_effective(date(2026, 2, 20), cur) == 31
    assert days_effective(date(2026, 4, 2), cur) == 0

    class V:
        daily_saving = Decimal("0.5")
        effective_day = date(2026, 2, 20)

    # 31 days in effect now against 9 then: 22 more days of saving in the change.
    assert saving_in_change(V, cur, prior) == Decimal("0.5") * 22


def test_deleted_repository_with_its_action_is_under_deleted(con, settings):
    start = date(2026, 1, 1)
    add_daily_storage(con, "team/web", start, date(2026, 3, 31), lambda d: 2.0)
    add_daily_storage(con, "old/tool", start, date(2026, 2, 14), lambda d: 0.5)
    add_action(con, "d1", "repository_deleted", datetime(2026, 2, 14, 8), "old/tool", 15.0)
    for p in ("2026-01", FEB, MAR):
        build_marts(con, settings, p)
    b = build_bridge(con, MAR, realized_savings(con, settings, MAR))
    assert [s.key for s in b.steps].count("action") == 0
    (deleted,) = [s for s in b.steps if s.key == "deleted"]
    assert deleted.amount == -Decimal("0.5") * 14
    assert b.not_in_bridge and "d1 (old/tool): not billed in both periods" in b.not_in_bridge[0]
    assert b.start + sum(s.amount for s in b.changes) == b.end


def test_the_same_figures_to_the_last_digit_whatever_the_threads(con, settings):
    _bill(con, settings)
    covered = {"2026-01": 31, FEB: 28, MAR: 31}
    runs = []
    for threads in (1, 4, 1):
        con.execute(f"SET threads = {threads}")
        verdicts = realized_savings(con, settings, MAR)
        runs.append(
            (
                [(v.before_daily_cost, v.after_daily_cost, v.daily_saving) for v in verdicts],
                build_bridge(con, MAR, verdicts).steps,
                repository_forecasts(con, MAR, covered),
            )
        )
    assert runs[0] == runs[1] == runs[2]  # exactly: Decimal and DOUBLE compared with ==


def test_many_lines_sum_the_same_whatever_the_threads(con, settings):
    # Thousands of lines per repository and day (split line items, as large bills have), so
    # DuckDB adds each day's cost in parallel pieces, in an order that depends on the threads:
    # the figures must not.
    con.execute(
        "INSERT INTO cur_ecr_lines (billing_period, usage_start, usage_account_id, region,"
        " resource_id, repository_name, usage_category, line_item_type, usage_amount,"
        " unblended_cost, tags, product_code, source_format, source_file)"
        " SELECT strftime(d, '%Y-%m'), d, '111122223333', 'eu-west-1', 'arn', 'team/' || (i % 8),"
        " 'storage', 'Usage', 1.0, 0.000123456789 * (1 + (i * 7919) % 1000) / 7.0"
        "   * CASE WHEN i % 8 = 0 AND d >= DATE '2026-03-12' THEN 0.4 ELSE 1 END,"
        " MAP {}, 'AmazonECR', 'test', 'test'"
        " FROM range(400000) AS t(i),"
        " LATERAL (SELECT DATE '2026-01-01' + CAST(i % 90 AS INTEGER) AS d)"
    )
    add_action(con, "a1", "policy_applied", ACTED, "team/0", 1.0)
    runs = []
    for threads in (1, 4):
        con.execute(f"SET threads = {threads}")
        (v,) = realized_savings(con, settings, MAR)
        runs.append((v.before_daily_cost, v.after_daily_cost, v.daily_saving, v.realized_low_usd))
    assert runs[0] == runs[1]
