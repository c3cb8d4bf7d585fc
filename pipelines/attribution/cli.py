"""`ecrcost costs`: billed ECR spend per repository, account, region or tag, and the playbook's
analysis. duckdb loads inside the handler (start-up time)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from contextlib import ExitStack
from typing import Any

from ecrcost import fmt, options, warehouse
from ecrcost.attribution.analysis import analyse
from ecrcost.attribution.marts import ensure_marts
from ecrcost.attribution.period_choice import choose_period
from ecrcost.attribution.views import costs_view, parse_by
from ecrcost.errors import EcrcostError, UserError
from ecrcost.inventory.snapshots import snapshot_in_use
from ecrcost.periods import parse_period

HELP = """\
What each repository (or account, region, tag value) cost in a billing period, from the bill.
The marts for the period are built when missing or older than the period's billing load.
Without --period: the last closed month, or the newest loaded month when that one is not
loaded (said on stderr, with the loaded months).

cost is everything billed to the row (net): gross usage plus its own credits, discounts, tax.
Spend without a resource id (tax, credits, ...) is the unattributed line; rows + unattributed =
the period's ECR total. For --by tag:KEY, 'untagged' is repository spend without the key, and
unattributed is spend with neither a repository nor the key.

What the inventory adds (does the repository still exist, its expected cost, today's tags with
--tags-from-inventory) comes from one snapshot: --snapshot ID, else the newest complete one;
the command names it on stderr.

--analysis answers the playbook instead: top N by cost, the median and every repository above
it, the top N by size (average GiB stored as billed) and the N biggest movers against the prior
period.

Units: AWS bills ECR storage per "GB-month" of 2^30 bytes, a GiB (docs/report.md), so sizes
are labelled GiB. CSV output keeps full precision, with floats written to 12 significant
digits (0.1 stays 0.1, not 0.10000000000000586) and flags as true/false.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "costs",
        parents=[options.home(), options.period(), options.output(), options.snapshot()],
        help="billed ECR spend per repository, account, region or tag",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--by",
        default="repository",
        help="repository (default), account, region or tag:KEY (KEY folded like the bill's keys)",
    )
    parser.add_argument("--top", type=int, help="show only the N costliest rows (analysis: 10)")
    parser.add_argument(
        "--tags-from-inventory",
        action="store_true",
        help="apply today's repository tags (latest inventory snapshot) to the period; "
        "they win over the bill's tags, and each tag row says which source its cost used",
    )
    parser.add_argument(
        "--redistribute",
        action="store_true",
        help="with --by tag:KEY: also show untagged spend spread over the values in proportion "
        "to their gross usage (apart from the direct figures)",
    )
    parser.add_argument("--analysis", action="store_true", help="the playbook's analysis")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the period's marts")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings) -> int:
    import duckdb

    # Bad arguments first, before the warehouse is opened and the period chosen.
    if args.period is not None:
        parse_period(args.period)
    if not args.analysis:
        parse_by(args.by)
    if args.redistribute and not args.by.startswith("tag:"):
        raise UserError(
            f"--redistribute: spreads untagged spend over tag values; add --by tag:KEY (not --by {args.by})"
        )
    if not settings.warehouse_path.exists():
        raise UserError(
            f"{settings.warehouse_path}: no warehouse; load a bill first or pass --home"
        )
    with ExitStack() as stack:
        try:
            con = stack.enter_context(
                warehouse.opened(settings.warehouse_path, memory_limit=settings.duckdb_memory_limit)
            )
        except duckdb.Error as exc:  # e.g. another process holds the write lock
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise EcrcostError(
                f"{settings.warehouse_path}: cannot open the warehouse: {first}"
            ) from None
        args.period = choose_period(con, args.period, settings.warehouse_path)
        choice = snapshot_in_use(con, args.snapshot)
        if choice is not None:
            choice.announce(sys.stderr)  # stdout carries the figures
        snapshot_id = choice.snapshot_id if choice else None
        if args.analysis:
            if args.top is not None and args.top < 1:
                raise UserError(f"--top {args.top}: expected a positive number of rows")
            if args.rebuild:
                ensure_marts(
                    con,
                    settings,
                    args.period,
                    tags_from_inventory=args.tags_from_inventory,
                    force=True,
                    snapshot_id=snapshot_id,
                )
            result = analyse(
                con,
                settings,
                args.period,
                args.top or 10,
                tags_from_inventory=args.tags_from_inventory,
                snapshot_id=snapshot_id,
            ).to_dict()
            sys.stdout.write(_render_analysis(result, args.output))
        else:
            view = costs_view(
                con,
                settings,
                args.period,
                args.by,
                args.top,
                tags_from_inventory=args.tags_from_inventory,
                rebuild=args.rebuild,
                snapshot_id=snapshot_id,
            )
            sys.stdout.write(_render_costs(view, args.output, args.redistribute))
    return 0


