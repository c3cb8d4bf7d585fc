"""Realized savings: did each action in the action log lower the bill as predicted?

Each `done` action of the 12 months ending with the report period is compared over equal
windows before and after it took effect (the action day and the next left out, the bill's last
data-lag days left out), net of the untouched repositories' trend, and given a verdict. The
windows, formulas and verdict thresholds, with their AWS sources: docs/realized-savings.md.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from ecrcost import fmt, sqlfiles
from ecrcost.periods import Period
from ecrcost.warehouse import transaction

if TYPE_CHECKING:
    import duckdb

    from ecrcost.settings import Settings

MAX_WINDOW_DAYS = 28
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
    before_daily_cost: float | None
    after_daily_cost: float | None
    baseline_change: float | None
    baseline_repositories: int
    daily_saving: float | None
    days_in_month: int
    predicted_monthly_savings_usd: float | None
    realized_monthly_savings_usd: float | None
    realized_ratio: float | None
    verdict: str
    reason: str


@dataclass(frozen=True)
class SavingsTotal:
    judged: int
    too_early: int
    predicted_monthly_savings_usd: float  # over the judged actions
    realized_monthly_savings_usd: float


def _as_dt(d: date) -> datetime:
    """Midnight (naive UTC, as the warehouse stores times) of a day."""
    return datetime(d.year, d.month, d.day)


def realized_savings(
    con: duckdb.DuckDBPyConnection, settings: Settings, period: str
) -> list[ActionVerdict]:
    """Judge the actions of the 12 months ending with `period` against the bill up to the end
    of `period`; replace the period's rows of realized_savings in one transaction."""
    judged = Period.parse(period)
    rows = sqlfiles.run(con, "savings/bill_days", {"period_end": judged.end_at}).fetchall()
    days = {r[0] for r in rows}
    horizon: date | None = None
    if rows:
        horizon = min(judged.last_day, rows[0][1] - timedelta(days=settings.data_lag_days))
    span_start = judged.shift(-(SPAN_MONTHS - 1)).start_at
    actions = sqlfiles.records(con, "savings/actions", {"from": span_start, "to": judged.end_at})
    windows = [_window(a, days, horizon) for a in actions]
    sums = _window_sums(con, actions, windows)
    verdicts = [
        _judge(period, a, w, sums.get(a["action_id"]))
        for a, w in zip(actions, windows, strict=True)
    ]
    _store(con, period, verdicts)
    return verdicts


def total(verdicts: list[ActionVerdict]) -> SavingsTotal:
    judged = [v for v in verdicts if v.verdict != TOO_EARLY]
    return SavingsTotal(
        judged=len(judged),
        too_early=len(verdicts) - len(judged),
        predicted_monthly_savings_usd=sum(v.predicted_monthly_savings_usd or 0.0 for v in judged),
        realized_monthly_savings_usd=sum(v.realized_monthly_savings_usd or 0.0 for v in judged),
    )


@dataclass(frozen=True)
class _Window:
    effective_day: date
    n: int
    before_start: date | None = None
    before_end: date | None = None
    after_start: date | None = None
    after_end: date | None = None
    after_available: int = 0  # days after the effective day the bill could show


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
    while before < MAX_WINDOW_DAYS:
        day = acted - timedelta(days=before + 1)
        if day < before_limit or day not in days:
            break
        before += 1
    n = min(after, before)
    if n == 0:
        return _Window(effective, 0, after_available=after)
    return _Window(
        effective,
        n,
        before_start=acted - timedelta(days=n),
        before_end=acted - timedelta(days=1),
        after_start=effective,
        after_end=effective + timedelta(days=n - 1),
        after_available=after,
    )


def _window_sums(
    con: duckdb.DuckDBPyConnection, actions: list[dict], windows: list[_Window]
) -> dict[str, dict]:
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
            "before_start": [w.before_start for _, w in pairs],
            "before_end": [w.before_end for _, w in pairs],
            "after_start": [w.after_start for _, w in pairs],
            "after_end": [w.after_end for _, w in pairs],
        },
    )
    params = {
        "from": _as_dt(min(w.before_start for _, w in pairs)),
        "to": _as_dt(max(w.after_end for _, w in pairs) + timedelta(days=1)),
    }
    return {r["action_id"]: r for r in sqlfiles.records(con, "savings/window_costs", params)}


def _judge(period: str, action: dict, w: _Window, sums: dict | None) -> ActionVerdict:
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
    if sums is None:
        if w.after_available < MIN_AFTER_DAYS:
            why = (
                f"only {w.after_available} comparable day(s) of the bill after it took effect on "
                f"{w.effective_day} (at least {MIN_AFTER_DAYS} needed; the last "
                "data-lag days are left out)"
            )
        else:
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
            before_daily_cost=None,
            after_daily_cost=None,
            baseline_change=None,
            baseline_repositories=0,
            daily_saving=None,
            realized_monthly_savings_usd=None,
            realized_ratio=None,
            verdict=TOO_EARLY,
            reason=why,
        )
    n = w.n
    before = sums["before_cost"] / n
    after = sums["after_cost"] / n
    g = 0.0
    if sums["baseline_before"] > 0:
        g = sums["baseline_after"] / sums["baseline_before"] - 1.0
    saving = before * (1.0 + g) - after
    realized = saving * month_days
    ratio = realized / predicted if predicted is not None and predicted > 0 else None
    verdict, reason = _verdict(before, after, g, realized, predicted, ratio, n)
    return ActionVerdict(
        **base,
        window_days=n,
        before_start=w.before_start,
        before_end=w.before_end,
        after_start=w.after_start,
        after_end=w.after_end,
        before_daily_cost=before,
        after_daily_cost=after,
        baseline_change=g,
        baseline_repositories=int(sums["baseline_repositories"]),
        daily_saving=saving,
        realized_monthly_savings_usd=realized,
        realized_ratio=ratio,
        verdict=verdict,
        reason=reason,
    )


def _verdict(
    before: float,
    after: float,
    g: float,
    realized: float,
    predicted: float | None,
    ratio: float | None,
    n: int,
) -> tuple[str, str]:
    trend = "" if abs(g) < 0.0005 else f", untouched repositories {fmt.signed_share(g)}"
    facts = (
        f"{fmt.money(before, 4)}/day over {n} days before, {fmt.money(after, 4)}/day after"
        f"{trend}; {'saves' if realized >= 0 else 'costs'} {fmt.money(abs(realized))}/month"
    )
    if ratio is None:
        what = "no saving was predicted"
        if realized > 0:
            return REALIZED, f"{what}; {facts}"
        return NOT_REALIZED, f"{what}; cost rose beyond the trend: {facts}"
    of = f"{fmt.share(ratio, places=0)} of the predicted {fmt.money(predicted or 0.0)}/month"
    if realized <= 0:
        return NOT_REALIZED, f"cost did not fall beyond the trend: {facts}"
    if ratio >= REALIZED_RATIO:
        return REALIZED, f"{of}: {facts}"
    if ratio >= PARTLY_RATIO:
        return PARTLY, f"only {of}: {facts}"
    return NOT_REALIZED, f"only {of}: {facts}"


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
