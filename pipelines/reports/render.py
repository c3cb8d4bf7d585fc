"""Render one billing period's report: a self-contained HTML file (inline CSS and SVG, nothing
fetched), a Markdown file for a ticket or chat, and one CSV file per table.

Escaping: repository names and tag values are user-controlled. HTML templates are autoescaped;
charts escape their labels (ecrcost.reports.charts); Markdown text goes through `md_cell`
(table breaks, HTML, and the link, image and emphasis syntax); CSV cells through
`ecrcost.fmt.csv_value`, the one CSV rule (formula-like text gets a leading apostrophe).
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecrcost import fmt as formats
from ecrcost.periods import parse_period, shift_period
from ecrcost.reports import sections as sec
from ecrcost.resources import templates_dir

if TYPE_CHECKING:
    import duckdb
    import jinja2

    from ecrcost.settings import Settings


@dataclass(frozen=True)
class ReportFiles:
    out_dir: Path
    html: Path
    md: Path
    csv: list[Path]
    seconds: float
    period: str = ""
    headline: tuple[tuple[str, str], ...] = ()  # the headline's figures as shown (label, value)


# --- formatting (shared by the HTML and Markdown templates) ----------------------------------


def fmt(value: Any, kind: str = "text") -> str:
    """A value as shown in the report (CSV keeps the raw value)."""
    if value is None:
        return "–"
    if kind == "money":
        return formats.money(value)
    if kind == "money4":
        return formats.money(value, 4)
    if kind == "signed_money":
        return formats.signed_money(value)
    if kind == "pct":
        return formats.share(value)
    if kind == "signed_pct":
        return formats.signed_share(value)
    if kind == "gb":
        return f"{value:,.2f}"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "bytes":
        return formats.human_bytes(value, thousands=True)
    if kind == "date":
        return f"{value:%Y-%m-%d}" if isinstance(value, date | datetime) else str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# Escaped with a backslash: `[ ] ( ) !` make links and images (a bill value must not become an
# image fetched when the file is viewed), `* _` and the backtick emphasis and code, `|` a column
# break, and the backslash itself.
_MD_ESCAPED = "\\|[]()!*_`"


def md_cell(value: Any) -> str:
    """Text safe in Markdown (a table cell or a line): no column break, no HTML, no link, image
    or emphasis, one line."""
    text = "".join("\\" + c if c in _MD_ESCAPED else c for c in str(value))
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.splitlines()) if ("\n" in text or "\r" in text) else text


def csv_cell(value: Any) -> Any:
    """A CSV cell as `fmt.csv_value` writes it (times as `YYYY-MM-DD HH:MM:SS`)."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return formats.csv_value(value)


@cache
def environment() -> jinja2.Environment:
    """One environment per process: it keeps the compiled templates (reloaded when edited)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        # HTML templates escape every value; Markdown escapes its own way (md filter).
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2", "html"), default_for_string=True, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["fmt"] = fmt
    env.filters["md"] = md_cell
    return env


# --- rendering -------------------------------------------------------------------------------


def report_dir(settings: Settings, period: str) -> Path:
    """Where a period's report is written unless told otherwise: <home>/reports/<period>/."""
    return settings.home / "reports" / period


def html_path(out_dir: Path, period: str) -> Path:
    return out_dir / f"ecr-report-{period}.html"


def render_report(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: str,
    compare: str | None = None,
    out_dir: Path | str | None = None,
    *,
    snapshot_id: str | None = None,
    snapshot_notes: tuple[str, ...] = (),
) -> ReportFiles:
    """Render `period`'s report (against `compare`, default the prior period) into `out_dir`
    (default <home>/reports/<period>/), its inventory from snapshot `snapshot_id` (default the
    newest complete one; `snapshot_notes` say what choosing it passed over). Reads only."""
    started = time.perf_counter()
    period = parse_period(period)
    compare = parse_period(compare, "--compare") if compare else shift_period(period, -1)
    out = Path(out_dir) if out_dir is not None else report_dir(settings, period)
    out.mkdir(parents=True, exist_ok=True)

    ctx = sec.build_context(con, settings, period, compare, snapshot_id, snapshot_notes)
    sections = sec.build_sections(ctx)
    model = {
        "period": period,
        "compare": compare,
        "generated_at": formats.utc_minute(datetime.now(UTC)),
        "sections": sections,
    }
    env = environment()
    html = html_path(out, period)
    md = out / f"ecr-report-{period}.md"
    html.write_text(env.get_template("report.html.j2").render(model), encoding="utf-8")
    md.write_text(env.get_template("report.md.j2").render(model), encoding="utf-8")
    csvs = _write_csvs(out, sections)
    headline = tuple(
        (f.label, fmt(f.value, f.kind)) for s in sections if s.key == "headline" for f in s.figures
    )
    return ReportFiles(out, html, md, csvs, time.perf_counter() - started, period, headline)


def _write_csvs(out: Path, sections: list[sec.Section]) -> list[Path]:
    paths = []
    figures = out / "figures.csv"
    with figures.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["section", "figure", "value"])
        for s in sections:
            for fig in s.figures:
                w.writerow([s.key, csv_cell(fig.label), csv_cell(fig.value)])
    paths.append(figures)
    for s in sections:
        for table in s.tables:
            path = out / f"{table.name}.csv"
            with path.open("w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow([c.key for c in table.columns])
                for row in table.rows:
                    w.writerow([csv_cell(row.get(c.key)) for c in table.columns])
            paths.append(path)
    return paths
