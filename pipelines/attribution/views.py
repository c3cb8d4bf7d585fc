"""What `ecrcost costs` shows: one period's marts grouped by repository, account, region or tag,
as the plain dict the JSON output is (table and CSV are drawn from the same dict)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecrcost import sqlfiles
from ecrcost.attribution.folding import folder_from_settings
from ecrcost.attribution.marts import ensure_marts, period_has_data, query_one
from ecrcost.errors import UserError
from ecrcost.periods import parse_period

if TYPE_CHECKING:
    import duckdb

    from ecrcost.settings import Settings

SCOPES = ("repository", "account", "region")


def parse_by(by: str) -> tuple[str, str | None]:
    """`repository|account|region|tag:KEY` -> (scope, raw tag key)."""
    if by in SCOPES:
        return by, None
    if by.startswith("tag:") and by[4:].strip():
        return "tag", by[4:].strip()
    raise UserError(f"--by {by!r}: expected repository, account, region or tag:KEY (e.g. tag:team)")


def costs_view(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: str,
    by: str = "repository",
    top: int | None = None,
    *,
    tags_from_inventory: bool = False,
    rebuild: bool = False,
    snapshot_id: str | None = None,
) -> dict[str, Any]:
    """`{"period", "by", "total_cost", "unattributed_cost", "rows": [{"key", "cost", ...}]}`
    plus what the figures rest on (tag source, estimated, adjustments, folding audit).
    Rows sum with unattributed_cost to total_cost."""
    parse_period(period)
    scope, raw_key = parse_by(by)
    if top is not None and top < 1:
        raise UserError(f"--top {top}: expected a positive number of rows")
    if not period_has_data(con, period):
        raise UserError(
            f"period {period}: no billing data in the warehouse; load the bill for it first "
            "(ecrcost ingest --cur LOCATION) or pick a loaded period"
        )
    ensure_marts(
        con,
        settings,
        period,
        tags_from_inventory=tags_from_inventory,
        force=rebuild,
        snapshot_id=snapshot_id,
    )
    total, unattributed, estimated, tags_source, snapshot_id, lines, _ = query_one(
        con, "marts/period_summary", {"period": period}
    )
    adjustments = {
        r["charge_class"]: r["cost"]
        for r in sqlfiles.records(con, "marts/unattributed_by_class", {"period": period})
    }
    view: dict[str, Any] = {
        "period": period,
        "by": by,
        "total_cost": total,
        "unattributed_cost": unattributed,
        "unattributed_by_charge_class": adjustments,
        "estimated": bool(estimated),
        "tags_source": tags_source,
        "snapshot_id": snapshot_id,
        "line_count": lines,
    }
    if scope == "repository":
        rows = sqlfiles.records(con, "marts/costs_by_repository", {"period": period})
    elif scope in ("account", "region"):
        rows = sqlfiles.records(con, "marts/costs_by_scope", {"period": period, "by": scope})
    else:
        folder = folder_from_settings(settings)
        known = [
            r["tag_key"]
            for r in sqlfiles.records(con, "marts/tag_keys_in_period", {"period": period})
        ]
        # The period's name for the key (`cost-center` finds `cost_center`).
        key = next((k for k in known if folder.same_key(k, raw_key)), folder.canonical(raw_key))
        rows = sqlfiles.records(con, "marts/costs_by_tag", {"period": period, "tag_key": key})
        coverage = query_one(con, "marts/tag_coverage_for_key", {"period": period, "tag_key": key})
        if coverage is None and lines:
            raise UserError(
                f"--by tag:{raw_key}: no tag key folds to '{key}' in period {period} "
                f"(keys there: {', '.join(known) or 'none'}); add it to tag_keys in ecrcost.toml, "
                "or try --tags-from-inventory"
            )
        view["tag_key"] = key
        # For a tag, spend with neither the key nor a repository is what stays unattributed.
        view["unattributed_cost"] = coverage[0] if coverage else unattributed
        view["untagged_cost"] = coverage[1] if coverage else 0.0
        view["coverage"] = coverage[2] if coverage else None
        view["folded_keys"] = sqlfiles.records(
            con, "marts/folding_for_key", {"period": period, "tag_key": key}
        )
    view["rows"] = rows[:top] if top else rows
    return view
