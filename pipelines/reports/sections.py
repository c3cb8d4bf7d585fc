"""The report's sections as plain data: figures, tables (each also a CSV file) and charts.

Every figure is read from the warehouse with the SQL in sql/reports/; the attribution marts,
findings and realized_savings tables are used as they are, never re-derived. A section whose
source is missing says "not available: <why>" instead of failing the whole report.

Values keep their raw type here (floats unrounded, names as billed): the templates format and
escape them, the CSV writer writes them as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ecrcost import sqlfiles
from ecrcost.attribution.forecast import repository_forecasts, trend_periods
from ecrcost.fmt import utc_minute
from ecrcost.lifecycle.policy import PolicyError, parse_policy
from ecrcost.periods import Period
from ecrcost.reports import charts
from ecrcost.reports.bridge import bridge
from ecrcost.reports.parts import Column, Context, Figure, Section, Table, unavailable
from ecrcost.savings.counterfactual import INTERVAL_LEVEL, METHOD_LABELS
from ecrcost.savings.realized import SPAN_MONTHS, VERDICT_LABELS, stored_verdicts
from ecrcost.savings.rollup import action_row, group_rows
from ecrcost.savings.view import floats

if TYPE_CHECKING:
    import duckdb

    from ecrcost.settings import Settings

TOP = 10
# Finding kinds that name bytes to remove (the rest describe: largest, no policy, duplicates
# spread over repositories); the headline's "still available" counts these.
SAVING_KINDS = ("untagged_images", "stale_repository")
# Finding kinds in plain words (the CSV keeps the kind's name).
KIND_LABELS = {
    "no_policy": "no lifecycle policy",
    "idle_policy": "policy that removes nothing",
    "untagged_images": "untagged images",
    "stale_repository": "stale repository",
    "empty_repository": "empty repository",
    "largest_repository": "largest repositories",
    "largest_image": "largest images",
    "largest_layer": "largest layers",
    "duplicate_image": "same image in several repositories",
}
ACTION_MARK = {
    "policy_applied": "apply",
    "policy_restored": "restore",
    "repository_deleted": "delete",
}
TREND_MONTHS = 12


# --- helpers ---------------------------------------------------------------------------------


def last_months(period: str, count: int) -> list[str]:
    """The `count` periods ending with `period`, oldest first."""
    last = Period.parse(period)
    return [str(last.shift(-i)) for i in range(count - 1, -1, -1)]


def repo_label(r: dict[str, Any]) -> str:
    return f"{r['repository_name']} ({r['account_id']}/{r['region']})"


# A period's spend, as the headline and the trend show it.
_SPEND_COLUMNS = [
    Column("period", "period"),
    Column("total_cost", "total (net)", "money"),
    Column("usage_cost", "gross usage", "money"),
    Column("adjustments", "adjustments", "signed_money"),
]


def report_periods(period: str, compare: str) -> list[str]:
    """Every period a report reads totals of: the trend's months and the comparison period."""
    return sorted({*last_months(period, TREND_MONTHS), compare})


def build_context(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: str,
    compare: str,
    snapshot_id: str | None = None,
    snapshot_notes: tuple[str, ...] = (),
) -> Context:
    """What every section reads; the inventory is snapshot `snapshot_id` (default: the one the
    latest_snapshot view picks, the newest complete snapshot)."""
    wanted = report_periods(period, compare)
    totals = {
        r["period"]: r for r in sqlfiles.records(con, "reports/period_totals", {"periods": wanted})
    }
    marts = {
        r["billing_period"]: r
        for r in sqlfiles.records(con, "reports/marts_built", {"periods": [period, compare]})
    }
    snap = sqlfiles.records(con, "reports/inventory_snapshot", {"snapshot_id": snapshot_id})
    days = sqlfiles.run(con, "reports/period_days", {"periods": trend_periods(period)}).fetchall()
    return Context(
        con,
        settings,
        period,
        compare,
        marts,
        totals,
        snap[0] if snap else None,
        snapshot_notes,
        days=dict(days),
    )


def _no_marts(ctx: Context, period: str) -> str:
    if period not in ctx.totals:
        return f"no billing data for {period} is loaded"
    return (
        f"the attribution marts of {period} are not built (run `ecrcost costs --period {period}`"
        " or `ecrcost report`, which builds them)"
    )


