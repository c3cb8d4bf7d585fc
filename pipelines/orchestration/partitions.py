"""Billing periods as Dagster monthly partitions keyed `YYYY-MM`, the last one the last closed
month (AWS keeps restating the open month; the schedule loads a month once it has closed).

They start at `first_period` when it is set, else at the first period the warehouse holds, or
a year before the last closed month when that is earlier (a new home gets a year of months to
load; `ecrcost run` names first_period for older ones). The warehouse is read once, when the
definitions load, without waiting: if another process holds it, the year is used.
"""

import dagster as dg

from ecrcost import sqlfiles, warehouse
from ecrcost.errors import EcrcostError
from ecrcost.periods import Period
from ecrcost.settings import Settings, load_settings

NEW_HOME_MONTHS = 12


def first_partition(settings: Settings) -> str:
    if settings.first_period:
        return settings.first_period
    year_ago = str(Period.last_closed().shift(-(NEW_HOME_MONTHS - 1)))
    return min(year_ago, first_loaded_period(settings) or year_ago)


def first_loaded_period(settings: Settings) -> str | None:
    """The warehouse's first loaded period; None when there is none or it cannot be read now."""
    import duckdb

    if not settings.warehouse_path.is_file():
        return None
    try:
        con = warehouse.connect(
            settings.warehouse_path,
            read_only=True,
            lock_wait=0,
            memory_limit=settings.duckdb_memory_limit,
        )
    except (EcrcostError, duckdb.Error):
        return None
    try:
        (row,) = sqlfiles.records(con, "orchestration/first_loaded_period")
    except duckdb.Error:  # an older warehouse without the view
        return None
    finally:
        con.close()
    return row["first_period"]


billing_periods = dg.MonthlyPartitionsDefinition(
    start_date=first_partition(load_settings()), fmt="%Y-%m", end_offset=0
)
