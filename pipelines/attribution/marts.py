"""Attribution marts per billing period: repository costs, tag chargeback and coverage, the
unattributed line and the tag key folding audit, rebuilt as a whole period in one transaction.

All money is the bill's unblended cost (FOCUS: BilledCost), summed as DECIMAL(38,12) so a
re-run gives the same totals to the last digit, stored as DOUBLE; gross usage and
adjustments (credits, discounts, tax) are kept in separate columns.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ecrcost import sqlfiles
from ecrcost.attribution.folding import KeyFolder, folder_from_settings
from ecrcost.billing.groups import ensure_line_groups
from ecrcost.periods import parse_period
from ecrcost.warehouse import transaction

if TYPE_CHECKING:
    import duckdb

    from ecrcost.settings import Settings

# Bump when the marts' logic changes, so stored periods rebuild on their next use.
MART_VERSION = 4
# One DELETE per mart table: a rebuild replaces the whole period.
_DELETE_PERIOD = (
    "marts/delete_mart_builds",
    "marts/delete_repository_costs",
    "marts/delete_tag_chargeback",
    "marts/delete_tag_coverage",
    "marts/delete_unattributed_costs",
    "marts/delete_tag_key_folding",
)


@dataclass(frozen=True)
class MartSummary:
    period: str
    line_count: int
    total_cost: float  # the period's cur_ecr_lines total
    attributed_cost: float  # repository_costs.net_cost summed
    unattributed_cost: float
    repositories: int
    estimated: bool  # no resource ids: storage split by the inventory's billed bytes
    tags_source: str  # bill | bill+inventory
    snapshot_id: str | None
    seconds: float


def settings_key(settings: Settings) -> str:
    """A fingerprint of the settings the marts depend on: change them and marts rebuild."""
    doc = {
        "version": MART_VERSION,
        "tag_keys": list(settings.tag_keys),
        "aliases": sorted(settings.tag_aliases.items()),
        "case": settings.tag_case_sensitive,
        "prices": repr(settings.prices),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def latest_snapshot_id(con: duckdb.DuckDBPyConnection) -> str | None:
    row = query_one(con, "inventory/latest_snapshot_id")
    return row[0] if row else None


def periods_kept(
    con: duckdb.DuckDBPyConnection, periods: list[str]
) -> dict[str, tuple[bool, bool]]:
    """Per period: (bill loaded, marts built), as the warehouse holds them now."""
    rows = sqlfiles.run(con, "marts/periods_kept", {"periods": list(periods)}).fetchall()
    return {period: (billed, marts) for period, billed, marts in rows}


def build_marts(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: str,
    *,
    tags_from_inventory: bool = False,
    snapshot_id: str | None = None,
) -> MartSummary:
    """Rebuild every attribution mart of `period` from cur_ecr_line_groups (written first from
    cur_ecr_lines when missing or stale) and an inventory snapshot (`snapshot_id`, the one the
    command chose; the `latest_snapshot` view's when None), all or nothing.
    `tags_from_inventory`: today's repository tags win over the bill's for repositories in the
    snapshot (tags are not retroactive in the bill)."""
    parse_period(period)
    started = time.perf_counter()
    folder = folder_from_settings(settings)
    snapshot_id = snapshot_id or latest_snapshot_id(con)
    use_inventory = bool(tags_from_inventory and snapshot_id)
    tags_source = "bill+inventory" if use_inventory else "bill"
    params: dict[str, Any] = {"period": period, "snapshot_id": snapshot_id}

    with transaction(con):
        # Ingestion writes the groups; older warehouses and direct inserts get them here.
        ensure_line_groups(con, period)
        sqlfiles.run(con, "marts/attr_lines", {"period": period})
        lines, with_ids = query_one(con, "marts/attr_lines_counts")
        # Only a period whose bill has no resource id at all is split by inventory bytes.
        estimate = lines > 0 and with_ids == 0
        sqlfiles.run(con, "marts/attr_inventory", {"snapshot_id": snapshot_id, **_prices(settings)})
        sqlfiles.run(con, "marts/attr_alloc", {"estimate": estimate})
        _fill_key_map(con, folder, snapshot_id if use_inventory else None)
        sqlfiles.run(
            con,
            "marts/attr_line_tags",
            {"snapshot_id": snapshot_id, "use_inventory": use_inventory},
        )
        report_keys = [folder.canonical(k) for k in settings.tag_keys]
        sqlfiles.run(con, "marts/attr_tag_rows", {"report_keys": report_keys})
        for name in _DELETE_PERIOD:
            sqlfiles.run(con, name, {"period": period})
        sqlfiles.run(con, "marts/insert_repository_costs", params)
        sqlfiles.run(con, "marts/insert_unattributed_costs", {"period": period})
        tag_params = {"period": period, "tags_source": tags_source}
        sqlfiles.run(con, "marts/insert_tag_chargeback", tag_params)
        sqlfiles.run(con, "marts/insert_tag_coverage", tag_params)
        sqlfiles.run(
            con, "marts/insert_tag_key_folding", {**params, "use_inventory": use_inventory}
        )
        sqlfiles.run(
            con,
            "marts/insert_mart_build",
            {
                **params,
                "tags_source": tags_source,
                "estimated": estimate,
                "settings_key": settings_key(settings),
            },
        )
        summary = query_one(con, "marts/build_summary", {"period": period})

    line_count, total, attributed, unattributed, repositories = summary
    return MartSummary(
        period=period,
        line_count=int(line_count),
        total_cost=float(total),
        attributed_cost=float(attributed),
        unattributed_cost=float(unattributed),
        repositories=int(repositories),
        estimated=estimate,
        tags_source=tags_source,
        snapshot_id=snapshot_id,
        seconds=time.perf_counter() - started,
    )


def reconcile(con: duckdb.DuckDBPyConnection, period: str) -> tuple[float, float]:
    """(attributed + unattributed from the marts, the period's total in cur_ecr_lines).

    The blocking check passes when `round(a, 2) == round(b, 2)`."""
    parse_period(period)
    marts, lines = query_one(con, "marts/reconcile", {"period": period})
    return float(marts), float(lines)


def ensure_marts(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: str,
    *,
    tags_from_inventory: bool = False,
    force: bool = False,
    snapshot_id: str | None = None,
) -> MartSummary | None:
    """Build the period's marts when missing or stale (a newer billing load, another snapshot,
    another tag source or changed settings). Returns the summary when it built, else None."""
    parse_period(period)
    built, loaded, snap, source, key, current_loaded = query_one(
        con, "marts/build_state", {"period": period}
    )
    snapshot_id = snapshot_id or latest_snapshot_id(con)
    want_source = "bill+inventory" if tags_from_inventory and snapshot_id else "bill"
    fresh = (
        built
        and loaded == current_loaded
        and snap == snapshot_id
        and source == want_source
        and key == settings_key(settings)
    )
    if fresh and not force:
        return None
    return build_marts(
        con, settings, period, tags_from_inventory=tags_from_inventory, snapshot_id=snapshot_id
    )


def query_one(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None
) -> Any:
    """The single row of a query, fetched whole (DuckDB 2 refuses work while a result is open)."""
    rows = sqlfiles.run(con, name, params).fetchall()
    return rows[0] if rows else None


def _prices(settings: Settings) -> dict[str, Any]:
    regions = sorted(settings.prices.regions)
    return {
        "price_regions": regions,
        "storage_prices": [settings.prices.storage(r) for r in regions],
        "archive_prices": [settings.prices.archive(r) for r in regions],
        "default_storage_price": settings.prices.default.storage_per_gb_month,
        "default_archive_price": settings.prices.default.archive_per_gb_month,
    }


def _fill_key_map(
    con: duckdb.DuckDBPyConnection, folder: KeyFolder, inventory_snapshot: str | None
) -> None:
    raw = [tuple(r) for r in sqlfiles.run(con, "marts/bill_raw_keys").fetchall()]
    if inventory_snapshot is not None:
        rows = sqlfiles.run(con, "marts/inventory_raw_keys", {"snapshot_id": inventory_snapshot})
        raw += [("inventory", r[0]) for r in rows.fetchall()]
    folded = folder.fold_all(raw)
    sqlfiles.insert_staged(
        con,
        "marts/attr_key_map",
        {
            "source": [f.source for f in folded],
            "raw_key": [f.raw_key for f in folded],
            "canonical_key": [f.canonical_key for f in folded],
            "rule": [f.rule for f in folded],
        },
    )


def period_has_data(con: duckdb.DuckDBPyConnection, period: str) -> bool:
    """True when the period is loaded (view loaded_periods: a billing load is recorded, even one
    with no ECR spend, or it has ECR lines): the one definition `costs` and the report use."""
    return bool(query_one(con, "marts/period_loaded", {"period": period})[0])