# --- sections --------------------------------------------------------------------------------


def headline(ctx: Context) -> Section:
    """The savings story first: realized savings, what is still available, then spend and its
    change, then repositories billed."""
    title = "Headline"
    cur = ctx.totals.get(ctx.period)
    if cur is None:
        return unavailable("headline", title, f"no billing data for {ctx.period} is loaded")
    prev = ctx.totals.get(ctx.compare)
    s = Section("headline", title)
    _realized_figures(ctx, s)
    _available_figures(ctx, s)
    spend = "Spend"
    s.figures.append(Figure(f"ECR spend {ctx.period}", cur["total_cost"], group=spend))
    if prev is not None:
        change = cur["total_cost"] - prev["total_cost"]
        ratio = change / prev["total_cost"] if prev["total_cost"] else None
        s.figures.append(Figure(f"ECR spend {ctx.compare}", prev["total_cost"], group=spend))
        s.figures.append(Figure("change", change, "signed_money", group=spend))
        s.figures.append(Figure("change %", ratio, "signed_pct", group=spend))
    else:
        s.text.append(f"No billing data for {ctx.compare} is loaded to compare with.")
    s.figures.append(
        Figure("repositories billed", cur["repositories"], "int", group="Repositories")
    )
    compared = [p for p in (ctx.compare, ctx.period) if p in ctx.totals]
    s.tables.append(
        Table(
            "headline",
            "This period against the comparison period",
            [
                *_SPEND_COLUMNS,
                Column("storage_gb_months", "storage GiB-months", "gb"),
                Column("cost_per_gb_month", "$ per GiB-month", "money4"),
                Column("repositories", "repositories", "int"),
            ],
            [ctx.totals[p] for p in compared],
        )
    )
    return s


