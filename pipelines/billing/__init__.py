"""Billing ingestion: legacy CUR (Parquet, CSV), CUR 2.0 and FOCUS into `cur_ecr_lines`.

Public API (heavy imports happen on first use, so `ecrcost --help` stays fast):
    ingest(con, location, fmt="auto", periods=None) -> IngestResult
    location_fingerprints(location, fmt="auto") -> dict[period, fingerprint]
    source_totals(location, fmt="auto", periods=None) -> dict[period, (rows, cost)]
    check_against_source(con, location, fmt, periods) -> {period: (warehouse, source)} that differ
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipelines.billing.load import (
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


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pipelines.billing import load

        return getattr(load, name)
    raise AttributeError(name)
