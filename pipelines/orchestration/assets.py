"""Assets: each a few lines that call the domain and describe what it did."""

import warnings

import dagster as dg

from pipelines.orchestration.partitions import billing_periods
from pipelines.orchestration.resources import EcrcostResource

# DuckDB has one writer: a backfill of many months is one run that loops over its periods.
# (backfill_policy is marked beta; the warning would print on every CLI run.)
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")
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
    for load in result.periods:
        if not load.complete:
            context.log.warning(f"{load.period}: incomplete (AWS was still writing the month)")
        for note in load.notes:
            context.log.warning(f"{load.period}: {note}")
    return dg.MaterializeResult(
        metadata={
            "periods": [p.period for p in result.periods],
            "ecr_rows": sum(p.ecr_rows for p in result.periods),
            "ecr_cost": round(sum(p.ecr_cost for p in result.periods), 2),
        }
    )


@dg.asset_check(
    asset=cur_ecr_lines,
    blocking=True,
    description="Warehouse = the source files read again, rows and dollars to the cent.",
)
def cur_ecr_lines_match_source(
    context: dg.AssetCheckExecutionContext, ecrcost: EcrcostResource
) -> dg.AssetCheckResult:
    from pipelines.billing import check_against_source

    settings = ecrcost.settings()
    periods = context.op_execution_context.partition_keys
    with ecrcost.connection() as con:
        off = check_against_source(con, settings.cur_location, settings.cur_format, periods)
    return dg.AssetCheckResult(
        passed=not off,
        metadata={"periods": periods, "mismatched": str(off) if off else "none"},
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


@dg.asset(
    group_name="inventory",
    deps=[ecr_inventory],
    description="What is worth cleaning in the latest snapshot, with bytes and $/month.",
)
def ecr_findings(ecrcost: EcrcostResource):
    from pipelines.findings.findings import build_findings

    with ecrcost.connection() as con:
        found = build_findings(con, ecrcost.settings())
    kinds: dict[str, int] = {}
    for finding in found:
        kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
    return dg.MaterializeResult(metadata={"findings": len(found), "by_kind": str(kinds)})


@dg.asset(
    group_name="inventory",
    deps=[ecr_inventory],
    description="The playbook base policy planned over the latest snapshot (what it would save).",
)
def candidate_policy_plan(ecrcost: EcrcostResource):
    from pipelines.reports.prepare import plan_candidate_policy

    with ecrcost.connection() as con:
        why_not = plan_candidate_policy(con, ecrcost.settings())
    if why_not:
        raise dg.Failure(why_not)


@dg.asset(
    group_name="savings",
    partitions_def=billing_periods,
    backfill_policy=SINGLE_RUN,
    deps=[cur_ecr_lines, policy_actions],
    description="Each logged action's predicted saving against what the bill shows.",
)
def realized_savings(context: dg.AssetExecutionContext, ecrcost: EcrcostResource):
    from pipelines.savings.realized import realized_savings as judge

    verdicts = {}
    with ecrcost.connection() as con:
        for period in context.partition_keys:
            verdicts[period] = [v.verdict for v in judge(con, ecrcost.settings(), period)]
    return dg.MaterializeResult(metadata={"verdicts": str(verdicts)})


@dg.asset(
    group_name="reports",
    partitions_def=billing_periods,
    backfill_policy=SINGLE_RUN,
    deps=[ecr_cost_marts, realized_savings, ecr_findings, candidate_policy_plan],
    description="The monthly savings report: HTML, Markdown and CSV under <home>/reports/.",
)
def savings_report(context: dg.AssetExecutionContext, ecrcost: EcrcostResource):
    from pipelines.reports.render import render_report
    from pipelines.reports.sections import shift

    paths = {}
    with ecrcost.connection() as con:
        for period in context.partition_keys:
            files = render_report(con, ecrcost.settings(), period, shift(period, -1))
            paths[period] = str(files.html)
    return dg.MaterializeResult(metadata={"html": str(paths)})


@dg.asset_check(asset=savings_report, description="The report is newer than its period's bill.")
def savings_report_fresh(
    context: dg.AssetCheckExecutionContext, ecrcost: EcrcostResource
) -> dg.AssetCheckResult:
    from pipelines import sqlfiles

    periods = context.op_execution_context.partition_keys
    settings = ecrcost.settings()
    with ecrcost.connection() as con:
        loads = dict(sqlfiles.run(con, "checks/billing_loaded_at", {"periods": periods}).fetchall())
    stale = []
    for period in periods:
        html = settings.home / "reports" / period / f"ecr-report-{period}.html"
        loaded_at = loads.get(period)
        if not html.exists() or (loaded_at and html.stat().st_mtime < loaded_at.timestamp()):
            stale.append(period)
    return dg.AssetCheckResult(passed=not stale, metadata={"stale": str(stale) or "none"})
