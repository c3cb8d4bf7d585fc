"""Billing ingestion: legacy CUR (Parquet, CSV), CUR 2.0 and FOCUS into `cur_ecr_lines`.

Public API (every module here imports duckdb and boto3 only inside the functions that use
them, so importing the package, as the CLI does, stays cheap):
    ingest(con, location, fmt="auto", periods=None, access=None) -> IngestResult
    location_fingerprints(location, fmt="auto", access=None) -> dict[period, fingerprint]
    source_totals(location, fmt="auto", periods=None, access=None) -> {period: (rows, cost)}
    check_against_source(con, location, fmt, periods) -> {period: (warehouse, source)} that differ
"""

from __future__ import annotations

from ecrcost.billing.load import (
    IngestResult,
    PeriodLoad,
    check_against_source,
    ingest,
    location_fingerprints,
    source_totals,
)

__all__ = [
    "IngestResult",
    "PeriodLoad",
    "check_against_source",
    "ingest",
    "location_fingerprints",
    "source_totals",
]