def realized_totals(ctx: Context) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The period's judged actions, one row each, and their sum, as `ecrcost savings` gives
    them (`savings.rollup`): the one definition the headline and the realized section show."""
    rows = [action_row(v, ctx.period) for v in stored_verdicts(ctx.con, ctx.period)]
    if not rows:
        return [], None
    (total,) = group_rows(rows, lambda a: "all")  # realized dollars stay DECIMAL, to the digit
    return [floats(r) for r in rows], total


def _realized_figures(ctx: Context, s: Section) -> None:
    group = "Realized savings"
    _, totals = realized_totals(ctx)
    if totals is None or not totals["judged"]:
        s.text.append(
            "Realized savings: no action judged against the bill in the 12 months to "
            f"{ctx.period} (see Realized savings)."
        )
        return
    note = f"{totals['judged']} action(s), net of the trend"
    s.figures += [
        Figure(
            f"realized in {ctx.period}", totals["period_realized_usd"], "signed_money", note, group
        ),
        Figure(
            "realized, last 12 months",
            totals["twelve_month_realized_usd"],
            "signed_money",
            note,
            group,
        ),
        Figure(
            "annualized", totals["annualized_usd"], "signed_money", "$/year at today's rate", group
        ),
    ]


def _available_figures(ctx: Context, s: Section) -> None:
    group = "Still available ($/month)"
    if ctx.snapshot is None:
        return
    snap = ctx.snapshot["snapshot_id"]
    plans = sqlfiles.records(ctx.con, "reports/candidate_plans", {"snapshot_id": snap})
    planned = [r for r in plans if r["skipped_reason"] is None]
    if plans:
        s.figures.append(
            Figure(
                "candidate lifecycle policy",
                sum(r["monthly_savings_usd"] for r in planned),
                "money",
                f"{sum(r['monthly_savings_usd'] > 0 for r in planned)} repositories"
                + (", an upper bound" if any(r["upper_bound"] for r in planned) else ""),
                group,
            )
        )
    (found,) = sqlfiles.records(
        ctx.con, "reports/findings_available", {"snapshot_id": snap, "kinds": list(SAVING_KINDS)}
    )
    if found["repositories"]:
        s.figures.append(
            Figure(
                "untagged images and stale repositories",
                found["monthly_cost_usd"],
                "money",
                f"{found['repositories']} repositories; overlaps the policy's figure",
                group,
            )
        )


def trend(ctx: Context) -> Section:
    periods = last_months(ctx.period, TREND_MONTHS)
    present = [p for p in periods if p in ctx.totals]
    s = Section("trend", "Spend trend (12 months)")
    if not present:
        return unavailable(s.key, s.title, "no billing period of the last 12 months is loaded")
    table_rows = [
        {"period": p, **{k: ctx.totals[p][k] for k in ("total_cost", "usage_cost", "adjustments")}}
        if p in ctx.totals
        else {"period": p, "total_cost": None, "usage_cost": None, "adjustments": None}
        for p in periods
    ]
    s.charts.append(
        charts.column_chart(
            "trend",
            f"ECR spend per month, 12 months to {ctx.period} ($, net of credits and tax)",
            periods,
            [r["total_cost"] for r in table_rows],
            highlight=len(periods) - 1,
            y_label="$ per month (net)",
        )
    )
    missing = [p for p in periods if p not in ctx.totals]
    if missing:
        s.text.append(f"Not loaded: {', '.join(missing)} (shown as empty).")
    s.tables.append(
        Table(
            "trend",
            "ECR spend per month",
            [
                *_SPEND_COLUMNS,
            ],
            table_rows,
        )
    )
    return s


_REPO_COLUMNS = [
    Column("account_id", "account"),
    Column("region", "region"),
    Column("repository_name", "repository"),
]


def analysis(ctx: Context) -> Section:
    s = Section("analysis", "Playbook analysis")
    if ctx.period not in ctx.marts:
        return unavailable(s.key, s.title, _no_marts(ctx, ctx.period))
    p = {"period": ctx.period, "top": TOP}
    (m,) = sqlfiles.records(ctx.con, "reports/repository_median", {"period": ctx.period})
    top = sqlfiles.records(ctx.con, "reports/top_repositories", p)
    above = sqlfiles.records(ctx.con, "reports/above_median", {"period": ctx.period})
    s.figures += [
        Figure("repositories", m["repositories"], "int"),
        Figure("median repository cost", m["median_cost"]),
        Figure("repositories above the median", len(above), "int"),
    ]
    if top:
        s.charts.append(
            charts.bar_chart(
                "top_repositories",
                f"Top {len(top)} repositories by cost in {ctx.period} ($, net)",
                [repo_label(r) for r in top],
                [r["net_cost"] for r in top],
                x_label=f"$ (net) in {ctx.period}",
            )
        )
    s.tables.append(
        Table(
            "top_repositories",
            f"Top {TOP} repositories by cost",
            [
                Column("rank", "#", "int"),
                *_REPO_COLUMNS,
                Column("net_cost", "cost (net)", "money"),
                Column("storage_cost", "storage", "money"),
                Column("archive_storage_cost", "archive", "money"),
                Column("avg_gb_stored", "avg GiB stored", "gb"),
                Column("share", "share", "pct"),
            ],
            top,
        )
    )
    s.tables.append(
        Table(
            "above_median",
            "Every repository above the median",
            [
                *_REPO_COLUMNS,
                Column("net_cost", "cost (net)", "money"),
                Column("avg_gb_stored", "avg GiB stored", "gb"),
                Column("share", "share", "pct"),
            ],
            above,
            note=f"The rows above the median start with the top {TOP} shown above.",
            csv_only=True,
        )
    )
    s.tables.append(
        Table(
            "by_size",
            f"Top {TOP} repositories by size",
            [
                Column("rank", "#", "int"),
                *_REPO_COLUMNS,
                Column("avg_gb_stored", "avg GiB stored", "gb"),
                Column("avg_gb_archived", "avg GiB archived", "gb"),
                Column("billed_bytes", "inventory bytes", "bytes"),
                Column("net_cost", "cost (net)", "money"),
            ],
            sqlfiles.records(ctx.con, "reports/by_size", p),
        )
    )
    return s


def chargeback(ctx: Context) -> Section:
    s = Section("chargeback", "Chargeback by tag")
    if ctx.period not in ctx.marts:
        return unavailable(s.key, s.title, _no_marts(ctx, ctx.period))
    coverage = sqlfiles.records(ctx.con, "reports/tag_coverage", {"period": ctx.period})
    values = sqlfiles.records(ctx.con, "reports/tag_chargeback", {"period": ctx.period})
    if not coverage:
        return unavailable(s.key, s.title, "no chargeback tag key is configured (tag_keys)")
    for c in coverage:
        s.figures.append(Figure(f"'{c['tag_key']}' coverage", c["coverage"], "pct"))
        s.figures.append(Figure(f"untagged share of '{c['tag_key']}'", c["untagged_share"], "pct"))
    s.tables.append(
        Table(
            "tag_coverage",
            "Coverage per tag key",
            [
                Column("tag_key", "tag key"),
                Column("total_cost", "total", "money"),
                Column("tagged_cost", "tagged", "money"),
                Column("untagged_cost", "untagged", "money"),
                Column("unattributed_cost", "no repository", "money"),
                Column("untagged_share", "untagged share", "pct"),
                Column("coverage", "coverage", "pct"),
                Column("tagged_repositories", "tagged repos", "int"),
                Column("repositories", "repos", "int"),
            ],
            coverage,
        )
    )
    keys = [c["tag_key"] for c in coverage]
    wanted = [k for k in keys if k.lower() in {t.lower() for t in ctx.settings.tag_keys}]
    first = (wanted or keys)[0]  # the chart shows the first configured key
    first_values = [v for v in values if v["tag_key"] == first]
    if first_values:
        s.charts.append(
            charts.bar_chart(
                "chargeback",
                f"Spend per value of the tag '{first}' in {ctx.period} ($, net)",
                [v["tag_value"] for v in first_values],
                [v["net_cost"] for v in first_values],
                x_label=f"$ (net) in {ctx.period}, tag key '{first}'",
                colour=charts.GREEN,
            )
        )
    s.tables.append(
        Table(
            "tag_chargeback",
            "Spend per tag value",
            [
                Column("tag_key", "tag key"),
                Column("tag_value", "value"),
                Column("net_cost", "cost (net)", "money"),
                Column("storage_cost", "storage", "money"),
                Column("archive_storage_cost", "archive storage", "money"),
                Column("data_transfer_cost", "data transfer", "money"),
                Column("share", "share", "pct"),
                Column("repository_count", "repos", "int"),
                Column("redistributed_cost", "with untagged spread", "money"),
            ],
            values,
            note="'untagged' is repository spend without the key; spend with no repository is "
            "in the coverage table.",
        )
    )
    return s


def movers(ctx: Context) -> Section:
    s = Section("movers", f"Biggest movers against {ctx.compare}")
    missing = [p for p in (ctx.period, ctx.compare) if p not in ctx.marts]
    if missing:
        return unavailable(s.key, s.title, _no_marts(ctx, missing[0]))
    s.tables.append(
        Table(
            "movers",
            "Biggest changes in repository cost",
            [
                *_REPO_COLUMNS,
                Column("prior_cost", ctx.compare, "money"),
                Column("cost", ctx.period, "money"),
                Column("change", "change", "signed_money"),
                Column("change_ratio", "change %", "signed_pct"),
                Column("status", "status"),
            ],
            # the same statement as `ecrcost costs --analysis`
            sqlfiles.records(
                ctx.con,
                "marts/analysis_movers",
                {"period": ctx.period, "prior": ctx.compare, "top": TOP},
            ),
        )
    )
    return s


def findings(ctx: Context) -> Section:
    s = Section("findings", "Still available: findings and the candidate policy")
    if ctx.snapshot is None:
        return unavailable(
            s.key, s.title, "the warehouse holds no inventory snapshot (run `ecrcost inventory`)"
        )
    snap = ctx.snapshot["snapshot_id"]
    s.text.append(f"Inventory snapshot {snap} taken {utc_minute(ctx.snapshot['taken_at'])}.")
    summary = sqlfiles.records(ctx.con, "reports/findings_summary", {"snapshot_id": snap})
    for r in summary:
        r["kind_label"] = KIND_LABELS.get(r["kind"], r["kind"])
    if summary:
        s.tables.append(
            Table(
                "findings_summary",
                "Findings per kind",
                [
                    Column("kind", "kind", show=False),
                    Column("kind_label", "kind"),
                    Column("findings", "findings", "int"),
                    Column("bytes", "bytes", "bytes"),
                    Column("monthly_cost_usd", "$/month", "money"),
                ],
                summary,
                note="Kinds overlap (a large repository may also lack a policy): do not add up.",
            )
        )
        s.tables.append(
            Table(
                "findings_top",
                "Costliest findings",
                [
                    Column("kind", "kind", show=False),
                    Column("kind_label", "kind"),
                    *_REPO_COLUMNS,
                    Column("subject", "image or layer", show=False),
                    Column("detail", "detail", "long"),
                    Column("monthly_cost_usd", "$/month", "money"),
                ],
                same_bytes_together(
                    sqlfiles.records(
                        ctx.con, "reports/findings_top", {"snapshot_id": snap, "top": 15}
                    )
                ),
                note="Kinds that count the same bytes of one repository share a row: the "
                "dollars are counted once.",
            )
        )
    else:
        s.text.append(
            f"Findings: not available: none built for snapshot {snap} (run `ecrcost findings`)."
        )
    _candidate_plan(ctx, s, snap)
    return s


def same_bytes_together(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings of one repository and subject with the same bytes as one row naming every kind
    (e.g. "no lifecycle policy + largest repositories"): two kinds counting the same bytes are
    one saving, not two. Order kept."""
    merged: dict[Any, dict[str, Any]] = {}
    for i, r in enumerate(rows):
        label = KIND_LABELS.get(r["kind"], r["kind"])
        # A finding over several repositories (no repository name) stands alone.
        key = (
            i
            if r["repository_name"] is None
            else (r["account_id"], r["region"], r["repository_name"], r["subject"], r["bytes"])
        )
        if key in merged and r["kind"] not in merged[key]["kind"].split("+"):
            merged[key]["kind"] += "+" + r["kind"]
            merged[key]["kind_label"] += " + " + label
        else:
            merged[key if key not in merged else (i,)] = {**r, "kind_label": label}
    return list(merged.values())


