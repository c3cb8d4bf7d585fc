"""Who saved: realized and predicted savings per action, repository, account, region or
cost-allocation tag value (folded as chargeback folds the bill's keys), for the period and the
12 months ending with it. Definitions: docs/realized-savings.md, "Who saved".
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ecrcost import sqlfiles
from ecrcost.attribution.folding import folder_from_settings
from ecrcost.attribution.views import parse_by
from ecrcost.errors import UserError
from ecrcost.periods import Period
from ecrcost.savings.bridge import days_effective
from ecrcost.savings.realized import SPAN_MONTHS, TOO_EARLY, ActionVerdict

if TYPE_CHECKING:
    import duckdb

    from ecrcost.settings import Settings

ZERO = Decimal(0)
UNTAGGED = "untagged"
GROUPS = ("action", "repository", "account", "region")


def parse_group(by: str) -> tuple[str, str | None]:
    """`action|repository|account|region|tag:KEY` -> (group, raw tag key)."""
    if by == "action":
        return "action", None
    try:
        return parse_by(by)
    except UserError:
        raise UserError(
            f"--by {by!r}: expected action, repository, account, region or tag:KEY (e.g. tag:team)"
        ) from None


def span(period: str) -> list[Period]:
    """The 12 months ending with `period`, oldest first."""
    last = Period.parse(period)
    return [last.shift(-i) for i in range(SPAN_MONTHS - 1, -1, -1)]


def action_row(v: ActionVerdict, period: str) -> dict[str, Any]:
    """One action's figures: its monthly saving with the interval, and the dollars it saved in
    the period and over the 12 months to it (its daily saving times its days in effect)."""
    judged = v.verdict != TOO_EARLY and v.daily_saving is not None
    cur, months = Period.parse(period), span(period)
    days_now = days_effective(v.effective_day, cur)
    days_span = sum(days_effective(v.effective_day, p) for p in months)
    predicted = v.predicted_monthly_savings_usd
    per_day = predicted / v.days_in_month if predicted is not None else None
    return {
        "action_id": v.action_id,
        "action": v.action,
        "acted_at": v.acted_at,
        "account_id": v.account_id,
        "region": v.region,
        "repository_name": v.repository_name,
        "effective_day": v.effective_day,
        "method": v.method,
        "window_days": v.window_days,
        "before_daily_cost": v.before_daily_cost,
        "after_daily_cost": v.after_daily_cost,
        "baseline_change": v.baseline_change,
        "verdict": v.verdict,
        "predicted_monthly_savings_usd": predicted,
        "realized_monthly_savings_usd": v.realized_monthly_savings_usd,
        "realized_low_usd": v.realized_low_usd,
        "realized_high_usd": v.realized_high_usd,
        "realized_ratio": v.realized_ratio,
        "annualized_usd": v.realized_monthly_savings_usd * 12 if judged else None,
        "period_predicted_usd": per_day * days_now if per_day is not None else None,
        "period_realized_usd": v.daily_saving * days_now if judged else None,
        "twelve_month_predicted_usd": per_day * days_span if per_day is not None else None,
        "twelve_month_realized_usd": v.daily_saving * days_span if judged else None,
        "days_to_decide": v.days_to_decide,
        "reason": v.reason,
    }


# Summed per group: exact (Decimal) for what the bill shows, floats for predictions and bounds.
EXACT = (
    "realized_monthly_savings_usd",
    "annualized_usd",
    "period_realized_usd",
    "twelve_month_realized_usd",
)
ROUGH = (
    "predicted_monthly_savings_usd",
    "realized_low_usd",
    "realized_high_usd",
    "period_predicted_usd",
    "twelve_month_predicted_usd",
)

BOUNDS = ("realized_low_usd", "realized_high_usd")


def group_rows(actions: list[dict[str, Any]], key: Callable[[dict], str]) -> list[dict[str, Any]]:
    """Actions summed per key, largest realized first. Realized figures (and the interval
    bounds, which then bound the sum: the actions share one baseline, so their errors are not
    independent) count the judged actions only; predicted figures count them too, so the two
    compare."""
    out: dict[str, dict[str, Any]] = {}
    for a in actions:
        k = key(a)
        if k not in out:
            out[k] = {"key": k, "actions": 0, "judged": 0, "too_early": 0}
            out[k] |= {c: ZERO for c in EXACT} | {c: 0.0 for c in ROUGH}
        g = out[k]
        g["actions"] += 1
        if a["verdict"] == TOO_EARLY or a["realized_monthly_savings_usd"] is None:
            g["too_early"] += 1
            continue
        g["judged"] += 1
        for c in (*EXACT, *ROUGH):
            if c in BOUNDS and (g[c] is None or a[c] is None):
                g[c] = None  # an action without an interval leaves the sum without bounds
            else:
                g[c] += a[c] or 0
    return sorted(out.values(), key=lambda g: (-g["realized_monthly_savings_usd"], g["key"]))


def rollup(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: str,
    by: str,
    verdicts: list[ActionVerdict],
) -> dict[str, Any]:
    """`{"by", "tag_key"?, "rows"}`: one row per action, or per group with the sums."""
    group, raw_key = parse_group(by)
    actions = [action_row(v, period) for v in verdicts]
    if group == "action":
        return {"by": by, "rows": actions}
    if group == "repository":
        return {
            "by": by,
            "rows": group_rows(
                actions,
                lambda a: f"{a['account_id']}:{a['region']}:{a['repository_name']}",
            ),
        }
    if group in ("account", "region"):
        column = f"{group}_id" if group == "account" else group
        return {"by": by, "rows": group_rows(actions, lambda a: a[column] or "(unknown)")}
    tag_key, values = _tag_values(con, settings, period, raw_key or "")

    def value_of(a: dict) -> str:
        for (account, region, name), value in values.items():
            if (
                name == a["repository_name"]
                and a["account_id"] in (None, account)
                and a["region"] in (None, region)
            ):
                return value
        return UNTAGGED

    return {"by": by, "tag_key": tag_key, "rows": group_rows(actions, value_of)}


def _tag_values(
    con: duckdb.DuckDBPyConnection, settings: Settings, period: str, raw_key: str
) -> tuple[str, dict[tuple, str]]:
    """The canonical key `raw_key` means (as `ecrcost costs --by tag:KEY` resolves it) and each
    repository's newest value of it over the 12 months."""
    folder = folder_from_settings(settings)
    known = [
        r["tag_key"] for r in sqlfiles.records(con, "marts/tag_keys_in_period", {"period": period})
    ]
    key = next((k for k in known if folder.same_key(k, raw_key)), None)
    if key is None:
        raise UserError(
            f"--by tag:{raw_key}: no tag key folds to '{folder.canonical(raw_key)}' in period "
            f"{period} (keys there: {', '.join(known) or 'none'}); add it to tag_keys in "
            "ecrcost.toml"
        )
    rows = sqlfiles.records(
        con,
        "savings/repository_tag_values",
        {"periods": [str(p) for p in span(period)], "tag_key": key},
    )
    return key, {(r["account_id"], r["region"], r["repository_name"]): r["tag_value"] for r in rows}
