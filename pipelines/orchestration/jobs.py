"""The monthly job, its schedule (day 3: the bill lags about two days) and the restatement sensor."""

import json

import dagster as dg

from ecrcost.billing import location_fingerprints
from ecrcost.orchestration.partitions import billing_periods
from ecrcost.orchestration.resources import EcrcostResource

monthly_job = dg.define_asset_job(
    "monthly_ecr_costs",
    selection=dg.AssetSelection.all(),
    description="Refresh the inventory, load a billing period, rebuild everything derived from it.",
)

monthly_schedule = dg.build_schedule_from_partitioned_job(
    monthly_job, day_of_month=3, hour_of_day=6, minute_of_hour=0
)


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
