"""Realized savings: did each action in the action log lower the bill as predicted?

Each `done` action of the 12 months ending with the report period is compared over equal
windows before and after it took effect (the action day and the next left out, the bill's last
data-lag days left out) against what its repository would have cost without it
(`counterfactual.py`), with an interval from placebos, and given a verdict that the interval
supports. Money is Decimal from the bill's DECIMAL sums. The windows, formulas and thresholds,
with their AWS sources: docs/realized-savings.md.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from ecrcost import fmt, sqlfiles
from ecrcost.periods import Period
from ecrcost.savings import counterfactual as cf
from ecrcost.warehouse import transaction

if TYPE_CHECKING:
    import duckdb

    from ecrcost.settings import Settings

MAX_WINDOW_DAYS = 28
MAX_HISTORY_DAYS = 56  # the own trend is fitted on up to eight weeks before the action
PLACEBO_LIMIT = 200  # the largest untouched repositories, each run as a placebo
ZERO = Decimal(0)
MIN_AFTER_DAYS = 7
EFFECT_DELAY_DAYS = 2  # the action day and the following day are left out
REALIZED_RATIO = 0.8
PARTLY_RATIO = 0.2
SPAN_MONTHS = 12  # actions judged in a period's report: the 12 months ending with it

REALIZED = "realized"
PARTLY = "partly"
NOT_REALIZED = "not_realized"
TOO_EARLY = "too_early"
VERDICT_LABELS = {
    REALIZED: "realized",
    PARTLY: "partly realized",
    NOT_REALIZED: "not realized",
    TOO_EARLY: "too early to tell",
}


@dataclass(frozen=True)
class ActionVerdict:
    period: str
    action_id: str
    action: str
    acted_at: datetime
    account_id: str | None
    region: str | None
    repository_name: str
    effective_day: date
    window_days: int
    before_start: date | None
    before_end: date | None
    after_start: date | None
    after_end: date | None
    history_days: int  # pre-action days the own trend was fitted on (0: not used)
    method: str | None  # counterfactual.UNTOUCHED | counterfactual.OWN_TREND
    before_daily_cost: Decimal | None
    after_daily_cost: Decimal | None
    baseline_change: float | None  # the counterfactual against the before level, less one
    baseline_repositories: int
    daily_saving: Decimal | None
    days_in_month: int
    predicted_monthly_savings_usd: float | None
    realized_monthly_savings_usd: Decimal | None
    realized_low_usd: float | None  # the interval of the monthly saving (INTERVAL_LEVEL)
    realized_high_usd: float | None
    placebo_repositories: int
    days_to_decide: int | None  # too early: days each side that would decide it
    realized_ratio: float | None
    verdict: str
    reason: str


@dataclass(frozen=True)
class SavingsTotal:
    judged: int
    too_early: int
    predicted_monthly_savings_usd: float  # over the judged actions
    realized_monthly_savings_usd: Decimal


def _as_dt(d: date) -> datetime:
    """Midnight (naive UTC, as the warehouse stores times) of a day."""
    return datetime(d.year, d.month, d.day)


def realized_savings(
    con: duckdb.DuckDBPyConnection, settings: Settings, period: str, method: str | None = None
) -> list[ActionVerdict]:
    """Judge the actions of the 12 months ending with `period` against the bill up to the end
    of `period`; replace the period's rows of realized_savings in one transaction. `method`
    forces one counterfactual for every action (bench/savings.py compares them)."""
    judged = Period.parse(period)
    rows = sqlfiles.run(con, "savings/bill_days", {"period_end": judged.end_at}).fetchall()
    days = {r[0] for r in rows}
    horizon: date | None = None
    if rows:
        horizon = min(judged.last_day, rows[0][1] - timedelta(days=settings.data_lag_days))
    span_start = judged.shift(-(SPAN_MONTHS - 1)).start_at
    actions = sqlfiles.records(con, "savings/actions", {"from": span_start, "to": judged.end_at})
    windows = [_window(a, days, horizon) for a in actions]
    series = _daily_series(con, actions, windows)
    verdicts = [
        _judge(period, a, w, series.get(a["action_id"]), method)
        for a, w in zip(actions, windows, strict=True)
    ]
    _store(con, period, verdicts)
    return verdicts


def stored_verdicts(con: duckdb.DuckDBPyConnection, period: str) -> list[ActionVerdict]:
    """The verdicts `realized_savings` stored for `period`, as it returned them (DECIMAL and
    DOUBLE columns give back the same values), so the report shows what `savings` printed."""
    rows = sqlfiles.records(con, "savings/stored_rows", {"period": period})
    names = {f.name for f in fields(ActionVerdict)}
    return [
        ActionVerdict(period=period, **{k: _exact(k, v) for k, v in r.items() if k in names})
        for r in rows
    ]


EXACT_COLUMNS = (
    "before_daily_cost",
    "after_daily_cost",
    "daily_saving",
    "realized_monthly_savings_usd",
)


def _exact(name: str, value):
    """A warehouse made before these columns were DECIMAL keeps DOUBLE ones: read as Decimal."""
    if isinstance(value, float) and name in EXACT_COLUMNS:
        return Decimal(repr(value))
    return value


def total(verdicts: list[ActionVerdict]) -> SavingsTotal:
    judged = [v for v in verdicts if v.verdict != TOO_EARLY]
    return SavingsTotal(
        judged=len(judged),
        too_early=len(verdicts) - len(judged),
        predicted_monthly_savings_usd=sum(v.predicted_monthly_savings_usd or 0.0 for v in judged),
        realized_monthly_savings_usd=sum(
            (v.realized_monthly_savings_usd or Decimal(0) for v in judged), Decimal(0)
        ),
    )


@dataclass(frozen=True)
class _Window:
    effective_day: date
    n: int
    before_start: date | None = None
    before_end: date | None = None
    after_start: date | None = None
    after_end: date | None = None
    history_start: date | None = None
    after_available: int = 0  # days after the effective day the bill could show
    before_available: int = 0  # days before the action day (up to MAX_HISTORY_DAYS)

    def windows(self) -> cf.Windows:
        assert self.before_start and self.before_end and self.after_start and self.after_end
        return cf.Windows(
            self.history_start or self.before_start,
            self.before_start,
            self.before_end,
            self.after_start,
            self.after_end,
        )


def _window(action: dict, days: set[date], horizon: date | None) -> _Window:
    acted = action["acted_at"].date()
    effective = acted + timedelta(days=EFFECT_DELAY_DAYS)
    if horizon is None:
        return _Window(effective, 0)
    after_limit = horizon
    if action["next_acted_at"] is not None:
        after_limit = min(after_limit, action["next_acted_at"].date() - timedelta(days=1))
    before_limit = min(days) if days else acted
    if action["previous_acted_at"] is not None:
        prev_effective = action["previous_acted_at"].date() + timedelta(days=EFFECT_DELAY_DAYS)
        before_limit = max(before_limit, prev_effective)
    after = 0
    while after < MAX_WINDOW_DAYS:
        day = effective + timedelta(days=after)
        if day > after_limit or day not in days:
            break
        after += 1
    before = 0
    while before < MAX_HISTORY_DAYS:
        day = acted - timedelta(days=before + 1)
        if day < before_limit or day not in days:
            break
        before += 1
    n = min(after, before, MAX_WINDOW_DAYS)
    if n == 0:
        return _Window(effective, 0, after_available=after, before_available=before)
    return _Window(
        effective,
        n,
        before_start=acted - timedelta(days=n),
        before_end=acted - timedelta(days=1),
        after_start=effective,
        after_end=effective + timedelta(days=n - 1),
        history_start=acted - timedelta(days=before),
        after_available=after,
        before_available=before,
    )


@dataclass
class _Series:
    target: dict[date, Decimal]
    baseline: dict[date, Decimal]  # every untouched repository, summed per day
    repositories: int  # untouched repositories in the baseline
    placebos: dict[tuple, dict[date, Decimal]]  # the largest untouched ones, each on its own


def _daily_series(
    con: duckdb.DuckDBPyConnection, actions: list[dict], windows: list[_Window]
) -> dict[str, _Series]:
    pairs = [(a, w) for a, w in zip(actions, windows, strict=True) if w.n >= MIN_AFTER_DAYS]
    if not pairs:
        return {}
    sqlfiles.insert_staged(
        con,
        "savings/stage_windows",
        {
            "action_id": [a["action_id"] for a, _ in pairs],
            "account_id": [a["account_id"] for a, _ in pairs],
            "region": [a["region"] for a, _ in pairs],
            "repository_name": [a["repository_name"] for a, _ in pairs],
            "history_start": [w.history_start for _, w in pairs],
            "before_start": [w.before_start for _, w in pairs],
            "before_end": [w.before_end for _, w in pairs],
            "after_start": [w.after_start for _, w in pairs],
            "after_end": [w.after_end for _, w in pairs],
        },
    )
    params = {
        "from": _as_dt(min(w.history_start for _, w in pairs)),
        "to": _as_dt(max(w.after_end for _, w in pairs) + timedelta(days=1)),
        "placebo_limit": PLACEBO_LIMIT,
    }
    out = {a["action_id"]: _Series({}, {}, 0, {}) for a, _ in pairs}
    rows = sqlfiles.run(con, "savings/window_daily_costs", params).fetchall()
    for action_id, role, account, region, name, repositories, day, cost in rows:
        s = out[action_id]
        if role == "target":
            s.target[day] = cost
        elif role == "baseline":
            s.baseline[day] = cost
            s.repositories = repositories
        else:
            s.placebos.setdefault((account, region, name), {})[day] = cost
    return out


def _placebo_errors(s: _Series, w: cf.Windows, methods: list[str]) -> dict[str, list[float]]:
    """Per counterfactual, each placebo's standardised error: the method run on an untouched
    repository (against the others) over the action's days, where the true saving is zero."""
    errors: dict[str, list[float]] = {m: [] for m in methods}
    for own in s.placebos.values():
        rest = {d: s.baseline.get(d, ZERO) - own.get(d, ZERO) for d in s.baseline}
        for m in methods:
            e = cf.standardised_error(cf.estimate(own, rest, w, m))
            if e is not None:
                errors[m].append(e)
    return errors


