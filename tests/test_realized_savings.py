"""Realized savings on hand-built bills with known answers (and the sample's truth when present)."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest
from report_data import add_action, add_daily_storage

from ecrcost import warehouse
from ecrcost.actions.log import import_actions
from ecrcost.billing import ingest
from ecrcost.sample import generate
from ecrcost.savings import realized_savings, total
from ecrcost.savings.accuracy import daily_truth, score
from ecrcost.savings.realized import stored_verdicts
from ecrcost.settings import Settings

BILL_START = date(2026, 2, 1)
BILL_END = date(2026, 3, 31)  # the bill's last day; with 2 lag days the horizon is 03-29
ACTED = datetime(2026, 3, 10, 14, 30)  # effective day 03-12: 18 days after up to 03-29
MARCH = 31


def _flat(value: float):
    return lambda d: value


def _step(before: float, mixed: float, after: float, acted: date):
    """`before` up to the day before `acted`, `mixed` on the two effect days, then `after`."""

    def cost(d: date) -> float:
        if d < acted:
            return before
        if (d - acted).days < 2:
            return mixed
        return after

    return cost


def _one(verdicts, action_id):
    (v,) = [v for v in verdicts if v.action_id == action_id]
    return v


def test_clean_drop_is_realized_and_stored(con):
    add_daily_storage(con, "team/api", BILL_START, BILL_END, _step(1.0, 0.7, 0.4, ACTED.date()))
    add_daily_storage(con, "team/web", BILL_START, BILL_END, _flat(2.0))
    add_action(con, "a1", "policy_applied", ACTED, "team/api", 20.0)

    verdicts = realized_savings(con, Settings(), "2026-03")
    v = _one(verdicts, "a1")
    assert v.window_days == 18
    assert (v.before_start, v.before_end) == (date(2026, 2, 20), date(2026, 3, 9))
    assert (v.after_start, v.after_end) == (date(2026, 3, 12), date(2026, 3, 29))
    # Money is exact: DECIMAL sums of the bill, Decimal arithmetic after them.
    assert v.before_daily_cost == Decimal("1") and v.after_daily_cost == Decimal("0.4")
    assert v.baseline_change == 0.0
    assert v.baseline_repositories == 1
    # team/api's share of team/web's spend was flat: the untouched trend is its own.
    assert v.method == "untouched" and v.history_days == 0
    assert v.realized_monthly_savings_usd == Decimal("0.6") * MARCH
    assert v.realized_ratio == pytest.approx(0.6 * MARCH / 20.0)
    assert v.verdict == "realized"
    assert "93% of the predicted $20.00/month" in v.reason
    # One untouched repository cannot measure the method's error: no interval, and it says so.
    assert v.realized_low_usd is None and v.placebo_repositories == 0
    assert "no interval: 1 untouched repositories" in v.reason

    # Stored, and re-running replaces the period's rows instead of adding to them.
    realized_savings(con, Settings(), "2026-03")
    rows = con.execute(
        "SELECT action_id, verdict, realized_monthly_savings_usd FROM realized_savings"
        " WHERE billing_period = '2026-03'"
    ).fetchall()
    assert rows == [("a1", "realized", Decimal("18.6"))]


def test_drop_hidden_by_organisation_growth(con):
    # Untouched repositories grow 50% from the action day; team/api rises only 20%: raw cost
    # went up, but without the action it would have risen to 1.5/day.
    add_daily_storage(con, "team/api", BILL_START, BILL_END, _step(1.0, 1.1, 1.2, ACTED.date()))
    add_daily_storage(con, "team/web", BILL_START, BILL_END, _step(2.0, 3.0, 3.0, ACTED.date()))
    add_daily_storage(con, "team/db", BILL_START, BILL_END, _step(4.0, 6.0, 6.0, ACTED.date()))
    add_action(con, "a1", "policy_applied", ACTED, "team/api", 10.0)

    v = _one(realized_savings(con, Settings(), "2026-03"), "a1")
    assert v.after_daily_cost > v.before_daily_cost  # the raw bill alone shows a rise
    assert v.baseline_change == pytest.approx(0.5)
    assert v.baseline_repositories == 2
    assert v.daily_saving == Decimal("0.3")
    assert v.realized_monthly_savings_usd == Decimal("0.3") * MARCH
    assert v.verdict == "realized"
    assert "counterfactual +50.0% (untouched repositories' trend)" in v.reason


def test_growth_does_not_fake_a_saving(con):
    # The whole organisation shrinks 50%; team/api shrinks 50% too: no saving of its own.
    add_daily_storage(con, "team/api", BILL_START, BILL_END, _step(1.0, 0.5, 0.5, ACTED.date()))
    add_daily_storage(con, "team/web", BILL_START, BILL_END, _step(2.0, 1.0, 1.0, ACTED.date()))
    add_action(con, "a1", "policy_applied", ACTED, "team/api", 15.0)

    v = _one(realized_savings(con, Settings(), "2026-03"), "a1")
    assert v.daily_saving == 0
    assert v.verdict == "not_realized"


def test_partly_realized(con):
    add_daily_storage(con, "team/api", BILL_START, BILL_END, _step(1.0, 0.9, 0.8, ACTED.date()))
    add_daily_storage(con, "team/web", BILL_START, BILL_END, _flat(2.0))
    add_action(con, "a1", "policy_applied", ACTED, "team/api", 12.4)  # realized 6.2 = 50%

    v = _one(realized_savings(con, Settings(), "2026-03"), "a1")
    assert v.realized_ratio == pytest.approx(0.5)
    assert v.verdict == "partly"


def test_too_early_when_few_days_after(con):
    acted = datetime(2026, 3, 25, 9)  # effective 03-27, horizon 03-29: 3 days
    add_daily_storage(con, "team/api", BILL_START, BILL_END, _step(1.0, 0.5, 0.2, acted.date()))
    add_action(con, "a1", "policy_applied", acted, "team/api", 20.0)

    v = _one(realized_savings(con, Settings(), "2026-03"), "a1")
    assert v.verdict == "too_early"
    assert v.realized_monthly_savings_usd is None
    assert "only 3 comparable day(s)" in v.reason
    assert "4 more day(s) of bill would decide it" in v.reason and v.days_to_decide == 7
    # With no lag days the bill shows 5 days: still too early.
    v0 = _one(realized_savings(con, Settings(data_lag_days=0), "2026-03"), "a1")
    assert "only 5 comparable day(s)" in v0.reason
    assert total([v]).judged == 0 and total([v]).too_early == 1


def test_restore_that_raises_cost_and_windows_stop_at_neighbours(con):
    applied = datetime(2026, 2, 5, 12)
    restored = datetime(2026, 3, 10, 12)

    def cost(d: date) -> float:
        if d < applied.date():
            return 1.0
        if d < restored.date():
            return 0.4 if (d - applied.date()).days >= 2 else 0.7
        return 1.0 if (d - restored.date()).days >= 2 else 0.7

    add_daily_storage(con, "team/api", date(2026, 1, 1), BILL_END, cost)
    add_daily_storage(con, "team/web", date(2026, 1, 1), BILL_END, _flat(2.0))
    add_action(con, "apply", "policy_applied", applied, "team/api", 18.0)
    add_action(con, "restore", "policy_restored", restored, "team/api", None)

    verdicts = realized_savings(con, Settings(), "2026-03")
    r = _one(verdicts, "restore")
    assert r.before_daily_cost == Decimal("0.4")  # not reaching back before the apply
    assert r.after_daily_cost == Decimal("1")
    assert r.realized_monthly_savings_usd == Decimal("-0.6") * MARCH
    assert r.verdict == "not_realized"
    assert "cost rose" in r.reason

    a = _one(verdicts, "apply")  # acted in the prior period: judged too
    assert a.window_days == 28
    assert a.after_end < restored.date()  # the restore's effect is not read as the apply's
    assert a.realized_monthly_savings_usd == Decimal("0.6") * 28  # February: 28 days
    assert a.verdict == "realized"


def test_deleted_repository_costs_nothing_after(con):
    acted = datetime(2026, 3, 5, 8)
    add_daily_storage(
        con, "old/tool", BILL_START, BILL_END, lambda d: 0.5 if d <= acted.date() else 0.0
    )
    add_daily_storage(con, "team/web", BILL_START, BILL_END, _flat(2.0))
    add_action(con, "d1", "repository_deleted", acted, "old/tool", 15.0)

    v = _one(realized_savings(con, Settings(), "2026-03"), "d1")
    assert v.after_daily_cost == 0
    assert v.realized_monthly_savings_usd == Decimal("0.5") * MARCH
    assert v.verdict == "realized"


def test_a_repository_growing_on_its_own_is_judged_against_its_own_trend(con):
    # team/api grew by $0.01 a day while team/web stayed flat: without the action it would
    # have kept growing, so the saving is larger than its before-level alone says.
    add_daily_storage(
        con,
        "team/api",
        BILL_START,
        BILL_END,
        lambda d: 0.4 if d >= date(2026, 3, 12) else 1 + 0.01 * (d - BILL_START).days,
    )
    add_daily_storage(con, "team/web", BILL_START, BILL_END, _flat(2.0))
    add_action(con, "a1", "policy_applied", ACTED, "team/api", 30.0)

    v = _one(realized_savings(con, Settings(), "2026-03"), "a1")
    assert v.method == "own_trend" and v.history_days == 37  # 02-01 .. 03-09
    # The line extended over the after window (days 39..56 since 02-01): 1 + 0.01 x 47.5.
    assert v.daily_saving == Decimal("1.475") - Decimal("0.4")
    assert "own trend" in v.reason
    # The untouched trend alone keeps the before window's mean (days 19..36: 1.275).
    u = _one(realized_savings(con, Settings(), "2026-03", "untouched"), "a1")
    assert u.method == "untouched" and u.daily_saving == Decimal("1.275") - Decimal("0.4")


def _wobble(name: str, level: float, spread: float):
    """A level with a fixed day-to-day wobble of up to +-spread (the same on every run)."""

    def cost(d: date) -> float:
        h = int(hashlib.sha256(f"{name}:{d}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        return round(level * (1 + spread * (2 * h - 1)), 6)

    return cost


def _noisy_organisation(con, placebos: int = 8) -> None:
    for i in range(placebos):
        add_daily_storage(
            con, f"team/svc{i}", date(2026, 1, 1), BILL_END, _wobble(f"svc{i}", 1 + i, 0.05)
        )


def test_the_interval_comes_from_untouched_repositories_and_decides_the_verdict(con):
    _noisy_organisation(con)
    before, after = _wobble("api", 1.0, 0.05), _wobble("api-after", 0.4, 0.05)
    add_daily_storage(
        con,
        "team/api",
        date(2026, 1, 1),
        BILL_END,
        lambda d: before(d) if d < ACTED.date() else after(d),
    )
    add_action(con, "small", "policy_applied", ACTED, "team/api", 10.0)

    v = _one(realized_savings(con, Settings(), "2026-03"), "small")
    assert v.placebo_repositories == 8 and v.baseline_repositories == 8
    assert v.realized_low_usd < float(v.realized_monthly_savings_usd) < v.realized_high_usd
    # About 0.6/day saved against 10/month predicted: the whole interval is far above 80%.
    assert v.realized_low_usd > 0.8 * 10.0
    assert v.verdict == "realized" and "90% interval" in v.reason

    # The same saving against a prediction whose 80% lies inside the interval, 0.9 half-widths
    # below the point: a window of 18 / 0.9^2 -> 23 days each side would decide it.
    half = (v.realized_high_usd - v.realized_low_usd) / 2
    threshold = float(v.realized_monthly_savings_usd) - 0.9 * half
    con.execute(
        "UPDATE policy_actions SET predicted_monthly_savings_usd = $p", {"p": threshold / 0.8}
    )
    w = _one(realized_savings(con, Settings(), "2026-03"), "small")
    assert w.verdict == "too_early"
    assert (w.window_days, w.days_to_decide) == (18, 23)
    assert f"({w.days_to_decide} each side) would decide it" in w.reason
    assert w.realized_monthly_savings_usd == v.realized_monthly_savings_usd  # still shown


def test_only_the_twelve_months_to_the_period_are_judged(con):
    add_daily_storage(con, "team/api", date(2025, 3, 1), BILL_END, _flat(1.0))
    add_action(con, "old", "policy_applied", datetime(2025, 3, 20), "team/api", 5.0)
    add_action(con, "apr", "policy_applied", datetime(2025, 4, 1), "team/api", 5.0)
    add_action(con, "feb", "policy_applied", datetime(2026, 2, 20), "team/api", 5.0)
    add_action(
        con, "failed", "policy_applied", datetime(2026, 3, 3), "team/api", 5.0, status="failed"
    )
    add_action(con, "apr26", "policy_applied", datetime(2026, 4, 2), "team/api", 5.0)
    assert [v.action_id for v in realized_savings(con, Settings(), "2026-03")] == ["apr", "feb"]
    # A period's report reads only its own bill: nothing after 2025-04-30 for April 2025.
    (apr,) = [v for v in realized_savings(con, Settings(), "2025-04") if v.action_id == "apr"]
    assert apr.after_end <= date(2025, 4, 30)
    # Before: from the previous action's effective day 03-22 to 03-31 (10 days); after: 28.
    assert apr.window_days == 10
    assert apr.before_start == date(2025, 3, 22)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample organisation (3 months: its actions fall in the last two) in a warehouse."""
    out = tmp_path_factory.mktemp("sample") / "org"
    generate(out, seed=7, months=3, end="2026-10")
    c = warehouse.connect(":memory:")
    ingest(c, str(out / "cur-legacy-parquet"))
    actions = out / "inventory" / "actions.json"
    assert import_actions(c, actions) == len(json.loads(actions.read_text())) > 0
    assert (
        import_actions(c, actions) == c.execute("SELECT count(*) FROM policy_actions").fetchone()[0]
    )
    yield c, out
    c.close()


