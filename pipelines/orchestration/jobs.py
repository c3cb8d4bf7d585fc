"""The monthly job, its schedule (day 3: the bill lags about two days) and the restatement sensor."""

import json

import dagster as dg

from ecrcost.billing import location_fingerprints
from ecrcost.orchestration.partitions import billing_periods
from ecrcost.orchestration.resources import EcrcostResource
from ecrcost.periods import Period

monthly_job = dg.define_asset_job(
    "monthly_ecr_costs",
    selection=dg.AssetSelection.all(),
    description="Refresh the inventory, load a billing period, rebuild everything derived from it.",
)


@dg.schedule(
    name="monthly_ecr_costs_schedule",
    cron_schedule="0 6 3 * *",
    job=monthly_job,
    execution_timezone="UTC",
)
def monthly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Day 3, 06:00 UTC: the month that just closed. (Written out: Dagster's
    build_schedule_from_partitioned_job calls a deprecated API on every tick, a warning in
    the daemon's log.)"""
    period = str(Period.last_closed(context.scheduled_execution_time))
    return dg.RunRequest(run_key=period, partition_key=period)


@dg.sensor(job=monthly_job, minimum_interval_seconds=3600)
def billing_files_changed(context: dg.SensorEvaluationContext, ecrcost: EcrcostResource):
    """Re-run a month when its billing files or manifest change (AWS restates open months).

    The cursor keeps each period's fingerprint (listing + manifests, no data read)."""
    settings = ecrcost.settings()
    if not settings.cur_location:
        return dg.SkipReason("no CUR location configured")
    known = set(billing_periods.get_partition_keys())
    seen = json.loads(context.cursor) if context.cursor else {}
    current = location_fingerprints(settings.cur_location, settings.cur_format)
    changed = sorted(p for p, fp in current.items() if p in known and seen.get(p) != fp)
    context.update_cursor(json.dumps(current, sort_keys=True))
    if not changed:
        return dg.SkipReason("billing files unchanged")
    return [dg.RunRequest(run_key=f"{p}:{current[p]}", partition_key=p) for p in changed]
