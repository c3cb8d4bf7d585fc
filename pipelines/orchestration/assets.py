"""Assets: each a few lines that call the domain and describe what it did."""

import warnings
from collections import Counter
from datetime import datetime
from pathlib import Path

import dagster as dg

from ecrcost import sqlfiles
from ecrcost.attribution import build_marts, reconcile
from ecrcost.billing import check_against_source
from ecrcost.billing.engines import run_engine
from ecrcost.delivery.deliver import deliver_report, failed
from ecrcost.errors import PartialResult
from ecrcost.findings.findings import build_findings
from ecrcost.inventory.collect import collect_inventory
from ecrcost.inventory.model import Snapshot
from ecrcost.inventory.store import store_snapshot
from ecrcost.lifecycle.candidate import plan_candidate_policy
from ecrcost.orchestration.partitions import billing_periods
from ecrcost.orchestration.resources import EcrcostResource
from ecrcost.periods import shift_period
from ecrcost.reports.render import html_path, render_report, report_dir
from ecrcost.savings.realized import realized_savings as judge_actions

# DuckDB has one writer: a backfill of many months is one run that loops over its periods.
# (backfill_policy is marked beta; the warning would print on every CLI run.)
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")
SINGLE_RUN = dg.BackfillPolicy.single_run()


def monthly_asset(**kwargs):
    """An asset per billing period: monthly partitions, and a backfill is one run."""
    return dg.asset(partitions_def=billing_periods, backfill_policy=SINGLE_RUN, **kwargs)


def blocking_check(asset, description: str):
    """A check whose failure stops everything downstream of its asset in the run."""
    return dg.asset_check(asset=asset, blocking=True, description=description)


def _each_period(ecrcost: EcrcostResource, periods, step) -> dict:
    """`step(con, settings, period)` for each period of the run, over one connection."""
    settings = ecrcost.settings()
    with ecrcost.connection() as con:
        return {period: step(con, settings, period) for period in periods}


policy_actions = dg.AssetSpec(
    "policy_actions",
    description="The action log: policies applied/restored and repositories deleted "
    "(written by `ecrcost policy apply|restore` and `ecrcost repos delete`).",
    group_name="sources",
)


@dg.asset(group_name="inventory", description="A new ECR inventory snapshot per run.")
def ecr_inventory(context: dg.AssetExecutionContext, ecrcost: EcrcostResource):
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
    for source in snapshot.missing_sources:  # its images are then possibly in use
        context.log.warning(f"missing: {source.source} in use {source.scope}: {source.detail}")
    return dg.MaterializeResult(
        metadata={
            "snapshot_id": snapshot_id,
            "taken_at": dg.MetadataValue.timestamp(snapshot.taken_at),
            "repositories": len(snapshot.repositories),
            "images": sum(len(r.images) for r in snapshot.repositories),
            "scan_errors": len(snapshot.errors),
            "images_in_use": len(snapshot.images_in_use),
            "in_use_sources_missing": len(snapshot.missing_sources),
        }
    )


@monthly_asset(
    group_name="billing",
    description="ECR line items of the billing export, replaced a whole month at a time.",
)
def cur_ecr_lines(context: dg.AssetExecutionContext, ecrcost: EcrcostResource):
    settings = ecrcost.settings()
    if not (settings.cur_location or settings.billing_table):
        raise dg.Failure(
            "no CUR location: set ECRCOST_CUR_LOCATION or cur_location in ecrcost.toml"
        )
    with ecrcost.connection() as con:
        run = run_engine(con, settings, context.partition_keys)
    result = run.result
    scanned = {"scanned_bytes": run.scanned_bytes, "scan_cost": run.scan_cost}
    for load in result.periods:
        if not load.complete:
            context.log.warning(f"{load.period}: incomplete (AWS was still writing the month)")
        for note in load.notes:
            context.log.warning(f"{load.period}: {note}")
    return dg.MaterializeResult(
        metadata={
            "periods": dg.MetadataValue.json([p.period for p in result.periods]),
            "ecr_rows": sum(p.ecr_rows for p in result.periods),
            "ecr_cost": round(sum(p.ecr_cost for p in result.periods), 2),
            # which engine extracted the lines and what it read (Athena: billed bytes, $)
            "engine": run.engine,
            "source": result.location,
            **{k: v for k, v in scanned.items() if v is not None},
        }
    )


@blocking_check(cur_ecr_lines, "Warehouse = the source files read again, rows and $ to the cent.")
def cur_ecr_lines_match_source(
    context: dg.AssetCheckExecutionContext, ecrcost: EcrcostResource
) -> dg.AssetCheckResult:
    settings = ecrcost.settings()
    periods = context.op_execution_context.partition_keys
    if not settings.cur_location:  # an engine read a table: there are no files to read again
        return dg.AssetCheckResult(
            passed=True,
            metadata={
                "periods": dg.MetadataValue.json(periods),
                "not_compared": f"engine {settings.engine} read table {settings.billing_table};"
                " the load's own checks ran on its lines",
            },
        )
    with ecrcost.connection() as con:
        off = check_against_source(con, settings.cur_location, settings.cur_format, periods)
    return dg.AssetCheckResult(
        passed=not off,
        metadata={
            "periods": dg.MetadataValue.json(periods),
            "mismatched": dg.MetadataValue.json(
                {
                    period: {
                        "warehouse_rows": mine[0],
                        "warehouse_cost": mine[1],
                        "source_rows": theirs[0],
                        "source_cost": theirs[1],
                    }
                    for period, (mine, theirs) in off.items()
                }
            ),
        },
    )


