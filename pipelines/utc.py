"""Instants in UTC, one rule each. The warehouse's TIMESTAMP columns hold UTC wall time without
a zone; code computes with aware UTC datetimes. A naive value is always UTC, never local time."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(value: str | datetime | None) -> datetime | None:
    """An aware UTC datetime from ISO text (`...Z`) or a datetime; naive values are UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)  # Python 3.11 reads a trailing Z as UTC
    if value.tzinfo is UTC:  # the common case (snapshot files, boto3): nothing to convert
        return value
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def naive_utc(value: datetime | None) -> datetime | None:
    """UTC wall time without a zone, as the warehouse stores it; naive values are UTC already."""
    if value is None or value.tzinfo is None:
        return value
    if value.tzinfo is UTC:
        return value.replace(tzinfo=None)
    return value.astimezone(UTC).replace(tzinfo=None)