@pytest.mark.slow
def test_sample_actions_match_the_truth(sample):
    c, out = sample
    verdicts = {v.action_id: v for v in realized_savings(c, Settings(), "2026-10")}
    with (out / "truth" / "actions.csv").open(newline="") as f:
        truth = list(csv.DictReader(f))
    assert truth and set(verdicts) == {t["action_id"] for t in truth}
    # The truth: what the repository would have cost each day without the action (the same
    # pushes, nothing expired or deleted) less what it cost, over the same after window.
    scored = {s.action_id: s for s in score(list(verdicts.values()), daily_truth(out / "truth"))}
    assert set(scored) == set(verdicts)
    for t in truth:
        v, s = verdicts[t["action_id"]], scored[t["action_id"]]
        # Every action saved; in this young 3-month organisation (growing 20-30% a month)
        # some intervals are too wide to confirm 80% of the prediction, so "partly" is the
        # honest verdict there. The accuracy thresholds are checked over the bench's
        # configuration in test_savings_accuracy.py.
        assert v.verdict in ("realized", "partly"), (t["repository"], v.reason)
        assert s.true_monthly > 0 and s.estimate > 0, (t["repository"], s)
        assert s.low < s.estimate < s.high, (t["repository"], s)
        if t["action"] == "repository_deleted":
            assert v.after_daily_cost == 0