def _candidate_plan(ctx: Context, s: Section, snapshot_id: str) -> None:
    plans = sqlfiles.records(ctx.con, "reports/candidate_plans", {"snapshot_id": snapshot_id})
    if not plans:
        s.text.append(
            f"Candidate policy: not available: not planned over snapshot {snapshot_id} "
            "(`ecrcost report` plans it before rendering)."
        )
        return
    planned = [r for r in plans if r["skipped_reason"] is None]
    s.figures += [
        Figure(
            "candidate policy saves",
            sum(r["monthly_savings_usd"] for r in planned),
            "money",
            "$/month" + (", an upper bound" if any(r["upper_bound"] for r in planned) else ""),
        ),
        Figure("bytes it frees", sum(r["freed_bytes"] for r in planned), "bytes"),
        Figure("images it expires", sum(r["expired"] for r in planned), "int"),
        Figure(
            "removals to review first",
            sum(r["dangers"] for r in plans),
            "int",
            f"images pulled in the last {ctx.settings.recent_pull_days} days, signatures or "
            "manifest lists that would break: `ecrcost policy plan` lists them",
        ),
    ]
    skipped = len(plans) - len(planned)
    s.text.append(
        "Candidate policy: the playbook base policy (expire untagged beyond 1; keep 1 latest, "
        f"9 v*, 20 overall), planned over the snapshot's {len(planned)} repositories"
        + (f" ({skipped} skipped: exempt or incomplete)." if skipped else ".")
    )
    s.tables.append(
        Table(
            "candidate_policy",
            "What the candidate policy would save, per repository",
            [
                *_REPO_COLUMNS,
                Column("expired", "images expired", "int"),
                Column("freed_bytes", "bytes freed", "bytes"),
                Column("monthly_savings_usd", "$/month", "money"),
                Column("dangers", "removals to review", "int"),
                Column("current_policy", "current policy"),
            ],
            [r for r in planned if r["monthly_savings_usd"] > 0],
        )
    )


