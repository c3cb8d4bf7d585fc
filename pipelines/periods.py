"""Billing periods (`YYYY-MM`, UTC calendar months): the one parser, the one month arithmetic.

Every `--period`, partition key and mart key goes through `Period.parse`, so the error for a
bad value reads the same everywhere.
"""

from __future__ import annotations

import calendar
import re
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime

from ecrcost.errors import UserError

_PATTERN = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True, order=True)
class Period:
    """One billing period; `str(p)` is its `YYYY-MM` key."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: object, what: str = "--period") -> Period:
        """`YYYY-MM` to a Period; anything else is a UserError naming `what` and the value."""
        match = _PATTERN.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise UserError(f"{what} {text!r}: expected a billing period as YYYY-MM, e.g. 2026-10")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Period:
        """The period a day (or a UTC datetime) falls in."""
        return cls(day.year, day.month)

    @classmethod
    def last_closed(cls, now: datetime | None = None) -> Period:
        """The month before the current UTC month: the newest bill AWS has finished writing."""
        return cls.of(now or datetime.now(UTC)).shift(-1)

    def shift(self, months: int) -> Period:
        index = self.year * 12 + self.month - 1 + months
        return Period(index // 12, index % 12 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """The first day of the next period (exclusive bound)."""
        return self.shift(1).first_day

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, self.days)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def start_at(self) -> datetime:
        """Midnight UTC of the first day, naive (the warehouse stores UTC without zone)."""
        return datetime(self.year, self.month, 1)

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, datetime.min.time())

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_period(text: object, what: str = "--period") -> str:
    """The `YYYY-MM` key of a valid period (for callers that keep periods as strings)."""
    return str(Period.parse(text, what))


def shift_period(period: str, months: int) -> str:
    return str(Period.parse(period).shift(months))


def period_range(first: str, last: str) -> list[str]:
    """Every period from `first` to `last`, both included, oldest first."""
    start, stop = Period.parse(first), Period.parse(last)
    out = []
    while start <= stop:
        out.append(str(start))
        start = start.shift(1)
    return out


def resolve_period(text: str | None, what: str = "--period") -> str:
    """The `YYYY-MM` key of `--period`; when it was not given, the last closed month, and a line
    on stderr saying so (a command that defaults a period names the one it used)."""
    if text is not None:
        return parse_period(text, what)
    period = str(Period.last_closed())
    print(f"note: {what} not given: using the last closed month, {period}", file=sys.stderr)
    return period
