"""The bridge from the prior period's spend to this period's, step by step, to the cent.

prior spend + organic change of untouched repositories + change of touched repositories before
their actions took effect - each action's realized saving + new repositories - deleted ones
+ change of their adjustments + change of the spend without a repository = this spend.

Every figure is the marts' (repository_costs, unattributed_costs), added up as DECIMAL, so the
steps add up exactly. The definitions of each step: docs/realized-savings.md, "The bridge".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ecrcost import sqlfiles
from ecrcost.periods import Period
from ecrcost.savings.realized import ActionVerdict

if TYPE_CHECKING:
    import duckdb

ZERO = Decimal(0)
ACTION_LABELS = {
    "policy_applied": "policy applied",
    "policy_restored": "policy restored",
    "repository_deleted": "repository deleted",
}


@dataclass(frozen=True)
class Step:
    key: (
        str  # start | organic | touched | action | new | deleted | adjustments | unattributed | end
    )
    label: str
    amount: Decimal  # the change it brings (start and end: the spend itself)
    repositories: int = 0
    action_id: str | None = None


@dataclass(frozen=True)
class Bridge:
    period: str
    prior: str
    steps: list[Step]
    not_in_bridge: list[str]  # actions acted in the span whose saving has no step, and why

    @property
    def start(self) -> Decimal:
        return self.steps[0].amount

    @property
    def end(self) -> Decimal:
        return self.steps[-1].amount

    @property
    def changes(self) -> list[Step]:
        return self.steps[1:-1]


def days_effective(effective: date, period: Period) -> int:
    """Days of `period` on or after an action's effective day."""
    if effective > period.last_day:
        return 0
    return (period.last_day - max(effective, period.first_day)).days + 1


def saving_in_change(v: ActionVerdict, period: Period, prior: Period) -> Decimal:
    """What the action took off the change from `prior` to `period`: its daily saving over
    the days it was in effect in `period`, less those in `prior` (already in last spend)."""
    if v.daily_saving is None:
        return ZERO
    more = days_effective(v.effective_day, period) - days_effective(v.effective_day, prior)
    return v.daily_saving * more


def _key(account: str | None, region: str | None, name: str) -> tuple:
    return (account, region, name)


def _matches(v: ActionVerdict, key: tuple) -> bool:
    account, region, name = key
    return (
        v.repository_name == name and v.account_id in (None, account) and v.region in (None, region)
    )


def build_bridge(
    con: duckdb.DuckDBPyConnection, period: str, verdicts: list[ActionVerdict]
) -> Bridge:
    """The bridge of `period` from the one before, over the marts of both (built first) and the
    period's judged actions (`realized_savings(con, settings, period)`)."""
    cur, prior = Period.parse(period), Period.parse(period).shift(-1)
    params = {"period": period, "prior": str(prior)}
    repos = sqlfiles.records(con, "savings/bridge_repositories", params)
    unattributed, prior_unattributed = sqlfiles.run(
        con, "savings/bridge_unattributed", params
    ).fetchall()[0]
    acting = [v for v in verdicts if prior.first_day <= v.effective_day <= cur.last_day]
    both = [r for r in repos if r["gross"] is not None and r["prior_gross"] is not None]
    touched_keys = {
        _key(r["account_id"], r["region"], r["repository_name"])
        for r in both
        if any(
            _matches(v, _key(r["account_id"], r["region"], r["repository_name"])) for v in acting
        )
    }

    def total(rows, column) -> Decimal:
        return sum((r[column] or ZERO for r in rows), ZERO)

    def change(rows) -> Decimal:
        return total(rows, "gross") - total(rows, "prior_gross")

    touched = [
        r for r in both if _key(r["account_id"], r["region"], r["repository_name"]) in touched_keys
    ]
    untouched = [r for r in both if r not in touched]
    new = [r for r in repos if r["prior_gross"] is None]
    deleted = [r for r in repos if r["gross"] is None]
    action_steps, left_out = [], []
    for v in acting:
        billed_both = any(_matches(v, k) for k in touched_keys)
        if not billed_both:
            left_out.append(
                f"{v.action_id} ({v.repository_name}): not billed in both periods, so its "
                "spend is under new or deleted repositories"
            )
            continue
        if v.daily_saving is None:
            left_out.append(
                f"{v.action_id} ({v.repository_name}): too early to estimate; its repository's "
                "whole change is under touched repositories"
            )
            continue
        action_steps.append(
            Step(
                "action",
                f"{ACTION_LABELS.get(v.action, v.action)}: {v.repository_name}",
                -saving_in_change(v, cur, prior),
                1,
                v.action_id,
            )
        )
    saved = -sum((s.amount for s in action_steps), ZERO)
    start = total(repos, "prior_gross") + total(repos, "prior_adjustments") + prior_unattributed
    end = total(repos, "gross") + total(repos, "adjustments") + unattributed
    steps = [
        Step("start", f"spend {prior}", start, len(repos) - len(new)),
        Step(
            "organic", "organic change of untouched repositories", change(untouched), len(untouched)
        ),
        Step(
            "touched",
            "change of touched repositories before their actions took effect",
            change(touched) + saved,
            len(touched),
        ),
        *action_steps,
        Step("new", "new repositories", total(new, "gross"), len(new)),
        Step("deleted", "deleted repositories", -total(deleted, "prior_gross"), len(deleted)),
        Step(
            "adjustments",
            "credits, discounts, tax of repositories",
            total(repos, "adjustments") - total(repos, "prior_adjustments"),
            len(repos),
        ),
        Step(
            "unattributed",
            "spend without a repository",
            unattributed - prior_unattributed,
        ),
        Step("end", f"spend {period}", end, len(repos) - len(deleted)),
    ]
    return Bridge(period, str(prior), steps, left_out)