def _judge(
    period: str, action: dict, w: _Window, s: _Series | None, method: str | None
) -> ActionVerdict:
    predicted = action["predicted_monthly_savings_usd"]
    month_days = Period.of(w.effective_day).days
    base = {
        "period": period,
        "action_id": action["action_id"],
        "action": action["action"],
        "acted_at": action["acted_at"],
        "account_id": action["account_id"],
        "region": action["region"],
        "repository_name": action["repository_name"],
        "effective_day": w.effective_day,
        "days_in_month": month_days,
        "predicted_monthly_savings_usd": predicted,
    }
    if s is None:
        if w.after_available < MIN_AFTER_DAYS:
            more = MIN_AFTER_DAYS - w.after_available
            why = (
                f"only {w.after_available} comparable day(s) of the bill after it took effect on "
                f"{w.effective_day} (at least {MIN_AFTER_DAYS} needed; the last "
                f"data-lag days are left out): {more} more day(s) of bill would decide it"
            )
        else:
            more = None
            why = (
                f"only {w.n} comparable day(s) of the bill before the action (at least "
                f"{MIN_AFTER_DAYS} needed on each side)"
            )
        return ActionVerdict(
            **base,
            window_days=w.n,
            before_start=None,
            before_end=None,
            after_start=None,
            after_end=None,
            history_days=0,
            method=None,
            before_daily_cost=None,
            after_daily_cost=None,
            baseline_change=None,
            baseline_repositories=0,
            daily_saving=None,
            realized_monthly_savings_usd=None,
            realized_low_usd=None,
            realized_high_usd=None,
            placebo_repositories=0,
            days_to_decide=w.after_available + more if more else None,
            realized_ratio=None,
            verdict=TOO_EARLY,
            reason=why,
        )
    windows = w.windows()
    est = cf.estimate(s.target, s.baseline, windows, method)
    realized = est.daily_saving * month_days
    methods = list(dict.fromkeys([cf.UNTOUCHED, est.method]))
    interval = cf.placebo_interval(est, _placebo_errors(s, windows, methods))
    ratio = float(realized) / predicted if predicted is not None and predicted > 0 else None
    # More bill lengthens the window while the before side has the days.
    window_limit = min(MAX_WINDOW_DAYS, w.before_available)
    verdict, days_needed, reason = _verdict(
        est, realized, interval, month_days, predicted, ratio, w.n, window_limit, s.repositories
    )
    return ActionVerdict(
        **base,
        window_days=w.n,
        before_start=w.before_start,
        before_end=w.before_end,
        after_start=w.after_start,
        after_end=w.after_end,
        history_days=windows.history_days if est.method == cf.OWN_TREND else 0,
        method=est.method,
        before_daily_cost=est.before_daily,
        after_daily_cost=est.after_daily,
        baseline_change=float(est.baseline_change),
        baseline_repositories=s.repositories,
        daily_saving=est.daily_saving,
        realized_monthly_savings_usd=realized,
        realized_low_usd=interval.low * month_days if interval else None,
        realized_high_usd=interval.high * month_days if interval else None,
        placebo_repositories=interval.placebos if interval else 0,
        days_to_decide=days_needed,
        realized_ratio=ratio,
        verdict=verdict,
        reason=reason,
    )


