"""Assets: each a few lines that call the domain and describe what it did."""

import dagster as dg

from pipelines.orchestration.partitions import billing_periods
from pipelines.orchestration.resources import EcrcostResource

# DuckDB has one writer: a backfill of many months is one run that loops over its periods.
SINGLE_RUN = dg.BackfillPolicy.single_run()

policy_actions = dg.AssetSpec(
    "policy_actions",
    description="The action log: policies applied/restored and repositories deleted "
    "(written by `ecrcost policy apply|restore` and `ecrcost repos delete`).",
    group_name="sources",
)


@dg.asset(group_name="inventory", description="A new ECR inventory snapshot per run.")
def ecr_inventory(context: dg.AssetExecutionContext, ecrcost: EcrcostResource):
    from pipelines.inventory.collect import collect_inventory
    from pipelines.inventory.model import Snapshot
    from pipelines.inventory.store import store_snapshot

    settings = ecrcost.settings()
    if settings.inventory_snapshot:
        snapshot = Snapshot.read(settings.inventory_snapshot)
    else:
        snapshot = collect_inventory(settings)
    with ecrcost.connection() as con:
        snapshot_id = store_snapshot(con, snapshot)
    for error in snapshot.errors:
        context.log.warning(
            f"missing: {error.account_id}/{error.region}/{error.repository_name or '*'}: "
            f"{error.operation} {error.error_code}"
        )
    return dg.MaterializeResult(
        metadata={
            "snapshot_id": snapshot_id,
            "taken_at": snapshot.taken_at.isoformat(),
            "repositories": len(snapshot.repositories),
            "images": sum(len(r.images) for r in snapshot.repositories),
            "scan_errors": len(snapshot.errors),
        }
    )


@dg.asset(
    group_name="billing",
    partitions_def=billing_periods,
    backfill_policy=SINGLE_RUN,
    description="ECR line items of the billing export, replaced a whole month at a time.",
)
def cur_ecr_lines(context: dg.AssetExecutionContext, ecrcost: EcrcostResource):
    from pipelines.billing import ingest

    settings = ecrcost.settings()
    if not settings.cur_location:
        raise dg.Failure(
            "no CUR location: set ECRCOST_CUR_LOCATION or cur_location in ecrcost.toml"
        )
    with ecrcost.connection() as con:
        result = ingest(con, settings.cur_location, settings.cur_format, context.partition_keys)
    for period in result.periods:
        for note in period.warnings:
            context.log.warning(f"{period.period}: {note}")
    return dg.MaterializeResult(
        metadata={
            "periods": [p.period for p in result.periods],
            "ecr_rows": sum(p.ecr_rows for p in result.periods),
            "ecr_cost": round(sum(p.ecr_cost for p in result.periods), 2),
        }
    )


@dg.asset_check(asset=cur_ecr_lines, blocking=True, description="Warehouse = source, to the cent.")
def cur_ecr_lines_match_source(
    context: dg.AssetCheckExecutionContext, ecrcost: EcrcostResource
) -> dg.AssetCheckResult:
    from pipelines import sqlfiles

    periods = context.op_execution_context.partition_keys
    with ecrcost.connection() as con:
        rows = sqlfiles.run(con, "checks/cur_lines_vs_source", {"periods": periods}).fetchall()
    mismatched = {p: (w, s) for p, w, s in rows if s is None or round(w - s, 2) != 0}
    return dg.AssetCheckResult(
        passed=not mismatched,
        metadata={"periods": periods, "mismatched": str(mismatched) if mismatched else "none"},
    )


@dg.asset(
    group_name="marts",
    partitions_def=billing_periods,
    backfill_policy=SINGLE_RUN,
    deps=[cur_ecr_lines, ecr_inventory],
    description="Spend per repository and per cost-allocation tag, with the unattributed line.",
)
def ecr_cost_marts(context: dg.AssetExecutionContext, ecrcost: EcrcostResource):
    from pipelines.attribution import build_marts

    settings = ecrcost.settings()
    totals = {}
    with ecrcost.connection() as con:
        for period in context.partition_keys:
            summary = build_marts(con, settings, period)
            totals[period] = round(summary.total_cost, 2)
    return dg.MaterializeResult(metadata={"total_cost_by_period": str(totals)})


@dg.asset_check(
    asset=ecr_cost_marts,
    blocking=True,
    description="Attributed + unattributed = the period's ECR total in cur_ecr_lines, to the cent.",
)
def ecr_cost_marts_reconcile(
    context: dg.AssetCheckExecutionContext, ecrcost: EcrcostResource
) -> dg.AssetCheckResult:
    from pipelines.attribution import reconcile

    off = {}
    with ecrcost.connection() as con:
        for period in context.op_execution_context.partition_keys:
            attributed, billed = reconcile(con, period)
            if round(attributed - billed, 2) != 0:
                off[period] = (round(attributed, 2), round(billed, 2))
    return dg.AssetCheckResult(passed=not off, metadata={"mismatched": str(off) if off else "none"})
