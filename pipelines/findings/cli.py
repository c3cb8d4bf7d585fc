"""`ecrcost findings`: build the findings of an inventory snapshot and print them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ecrcost import options, warehouse
from ecrcost.errors import UserError
from ecrcost.findings.findings import DEFAULT_TOP, build_findings
from ecrcost.findings.kinds import KINDS
from ecrcost.fmt import human_bytes, money
from ecrcost.lifecycle.selection import use_snapshot

DESCRIPTION = """\
Findings over the latest inventory snapshot (or --snapshot): repositories without a lifecycle
policy, policies that act on nothing while the repository grows, untagged images, stale and empty
repositories, the largest repositories, images and layers, and images stored in several
repositories; each with its bytes and monthly cost at the region's price. The findings are also
stored in the warehouse's `findings` table for the reports."""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "findings",
        help="what is worth cleaning, with bytes and $/month",
        description=DESCRIPTION,
        parents=[options.home(), options.snapshot(), options.output(("table", "json"))],
    )
    p.add_argument(
        "--kind",
        dest="kinds",
        action="extend",
        nargs="+",
        choices=KINDS,
        metavar="KIND",
        help=f"show only these kinds (repeatable): {', '.join(KINDS)}",
    )
    p.add_argument(
        "--top", type=int, default=DEFAULT_TOP, help="rows of the largest-* kinds, and rows shown "
        f"per kind in the table (default {DEFAULT_TOP})"
    )  # fmt: skip
    p.add_argument(
        "--stale-days",
        dest="stale_days",
        type=int,
        help="idle days before a repository is stale (default: the stale_days setting, 90). "
        "With --top or --stale-days the findings are printed, not stored for the report",
    )
    p.set_defaults(handler=run_findings)


def run_findings(args: argparse.Namespace, settings: Any) -> int:
    if args.top < 1:
        raise UserError(f"--top {args.top}: expected a positive number of rows")
    if args.stale_days is not None and args.stale_days < 1:
        raise UserError(f"--stale-days {args.stale_days}: expected a positive number of days")
    # Findings built with one-off flags are printed, not stored: the report and the pipeline
    # read the findings of the settings.
    one_off = args.top != DEFAULT_TOP or args.stale_days is not None
    with warehouse.opened(
        settings.warehouse_path, must_exist=True, memory_limit=settings.duckdb_memory_limit
    ) as con:
        # stderr: the findings are the data, whatever the format
        snapshot_id = use_snapshot(con, args.snapshot, to_stderr=True)
        found = build_findings(con, settings, snapshot_id, top=args.top, store=not one_off)
    if args.kinds:
        found = [f for f in found if f.kind in args.kinds]
    if args.output == "json":
        json.dump(_as_json(found), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_table(found, args.top, args.kinds or KINDS))
    return 0


def _as_json(found: list) -> dict[str, Any]:
    totals: dict[str, dict[str, Any]] = {}
    for f in found:
        t = totals.setdefault(f.kind, {"count": 0, "bytes": 0, "monthly_cost_usd": 0.0})
        t["count"] += 1
        t["bytes"] += f.bytes
        t["monthly_cost_usd"] += f.monthly_cost_usd
    for t in totals.values():
        t["monthly_cost_usd"] = round(t["monthly_cost_usd"], 6)
    return {
        "snapshot_id": found[0].snapshot_id if found else None,
        "findings": [f.to_json() for f in found],
        "totals": totals,
    }


def format_table(found: list, top: int, kinds: tuple[str, ...] | list[str]) -> str:
    """Per kind: a heading with totals, then at most `top` rows (what, size, $/month, detail).

    Overlapping kinds (largest-*) are not summed across kinds: each heading stands alone."""
    lines: list[str] = []
    for kind in kinds:
        group = [f for f in found if f.kind == kind]
        total_bytes = sum(f.bytes for f in group)
        total_cost = sum(f.monthly_cost_usd for f in group)
        lines.append(
            f"== {kind}: {len(group)} finding(s), {human_bytes(total_bytes)}, "
            f"{money(total_cost)}/month"
        )
        shown = [(f, _what(f)) for f in group[:top]]
        width = max((len(w) for _, w in shown), default=0)
        for f, what in shown:
            flag = "~" if f.estimated else " "
            lines.append(
                f"  {f.rank:>3}. {what:<{width}}  {flag}{human_bytes(f.bytes):>10}  "
                f"{money(f.monthly_cost_usd):>10}/mo  {f.detail}"
            )
        if len(group) > top:
            lines.append(f"  ... {len(group) - top} more (--top N or --format json)")
    if any(f.estimated for f in found):
        lines.append("~ estimated: summed image sizes (manifests not read), not unique blobs")
    return "\n".join(lines) + "\n"


def _what(f: Any) -> str:
    where = f.repository_name or f"{f.repository_count} repositories"
    if f.account_id and f.region:
        where = f"{f.account_id}/{f.region}/{where}"
    # Digests shortened as `docker images` does; the JSON keeps them whole.
    return f"{where} {f.subject[:19]}" if f.subject else where