def realized(ctx: Context) -> Section:
    """The period's judged actions as `ecrcost savings` prints them (the same stored verdicts
    and figures): each with its interval, and the totals per month, in the period, over the 12
    months and annualized."""
    s = Section("realized", "Realized savings")
    period = Period.parse(ctx.period)
    end = period.end
    first = period.shift(-(SPAN_MONTHS - 1)).first_day
    rows, t = realized_totals(ctx)
    if not rows:
        (count,) = sqlfiles.run(
            ctx.con, "reports/actions_in_range", {"from": first, "to": end}
        ).fetchall()[0]
        if count:
            return unavailable(
                s.key,
                s.title,
                f"{count} action(s) since {first} are not judged yet (run `ecrcost report`, "
                "which computes realized savings first)",
            )
        s.text.append(f"No action was recorded between {first} and the end of {ctx.period}.")
        return s
    for r in rows:
        r["verdict_label"] = VERDICT_LABELS.get(r["verdict"], r["verdict"])
        r["repository"] = repo_label(r)
        r["action_label"] = ACTION_MARK.get(r["action"], r["action"])
        r["method_label"] = METHOD_LABELS.get(r["method"] or "", "-")
    level = f"{INTERVAL_LEVEL:.0%}"
    s.figures += [
        Figure("actions judged", t["judged"], "int"),
        Figure("too early to tell", t["too_early"], "int"),
        Figure(
            "predicted (judged actions)", t["predicted_monthly_savings_usd"], "money", "$/month"
        ),
        Figure(
            "realized, net of the trend",
            t["realized_monthly_savings_usd"],
            "signed_money",
            "$/month",
        ),
        Figure(f"realized, {level} low", t["realized_low_usd"], "signed_money", "$/month"),
        Figure(f"realized, {level} high", t["realized_high_usd"], "signed_money", "$/month"),
        Figure(f"realized in {ctx.period}", t["period_realized_usd"], "signed_money"),
        Figure("realized, last 12 months", t["twelve_month_realized_usd"], "signed_money"),
        Figure("annualized", t["annualized_usd"], "signed_money", "$/year at today's rate"),
    ]
    s.text.append(
        f"Actions of the 12 months to {ctx.period}, each measured against what its repository "
        "would have cost without it (its cost before, moved by the untouched repositories' "
        "trend, or by its own where it had grown apart from them), with a "
        f"{level} interval from the error the same method makes on untouched repositories; "
        '"realized" needs the whole interval at 80% of the prediction or more.'
    )
    s.text.append(
        "The low and high totals add the actions' bounds: wider than a joint interval, "
        "because the actions share one baseline."
    )
    s.charts.append(
        charts.paired_bar_chart(
            "realized_savings",
            "Predicted against realized savings per action",
            [f"{r['action_label']} · {repo_label(r)}" for r in rows],
            [r["predicted_monthly_savings_usd"] for r in rows],
            [r["realized_monthly_savings_usd"] for r in rows],
        )
    )
    s.tables.append(
        Table(
            "realized_savings",
            "Predicted against realized, per action",
            [
                Column("acted_at", "acted", "date"),
                Column("action_id", "action id", show=False),
                Column("action", "action", show=False),
                Column("action_label", "action"),
                Column("account_id", "account", show=False),
                Column("region", "region", show=False),
                Column("repository_name", "repository", show=False),
                Column("repository", "repository", "name"),
                Column("method_label", "counterfactual"),
                Column("method", "method", show=False),
                Column("window_days", "days each side", "int"),
                Column("before_daily_cost", "$/day before", "money4", show=False),
                Column("after_daily_cost", "$/day after", "money4", show=False),
                Column("baseline_change", "counterfactual trend", "signed_pct", show=False),
                Column("predicted_monthly_savings_usd", "predicted $/month", "money"),
                Column("realized_monthly_savings_usd", "realized $/month", "signed_money"),
                Column("realized_low_usd", f"{level} low", "signed_money"),
                Column("realized_high_usd", f"{level} high", "signed_money"),
                Column("realized_ratio", "of predicted", "pct"),
                Column("period_realized_usd", f"in {ctx.period}", "signed_money"),
                Column("twelve_month_realized_usd", "12 months", "signed_money"),
                Column("verdict", "verdict key", show=False),
                Column("verdict_label", "verdict"),
                Column("days_to_decide", "days each side to decide", "int", show=False),
                Column("reason", "why", "long"),
            ],
            rows,
        )
    )
    return s