@monthly_asset(
    group_name="marts",
    deps=[cur_ecr_lines, ecr_inventory],
    description="Spend per repository and per cost-allocation tag, with the unattributed line.",
)
def ecr_cost_marts(context: dg.AssetExecutionContext, ecrcost: EcrcostResource):
    built = _each_period(ecrcost, context.partition_keys, build_marts)
    totals = {period: round(summary.total_cost, 2) for period, summary in built.items()}
    return dg.MaterializeResult(metadata={"total_cost_by_period": dg.MetadataValue.json(totals)})


@blocking_check(ecr_cost_marts, "Attributed + unattributed = the period's ECR lines, to the cent.")
def ecr_cost_marts_reconcile(
    context: dg.AssetCheckExecutionContext, ecrcost: EcrcostResource
) -> dg.AssetCheckResult:
    sums = _each_period(
        ecrcost,
        context.op_execution_context.partition_keys,
        lambda con, _, period: reconcile(con, period),
    )
    off = {
        period: {"marts": round(attributed, 2), "bill": round(billed, 2)}
        for period, (attributed, billed) in sums.items()
        if round(attributed - billed, 2) != 0
    }
    return dg.AssetCheckResult(passed=not off, metadata={"mismatched": dg.MetadataValue.json(off)})


@dg.asset(
    group_name="inventory",
    deps=[ecr_inventory],
    description="What is worth cleaning in the latest snapshot, with bytes and $/month.",
)
def ecr_findings(ecrcost: EcrcostResource):
    with ecrcost.connection() as con:
        found = build_findings(con, ecrcost.settings())
    kinds = dict(Counter(finding.kind for finding in found))
    return dg.MaterializeResult(
        metadata={"findings": len(found), "by_kind": dg.MetadataValue.json(kinds)}
    )


@dg.asset(
    group_name="inventory",
    deps=[ecr_inventory],
    description="The playbook base policy planned over the latest snapshot (what it would save).",
)
def candidate_policy_plan(ecrcost: EcrcostResource):
    with ecrcost.connection() as con:
        why_not = plan_candidate_policy(con, ecrcost.settings())
    if why_not:
        raise dg.Failure(why_not)


@monthly_asset(
    group_name="savings",
    deps=[cur_ecr_lines, policy_actions],
    description="Each logged action's predicted saving against what the bill shows.",
)
def realized_savings(context: dg.AssetExecutionContext, ecrcost: EcrcostResource):
    judged = _each_period(ecrcost, context.partition_keys, judge_actions)
    verdicts = {period: [v.verdict for v in found] for period, found in judged.items()}
    # Which counterfactual each judged action was measured against (docs/realized-savings.md).
    methods = {period: [v.method for v in found] for period, found in judged.items()}
    return dg.MaterializeResult(
        metadata={
            "verdicts": dg.MetadataValue.json(verdicts),
            "counterfactuals": dg.MetadataValue.json(methods),
        }
    )


@monthly_asset(
    group_name="reports",
    deps=[ecr_cost_marts, realized_savings, ecr_findings, candidate_policy_plan],
    description="The monthly savings report: HTML, Markdown and CSV under <home>/reports/.",
)
def savings_report(context: dg.AssetExecutionContext, ecrcost: EcrcostResource):
    rendered = _each_period(
        ecrcost,
        context.partition_keys,
        lambda con, settings, period: render_report(
            con, settings, period, shift_period(period, -1)
        ),
    )
    paths = {period: str(files.html) for period, files in rendered.items()}
    return dg.MaterializeResult(metadata={"html": dg.MetadataValue.json(paths)})


@monthly_asset(
    group_name="reports",
    deps=[savings_report],
    description="The report sent to the destinations of the `deliver` setting (S3, e-mail, "
    "webhook); a destination that received this report already is skipped, a failed one is "
    "tried again on the next run.",
)
def report_delivery(context: dg.AssetExecutionContext, ecrcost: EcrcostResource):
    settings = ecrcost.settings()
    if not settings.deliver:
        return dg.MaterializeResult(metadata={"deliveries": dg.MetadataValue.text("none set")})
    deliveries = []
    with ecrcost.connection() as con:
        for period in context.partition_keys:
            # Rendered again (a read of the warehouse): what is sent is what the figures say now.
            files = render_report(con, settings, period, shift_period(period, -1))
            deliveries += deliver_report(con, settings, files)
    if failed(deliveries):  # the step fails, visibly; the ledger retries them next run
        raise PartialResult("; ".join(d.line() for d in failed(deliveries)))
    lines = [d.line() for d in deliveries]
    return dg.MaterializeResult(metadata={"deliveries": dg.MetadataValue.text("\n".join(lines))})


@dg.asset_check(asset=savings_report, description="The report is newer than its period's bill.")
def savings_report_fresh(
    context: dg.AssetCheckExecutionContext, ecrcost: EcrcostResource
) -> dg.AssetCheckResult:
    periods = context.op_execution_context.partition_keys
    settings = ecrcost.settings()
    with ecrcost.connection() as con:
        loads = dict(sqlfiles.run(con, "checks/billing_loaded_at", {"periods": periods}).fetchall())
    stale = [
        p for p in periods if report_is_stale(html_path(report_dir(settings, p), p), loads.get(p))
    ]
    return dg.AssetCheckResult(
        passed=not stale,
        metadata={"stale": dg.MetadataValue.text(", ".join(stale) or "none")},
    )


def report_is_stale(html: Path, loaded_at: datetime | None) -> bool:
    """A report is stale when it is missing or older than its period's billing load."""
    return not html.exists() or (
        loaded_at is not None and html.stat().st_mtime < loaded_at.timestamp()
    )