# realized_savings as it was before the intervals (money DOUBLE, no interval columns).
OLD_TABLE = (
    "CREATE TABLE realized_savings (billing_period VARCHAR NOT NULL, action_id VARCHAR NOT NULL,"
    " action VARCHAR NOT NULL, acted_at TIMESTAMP NOT NULL, account_id VARCHAR, region VARCHAR,"
    " repository_name VARCHAR NOT NULL, effective_day DATE NOT NULL, window_days INTEGER NOT"
    " NULL, before_start DATE, before_end DATE, after_start DATE, after_end DATE,"
    " before_daily_cost DOUBLE, after_daily_cost DOUBLE, baseline_change DOUBLE,"
    " baseline_repositories INTEGER NOT NULL, daily_saving DOUBLE, days_in_month INTEGER NOT"
    " NULL, predicted_monthly_savings_usd DOUBLE, realized_monthly_savings_usd DOUBLE,"
    " realized_ratio DOUBLE, verdict VARCHAR NOT NULL, reason VARCHAR NOT NULL, computed_at"
    " TIMESTAMP NOT NULL)"
)


def test_a_warehouse_made_before_the_intervals_keeps_working(tmp_path):
    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute(OLD_TABLE)
    old.close()
    c = warehouse.connect(path)  # the schema files add the interval columns
    add_daily_storage(c, "team/api", BILL_START, BILL_END, _step(1.0, 0.7, 0.4, ACTED.date()))
    add_daily_storage(c, "team/web", BILL_START, BILL_END, _flat(2.0))
    add_action(c, "a1", "policy_applied", ACTED, "team/api", 20.0)
    (judged,) = realized_savings(c, Settings(), "2026-03")
    (stored,) = stored_verdicts(c, "2026-03")
    c.close()
    assert stored.method == judged.method == "untouched"
    assert stored.realized_monthly_savings_usd == judged.realized_monthly_savings_usd
    assert isinstance(stored.daily_saving, Decimal) and stored.daily_saving == Decimal("0.6")