def policy_bound(text: str | None) -> tuple[int | None, str]:
    """(image count bound, description) of a lifecycle policy: only an expire rule selecting
    every image (tagStatus any) by imageCountMoreThan caps the count."""
    if text is None:
        return None, "no lifecycle policy"
    try:
        rules = parse_policy(text).rules
    except PolicyError:
        return None, "policy unreadable"
    catch_all = [
        r
        for r in rules
        if r.action == "expire"
        and r.tag_status == "any"
        and not r.tag_prefixes
        and not r.tag_patterns
    ]
    counts = [r.count_number for r in catch_all if r.count_type == "imageCountMoreThan"]
    ages = [r.count_number for r in catch_all if r.count_type == "sinceImagePushed"]
    if counts:
        return min(counts), f"at most {min(counts)} images (catch-all count rule)"
    if ages:
        return None, f"images expire after {min(ages)} days: size follows the push rate"
    return None, "no catch-all count rule: unbounded"


def predictability(ctx: Context) -> Section:
    s = Section("predictability", "Predictability")
    if ctx.snapshot is None:
        return unavailable(s.key, s.title, "the warehouse holds no inventory snapshot")
    periods = trend_periods(ctx.period)
    covered = {p: ctx.days.get(p, 0) for p in periods if p in ctx.totals}
    forecasts = repository_forecasts(ctx.con, ctx.period, covered)
    nxt = Period.parse(ctx.period).shift(1)
    out = []
    for r in sqlfiles.records(
        ctx.con, "reports/repository_inventory", {"snapshot_id": ctx.snapshot["snapshot_id"]}
    ):
        bound, how = policy_bound(r["policy_text"])
        if not r["policy_known"]:
            how = "policy not read (scan failed)"
        ceiling = None
        if bound is not None and r["avg_image_bytes"] is not None:
            ceiling = ctx.settings.prices.monthly_storage_cost(
                bound * float(r["avg_image_bytes"]), r["region"]
            )
        forecast = forecasts.get((r["account_id"], r["region"], r["repository_name"]))
        out.append(
            {
                **{k: r[k] for k in ("account_id", "region", "repository_name", "images")},
                "bounded": bound is not None,
                "image_bound": bound,
                "policy": how,
                "avg_image_bytes": r["avg_image_bytes"],
                "monthly_ceiling": ceiling,
                "next_month_forecast": forecast,
                "over_ceiling": ceiling is not None
                and forecast is not None
                and forecast > ceiling * 1.0001,
            }
        )
    out.sort(key=lambda r: (-(r["next_month_forecast"] or 0.0), r["repository_name"]))
    bounded = [r for r in out if r["bounded"]]
    s.figures += [
        Figure("repositories with a size bound", len(bounded), "int"),
        Figure("without one", len(out) - len(bounded), "int"),
        Figure(
            f"{nxt} storage at the current trend", sum(r["next_month_forecast"] or 0 for r in out)
        ),
    ]
    s.text.append(
        "A repository's size is bounded when an expire rule over every image (tagStatus any) caps "
        "the image count; the ceiling is that count at today's average image size and the "
        f"region's price. The {nxt} figure is a straight line through the daily cost of "
        f"{', '.join(periods)}, times {nxt.days} days."
    )
    s.tables.append(
        Table(
            "predictability",
            "Size bound and trend per repository",
            [
                *_REPO_COLUMNS,
                Column("policy", "lifecycle bound", "long"),
                Column("image_bound", "max images", "int"),
                Column("images", "images today", "int"),
                Column("avg_image_bytes", "avg image", "bytes"),
                Column("monthly_ceiling", "ceiling $/month", "money"),
                Column("next_month_forecast", f"{nxt} at trend", "money"),
                Column("over_ceiling", "trend above ceiling"),
            ],
            out,
        )
    )
    return s


