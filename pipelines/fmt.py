"""Display formats, one place each: money, bytes (binary units, named as such), times.

Figures are rounded only here, when shown; the warehouse and JSON outputs keep full precision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

GIB = 1024**3  # AWS bills ECR storage per "GB-month" of 2**30 bytes: a GiB


def money(value: float | None, places: int = 2, missing: str = "?") -> str:
    """`$1,234.56`, `-$3.10` for a negative amount, `missing` for None."""
    if value is None:
        return missing
    text = f"${abs(value):,.{places}f}"
    return f"-{text}" if value < 0 and round(value, places) != 0 else text


def signed_money(value: float, places: int = 2) -> str:
    """A change of money with its sign always shown: `+$1.20`, `-$3.10`."""
    return f"{'-' if value < 0 else '+'}${abs(value):,.{places}f}"


def money_per_month(value: float | None, places: int = 2) -> str:
    return "?" if value is None else f"{money(value, places)}/month"


def human_bytes(n: float | None, thousands: bool = False) -> str:
    """Bytes in the largest binary unit below 1024 of it: `512 B`, `1.5 GiB`."""
    if n is None:
        return "?"
    value = float(n)
    sep = "," if thousands else ""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024:
            return f"{value:{sep}.0f} B" if unit == "B" else f"{value:{sep}.1f} {unit}"
        value /= 1024
    return f"{value:{sep}.1f} TiB"


def gib(n: float, places: int = 3) -> str:
    """Bytes as GiB with a fixed number of places: `0.125 GiB`."""
    return f"{n / GIB:,.{places}f} GiB"


def share(value: float | None, missing: str = "-", places: int = 1) -> str:
    """A fraction as a percentage, one decimal unless told: 0.1234 -> `12.3%`."""
    return missing if value is None else f"{value * 100:.{places}f}%"


def signed_share(value: float) -> str:
    """A relative change with its sign always shown: 0.1234 -> `+12.3%`."""
    return f"{value * 100:+.1f}%"


def utc_minute(value: datetime) -> str:
    """A time to the minute for a sentence: `2026-04-02 06:00 UTC` (naive taken as UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{value:%Y-%m-%d %H:%M} UTC"


def iso(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z` (naive datetimes are taken as UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat() + "Z"


# A spreadsheet runs a cell starting with these as a formula (OWASP, "CSV Injection"; see
# docs/report.md): such text gets a leading apostrophe, which spreadsheets show as text.
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def csv_value(value: object) -> object:
    """A value as a CSV cell of data: floats to 12 significant digits (full precision for money
    and GiB, without binary noise: `0.1`, not `0.10000000000000586`), Decimals with every digit
    (a negative one stays a number), booleans `true`/`false`,
    None empty, text that a spreadsheet would run as a formula neutralised (`'=1+1`); anything
    else as it is. Every CSV file ecrcost writes passes its cells through here."""
    if isinstance(value, str):
        return "'" + value if value.startswith(CSV_FORMULA_STARTS) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "0" if value == 0 else f"{value:.12g}"
    if isinstance(value, Decimal):  # exact money: every digit, never 1E-12, a number to sheets
        return f"{value:f}"
    if value is None:
        return ""
    return value
