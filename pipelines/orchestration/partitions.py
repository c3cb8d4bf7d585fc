"""Billing periods as Dagster monthly partitions keyed `YYYY-MM`, the last one the last closed
month (AWS keeps restating the open month; the schedule loads a month once it has closed)."""

import dagster as dg

from ecrcost.settings import load_settings

billing_periods = dg.MonthlyPartitionsDefinition(
    start_date=load_settings().first_period, fmt="%Y-%m", end_offset=0
)