def _snapshot_used(ctx: Context) -> str:
    """The data-quality line naming the inventory snapshot of findings, plan and inventory."""
    snap = ctx.snapshot
    if snap is None:
        return "Inventory: no snapshot in the warehouse (run `ecrcost inventory`)."
    state = (
        f"partial: {snap['error_count']} read error(s)"
        if snap["error_count"]
        else ("empty" if not snap["repository_count"] else "complete")
    )
    return (
        f"Inventory used for findings, the candidate policy and the repository inventory: "
        f"snapshot {snap['snapshot_id']} taken {utc_minute(snap['taken_at'])} ({state}, "
        f"{snap['repository_count']} repositories, {snap['image_count']} images)."
    )


def data_quality(ctx: Context) -> Section:
    s = Section("data_quality", "Data quality")
    cur = ctx.totals.get(ctx.period)
    # The marts' unattributed line, per charge class, as `ecrcost costs` reads it.
    unattributed = sqlfiles.records(ctx.con, "reports/unattributed", {"period": ctx.period})
    by_class = {
        r["charge_class"]: r["cost"]
        for r in sqlfiles.records(ctx.con, "marts/unattributed_by_class", {"period": ctx.period})
    }
    usage = cur["usage_cost"] if cur else 0.0
    no_repo_usage = by_class.pop("usage", 0.0)
    no_repo_adjust = sum(by_class.values())
    s.figures.append(
        Figure("usage without a repository", no_repo_usage / usage if usage else None, "pct")
    )
    s.figures.append(Figure("adjustments without a repository", no_repo_adjust, "signed_money"))
    if ctx.period in ctx.marts:
        for c in sqlfiles.records(ctx.con, "reports/tag_coverage", {"period": ctx.period}):
            s.figures.append(
                Figure(f"untagged share ('{c['tag_key']}')", c["untagged_share"], "pct")
            )
        if ctx.marts[ctx.period]["estimated"]:
            s.text.append(
                "The bill has no resource ids: repository costs are split by inventory bytes "
                "(estimated)."
            )
    else:
        s.text.append("Untagged share: not available: " + _no_marts(ctx, ctx.period) + ".")
    load = sqlfiles.records(ctx.con, "reports/billing_load", {"period": ctx.period})
    if not load:
        s.text.append(f"No billing load is recorded for {ctx.period}.")
    else:
        b = load[0]
        if not b["complete"]:
            s.text.append(
                f"{ctx.period} is INCOMPLETE: the bill's status said UPDATING when it was read "
                f"({utc_minute(b['loaded_at'])}); figures will change when AWS closes it."
            )
        else:
            s.text.append(
                f"{ctx.period} was not marked incomplete when read ({b['source_format']})."
            )
        if b["notes"]:
            s.text.append(f"Load notes: {b['notes']}")
    s.text.append(_snapshot_used(ctx))
    s.text += [f"Inventory note: {note}." for note in ctx.snapshot_notes]
    if cur is not None:
        days = ctx.days.get(ctx.period, 0)
        month_days = Period.parse(ctx.period).days
        if days < month_days:
            s.text.append(
                f"The bill covers {days} of {month_days} days of {ctx.period}: compare "
                "per day, not per month."
            )
    formats = sqlfiles.records(ctx.con, "reports/source_formats", {"period": ctx.period})
    if len(formats) > 1:
        s.text.append(
            "Lines of several formats: " + ", ".join(f["source_format"] for f in formats) + "."
        )
    s.tables.append(
        Table(
            "unattributed",
            "Spend without a repository",
            [
                Column("charge_class", "charge class"),
                Column("usage_category", "usage"),
                Column("cost", "cost", "signed_money"),
                Column("lines", "lines", "int"),
            ],
            unattributed,
        )
    )
    return s


# The savings story first (the headline, what past actions saved, what is still available),
# then where the money goes, then the caveats.
SECTIONS: list[Callable[[Context], Section]] = [
    headline,
    bridge,  # the spend bridge (a Section keyed "bridge"): the templates draw it in the headline
    realized,
    findings,
    trend,
    analysis,
    movers,
    chargeback,
    predictability,
    data_quality,
]


def build_sections(ctx: Context) -> list[Section]:
    """Every section; one failing on unexpected data says so instead of sinking the report."""
    import duckdb

    out = []
    for make in SECTIONS:
        try:
            out.append(make(ctx))
        except duckdb.Error as exc:
            title = make.__name__.replace("_", " ").capitalize()
            first = str(exc).splitlines()[0]
            out.append(unavailable(make.__name__, title, f"the warehouse query failed: {first}"))
    for section in out:  # long tables are cut in HTML and Markdown; their CSV keeps every row
        for table in section.tables:
            if table.limit is None:
                table.limit = ctx.settings.report_top_n
    return out