# Columns of the table output per view: (field, header, kind).
_MONEY, _SHARE, _NUM, _TEXT, _FLAG = "money", "share", "num", "text", "flag"
# Every view's spend split: net cost, gross usage, adjustments and the share of gross usage.
_SPEND = [
    ("cost", "cost", _MONEY),
    ("gross_cost", "gross", _MONEY),
    ("adjustments", "adjustments", _MONEY),
    ("share", "share", _SHARE),
]
_REPO_COLUMNS = [
    ("repository_name", "repository", _TEXT),
    ("account_id", "account", _TEXT),
    ("region", "region", _TEXT),
    *_SPEND,
    ("avg_gb_stored", "avg GiB", _NUM),
    ("exists_in_inventory", "exists", _FLAG),
    ("expected_monthly_cost", "expected", _MONEY),
    ("bill_minus_expected", "bill-expected", _MONEY),
    ("estimated", "estimated", _FLAG),
]
_SCOPE_COLUMNS = [
    ("key", "key", _TEXT),
    *_SPEND,
    ("repository_count", "repositories", _NUM),
    ("estimated", "estimated", _FLAG),
]
_TAG_COLUMNS = [
    ("key", "value", _TEXT),
    *_SPEND,
    ("storage_cost", "storage", _MONEY),
    ("data_transfer_cost", "data transfer", _MONEY),
    ("repository_count", "repositories", _NUM),
    ("bill_tag_cost", "from bill tags", _MONEY),
    ("inventory_tag_cost", "from inventory tags", _MONEY),
    ("estimated_cost", "estimated", _MONEY),
]
_REDISTRIBUTED = [
    ("redistributed_cost", "redistributed", _MONEY),
    ("redistributed_share", "redist. share", _SHARE),
]
_ADJUSTMENTS = ("credits", "discounts", "tax", "other_adjustments")


def _render_costs(view: dict[str, Any], output: str, redistribute: bool) -> str:
    rows = view["rows"]
    if not redistribute:
        drop = {"redistributed_cost", "redistributed_share"}
        rows = [{k: v for k, v in r.items() if k not in drop} for r in rows]
    if output == "json":
        return json.dumps({**view, "rows": rows}, default=str, indent=2) + "\n"
    if output == "csv":
        return _csv(rows)
    if view["by"] == "repository":
        columns = _REPO_COLUMNS
    elif view["by"] in ("account", "region"):
        columns = _SCOPE_COLUMNS
    else:
        columns = _TAG_COLUMNS + (_REDISTRIBUTED if redistribute else [])
    for r in rows:
        r["adjustments"] = sum(r.get(k) or 0.0 for k in _ADJUSTMENTS)
    if view["unattributed_cost"]:
        # The explicit unattributed line: spend the bill gives no repository (or tag) for.
        label = columns[0][0]
        rows = [*rows, {label: "(unattributed)", "cost": view["unattributed_cost"]}]
    lines = [_headline(view)]
    lines.append(_table(rows, columns) if rows else "(no ECR spend in this period)")
    return "\n".join(lines) + "\n"


