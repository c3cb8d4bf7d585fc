"""One rule for instants: naive values are UTC (never the machine's local time)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

from ecrcost.utc import as_utc, naive_utc


def test_naive_values_are_utc_whatever_the_machines_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        wall = datetime(2026, 1, 2, 3, 0)
        assert naive_utc(wall) == wall
        assert as_utc(wall) == datetime(2026, 1, 2, 3, 0, tzinfo=UTC)
        plus_one = datetime(2026, 1, 2, 4, 0, tzinfo=timezone(timedelta(hours=1)))
        assert naive_utc(plus_one) == wall
        assert as_utc("2026-01-02T03:00:00Z") == as_utc(plus_one) == as_utc(wall)
        assert naive_utc(None) is None and as_utc(None) is None
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
