"""`ecrcost savings`: realized against predicted savings of the logged actions, with their
intervals, rolled up per action, repository, account, region or tag value, and the bridge from
the prior period's spend. duckdb loads inside the handler (start-up time)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from decimal import Decimal
from typing import Any

from ecrcost import fmt, options, warehouse
from ecrcost.attribution.marts import ensure_marts, period_has_data
from ecrcost.errors import UserError
from ecrcost.periods import resolve_period, shift_period
from ecrcost.savings.realized import VERDICT_LABELS, realized_savings
from ecrcost.savings.rollup import parse_group, span
from ecrcost.savings.view import jsonable, savings_view

HELP = """\
Did the logged actions (policy apply, restore, repository delete) lower the bill? Each action
of the 12 months ending with the period is judged against the bill up to the period's end: its
realized monthly saving with a 90% interval, the counterfactual it was measured against (the
repository's own trend where it has 28+ days of history, else the untouched repositories'),
and a verdict that says "realized" only when the whole interval supports it.

--by action (default) lists the actions; repository, account, region or tag:KEY (KEY folded
as `ecrcost costs --by tag:KEY` folds it) sums them: monthly figures, what they saved in the
period and over the 12 months to it. Too-early actions are counted but not summed.

The bridge goes from the prior period's spend to this period's, step by step, reconciling to
the cent with the marts (`ecrcost costs`). Method and accuracy: docs/realized-savings.md.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "savings",
        parents=[options.home(), options.period(), options.output()],
        help="realized savings of logged actions, who saved, and the bridge from last month",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--by",
        default="action",
        help="action (default), repository, account, region or tag:KEY",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings) -> int:
    period = resolve_period(args.period)
    group, _ = parse_group(args.by)
    with warehouse.opened(
        settings.warehouse_path, must_exist=True, memory_limit=settings.duckdb_memory_limit
    ) as con:
        if not period_has_data(con, period):
            raise UserError(
                f"period {period}: no billing data in the warehouse; load the bill for it first "
                "(ecrcost ingest --cur LOCATION) or pick a loaded period"
            )
        # The tag values come from each period's folding, written with its marts.
        wanted = [str(p) for p in span(period)] if group == "tag" else [shift_period(period, -1)]
        for p in [*wanted, period]:
            if period_has_data(con, p):
                ensure_marts(con, settings, p)
        verdicts = realized_savings(con, settings, period)
        view = savings_view(con, settings, period, args.by, verdicts)
    sys.stdout.write(render(view, args.output))
    return 0


def render(view: dict[str, Any], output: str) -> str:
    if output == "json":
        return json.dumps(jsonable(view), indent=2) + "\n"
    if output == "csv":
        return _csv(view["rows"])
    return _text(view)


_ACTION_COLUMNS = [
    ("acted_at", "acted", "day"),
    ("action", "action", "text"),
    ("repository_name", "repository", "text"),
    ("method", "counterfactual", "text"),
    ("predicted_monthly_savings_usd", "predicted/mo", "money"),
    ("realized_monthly_savings_usd", "realized/mo", "money"),
    ("interval", "90% interval", "text"),
    ("period_realized_usd", "in period", "money"),
    ("twelve_month_realized_usd", "12 months", "money"),
    ("verdict", "verdict", "text"),
]
_GROUP_COLUMNS = [
    ("key", "key", "text"),
    ("actions", "actions", "int"),
    ("too_early", "too early", "int"),
    ("predicted_monthly_savings_usd", "predicted/mo", "money"),
    ("realized_monthly_savings_usd", "realized/mo", "money"),
    ("interval", "bounds", "text"),
    ("annualized_usd", "annualized", "money"),
    ("period_realized_usd", "in period", "money"),
    ("twelve_month_realized_usd", "12 months", "money"),
]


def _interval(row: dict[str, Any]) -> str:
    if row.get("realized_low_usd") is None or row.get("realized_high_usd") is None:
        return "-"
    return f"{fmt.money(row['realized_low_usd'])}..{fmt.money(row['realized_high_usd'])}"


def _text(view: dict[str, Any]) -> str:
    out = [f"period {view['period']} | actions of the 12 months to it | by {view['by']}"]
    if "tag_key" in view:
        out.append(f"tag key '{view['tag_key']}' (folded as chargeback folds it)")
    rows = [{**r, "interval": _interval(r)} for r in view["rows"]]
    if view["by"] == "action":
        for r in rows:
            r["verdict"] = VERDICT_LABELS.get(r["verdict"], r["verdict"])
        columns = _ACTION_COLUMNS
    else:
        columns = _GROUP_COLUMNS
    out.append(_table(rows, columns) if rows else "(no action recorded in the 12 months)")
    t = view["totals"]
    if t:
        out.append(
            f"total of {t['judged']} judged action(s): predicted {fmt.money(t['predicted_monthly_savings_usd'])}"
            f"/month, realized {fmt.money(t['realized_monthly_savings_usd'])}/month "
            f"({_interval(t)}), annualized {fmt.money(t['annualized_usd'])}; saved "
            f"{fmt.money(t['period_realized_usd'])} in {view['period']}, "
            f"{fmt.money(t['twelve_month_realized_usd'])} over the 12 months"
            + (f"; {t['too_early']} too early to tell" if t["too_early"] else "")
        )
    b = view["bridge"]
    out.append("")
    if b is None:
        out.append(f"bridge: not available: {view['bridge_unavailable']}")
    else:
        out.append(f"bridge from {b['prior_period']} to {b['period']}")
        totals = ("start", "end")
        steps = [
            {
                "label": s["label"],
                "spend": s["amount_usd"] if s["key"] in totals else None,
                "change": None if s["key"] in totals else s["amount_usd"],
                "repositories": s["repositories"]
                if s["key"] not in ("action", "unattributed")
                else None,
            }
            for s in b["steps"]
        ]
        columns = [
            ("label", "step", "text"),
            ("change", "change", "signed"),
            ("spend", "spend", "money"),
            ("repositories", "repositories", "int"),
        ]
        out.append(_table(steps, columns))
        out += [f"  not in the bridge: {note}" for note in b["not_in_bridge"]]
    return "\n".join(out) + "\n"


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "money":
        return fmt.money(value)
    if kind == "signed":
        return fmt.signed_money(value)
    if kind == "day":
        return f"{value:%Y-%m-%d}"
    return str(value)


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str, str]]) -> str:
    cells = [[h for _, h, _ in columns]]
    cells += [[_cell(r.get(f), kind) for f, _, kind in columns] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(columns))]
    right = [kind not in ("text", "day") for _, _, kind in columns]
    lines = []
    for n, row in enumerate(cells):
        line = "  ".join(
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right, strict=True)
        )
        lines.append(line.rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _csv(rows: list[dict[str, Any]]) -> str:
    """Every column of the rows, money with all its digits (Decimal as it is)."""
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: fmt.csv_value(_plain(v)) for k, v in r.items()} for r in rows)
    return buf.getvalue()


def _plain(value: Any) -> Any:
    """Decimal as it is (fmt.csv_value writes every digit); days and instants as in JSON."""
    return value if isinstance(value, Decimal) else jsonable(value)