def _headline(view: dict[str, Any]) -> str:
    parts = [
        f"period {view['period']}",
        f"total {fmt.money(view['total_cost'], missing='-')}",
        f"unattributed {fmt.money(view['unattributed_cost'], missing='-')}",
    ]
    by_class = ", ".join(
        f"{k} {fmt.money(v, missing='-')}" for k, v in view["unattributed_by_charge_class"].items()
    )
    if by_class and not view["by"].startswith("tag:"):
        parts[-1] += f" ({by_class})"
    text = " | ".join(parts)
    notes = []
    if view["by"].startswith("tag:"):
        cov = view.get("coverage")
        notes.append(
            f"tag key '{view['tag_key']}': coverage {fmt.share(cov)} of gross usage, "
            f"untagged {fmt.money(view['untagged_cost'], missing='-')}; tags from {view['tags_source']}"
        )
        folded = [f"{f['raw_key']} ({f['source']})" for f in view["folded_keys"]]
        if folded:
            notes.append(f"raw keys folded into '{view['tag_key']}': " + ", ".join(folded))
    if view["estimated"]:
        notes.append(
            "estimated: the bill has no resource ids; storage spend split over the inventory's "
            "repositories by billed bytes"
        )
    return "\n".join([text, *notes])


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str, str]]) -> str:
    cells = [[h for _, h, _ in columns]]
    for r in rows:
        cells.append([_cell(r.get(f), kind) for f, _, kind in columns])
    widths = [max(len(c[i]) for c in cells) for i in range(len(columns))]
    right = [kind != _TEXT for _, _, kind in columns]
    out = []
    for n, row in enumerate(cells):
        out.append(
            "  ".join(
                c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right, strict=True)
            )
        )
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in out)


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if kind == _MONEY:
        return fmt.money(value, missing="-")
    if kind == _SHARE:
        return fmt.share(value)
    if kind == _FLAG:
        return "yes" if value else "no"
    if kind == _NUM and isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    if rows:
        # Rows may differ in their columns (the analysis' sections): the header is all of them.
        fields = list(dict.fromkeys(key for row in rows for key in row))
        writer = csv.DictWriter(buf, fieldnames=fields, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: fmt.csv_value(v) for k, v in row.items()} for row in rows)
    return buf.getvalue()


def _render_analysis(result: dict[str, Any], output: str) -> str:
    if output == "json":
        return json.dumps(result, default=str, indent=2) + "\n"
    sections = [
        ("top", result["top"]),
        ("above_median", result["above_median"]),
        ("by_size", result["by_size"]),
        ("movers", result["movers"]),
    ]
    if output == "csv":
        return _csv([{"section": name, **row} for name, rows in sections for row in rows])
    n = result["top_n"]
    prior = result["prior_period"]
    titles = {
        "top": f"Top {n} repositories by cost",
        "above_median": f"Every repository above the median ({fmt.money(result['median_cost'], missing='-')}, "
        f"{result['repository_count']} repositories billed)",
        "by_size": f"Top {n} by size (average GiB stored as billed)",
        "movers": f"Biggest movers against {prior}" if prior else "Biggest movers: no prior period",
    }
    columns = {
        "top": [("key", "repository", _TEXT), ("cost", "cost", _MONEY), ("share", "share", _SHARE)],
        "above_median": [("key", "repository", _TEXT), ("cost", "cost", _MONEY)],
        "by_size": [
            ("key", "repository", _TEXT),
            ("avg_gb_stored", "avg GiB", _NUM),
            ("billed_bytes", "inventory bytes", _NUM),
            ("cost", "cost", _MONEY),
        ],
        "movers": [
            ("key", "repository", _TEXT),
            ("prior_cost", "prior", _MONEY),
            ("cost", "cost", _MONEY),
            ("change", "change", _MONEY),
            ("status", "status", _TEXT),
        ],
    }
    out = [f"period {result['period']}"]
    for name, rows in sections:
        out += ["", titles[name], _table(rows, columns[name]) if rows else "(none)"]
    return "\n".join(out) + "\n"
