"""The parts a report section is made of: figures, tables (each also a CSV file), charts, and the
context every section reads. Plain data: the templates format and escape, the CSV writer writes
values as they are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

if TYPE_CHECKING:
    import duckdb

    from ecrcost.settings import Settings

NUMERIC_KINDS = frozenset(
    {"money", "money4", "signed_money", "pct", "signed_pct", "gb", "bytes", "int"}
)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # text | name (wraps) | long (long text, wraps) | money | money4 | signed_money | pct | signed_pct | gb |
    # bytes | int | date
    kind: str = "text"
    show: bool = True  # False: in the CSV only (keeps wide tables readable on a page)

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS


@dataclass
class Table:
    name: str  # the CSV file's stem
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str | None = None
    limit: int | None = None  # rows shown in HTML/Markdown (default settings.report_top_n)
    csv_only: bool = False  # HTML/Markdown say where it is instead of repeating rows shown above

    @property
    def visible(self) -> list[Column]:
        return [c for c in self.columns if c.show]

    @property
    def shown(self) -> list[dict[str, Any]]:
        return self.rows if self.limit is None else self.rows[: self.limit]

    @property
    def hidden(self) -> int:
        return len(self.rows) - len(self.shown)


@dataclass(frozen=True)
class Figure:
    label: str
    value: Any
    kind: str = "money"
    note: str | None = None
    group: str = ""  # figures of one group are shown together under this heading


@dataclass(frozen=True)
class FigureGroup:
    title: str
    figures: list[Figure]


@dataclass
class Section:
    key: str
    title: str
    available: bool = True
    why: str | None = None  # when not available
    figures: list[Figure] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # plain sentences (escaped when rendered)
    tables: list[Table] = field(default_factory=list)
    charts: list[Markup] = field(default_factory=list)

    @property
    def figure_groups(self) -> list[FigureGroup]:
        """The figures by group, in the order the groups first appear."""
        groups: dict[str, list[Figure]] = {}
        for f in self.figures:
            groups.setdefault(f.group, []).append(f)
        return [FigureGroup(title, figures) for title, figures in groups.items()]


def unavailable(key: str, title: str, why: str) -> Section:
    return Section(key, title, available=False, why=why)


@dataclass
class Context:
    con: duckdb.DuckDBPyConnection
    settings: Settings
    period: str
    compare: str
    marts: dict[str, dict[str, Any]]  # period -> its mart_builds row
    totals: dict[str, dict[str, Any]]  # period -> its period_totals row
    snapshot: dict[str, Any] | None
    snapshot_notes: tuple[str, ...] = ()  # what choosing the snapshot passed over, or caveats
    # trend period -> the days its lines cover (only loaded periods with lines; period_days.sql)
    days: dict[str, int] = field(default_factory=dict)