def _verdict(
    est: cf.Estimate,
    realized: Decimal,
    interval: cf.Interval | None,
    month_days: int,
    predicted: float | None,
    ratio: float | None,
    n: int,
    window_limit: int,
    baseline_repositories: int,
) -> tuple[str, int | None, str]:
    """(verdict, days each side that would decide it, reason). "realized" only when the whole
    interval is at or above REALIZED_RATIO of the prediction (above $0 without one); an
    interval across a threshold is "too early" while a longer window (up to `window_limit`
    days each side) could decide it, else the point decides, one level more modestly."""
    g = float(est.baseline_change)
    trend = "" if abs(g) < 0.0005 else f", counterfactual {fmt.signed_share(g)}"
    point = float(realized)
    facts = (
        f"{fmt.money(est.before_daily, 4)}/day over {n} days before, "
        f"{fmt.money(est.after_daily, 4)}/day after{trend} ({cf.METHOD_LABELS[est.method]}); "
        f"{'saves' if point >= 0 else 'costs'} {fmt.money(abs(point))}/month"
    )
    if interval is None:
        facts += (
            f"; no interval: {baseline_repositories} untouched repositories to measure the "
            f"method's error on ({cf.MIN_PLACEBOS} needed)"
        )
        low = high = point
    else:
        low, high = interval.low * month_days, interval.high * month_days
        level = fmt.share(cf.INTERVAL_LEVEL, places=0)
        facts += f", {level} interval {fmt.money(low)} to {fmt.money(high)}"
    if ratio is None:
        what = "no saving was predicted"
        levels = [(0.0, REALIZED)]
    else:
        p = predicted or 0.0
        what = f"{fmt.share(ratio, places=0)} of the predicted {fmt.money(p)}/month"
        levels = [(REALIZED_RATIO * p, REALIZED), (PARTLY_RATIO * p, PARTLY)]
    across = [t for t, _ in levels if low < t <= high]
    if across and interval is not None:
        nearest = min(across, key=lambda t: abs(point - t))
        needed = cf.days_to_decide(n, interval.half_width * month_days, abs(point - nearest))
        if needed is not None and needed <= window_limit:
            return (
                TOO_EARLY,
                needed,
                f"{what}, but the interval reaches across {fmt.money(nearest)}/month: about "
                f"{needed - n} more day(s) of bill ({needed} each side) would decide it; {facts}",
            )
    for t, label in levels:  # the whole interval on one side of a threshold
        if low >= t:
            return label, None, f"{what}: {facts}"
    for t, label in levels:  # the point above it, the interval reaching below
        if point >= t and label == REALIZED and ratio is not None:
            return PARTLY, None, f"{what}, the interval reaching below {fmt.money(t)}: {facts}"
        if point >= t and label == PARTLY:
            return PARTLY, None, f"{what}, the interval reaching below {fmt.money(t)}: {facts}"
    if point < 0:
        return NOT_REALIZED, None, f"cost rose beyond the counterfactual: {what}; {facts}"
    if ratio is None or point == 0:
        return NOT_REALIZED, None, f"no saving beyond the counterfactual shown: {what}; {facts}"
    return NOT_REALIZED, None, f"only {what}: {facts}"


def _store(con: duckdb.DuckDBPyConnection, period: str, verdicts: list[ActionVerdict]) -> None:
    columns = [f.name for f in fields(ActionVerdict) if f.name != "period"]
    with transaction(con):
        sqlfiles.run(con, "savings/delete_period", {"period": period})
        if not verdicts:
            return
        sqlfiles.insert_staged(
            con,
            "savings/insert_rows",
            {name: [getattr(v, name) for v in verdicts] for name in columns},
            {"period": period, "computed_at": datetime.now(UTC).replace(tzinfo=None)},
        )
