"""`ingest`: read a billing location, keep the ECR rows, replace whole periods in the warehouse."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ecrcost import sqlfiles
from ecrcost.billing import readers
from ecrcost.billing.groups import replace_line_groups
from ecrcost.billing.layout import PeriodFiles, discover
from ecrcost.billing.location import Location, open_location
from ecrcost.errors import UserError
from ecrcost.fmt import money
from ecrcost.periods import parse_period
from ecrcost.progress import Progress
from ecrcost.warehouse import transaction

if TYPE_CHECKING:
    import duckdb

    from ecrcost.aws import AwsAccess


@dataclass
class PeriodLoad:
    period: str
    source_format: str
    files: list[str]
    ecr_rows: int
    ecr_cost: float  # sum of ECR unblended cost (FOCUS BilledCost) in the source files
    complete: bool
    fingerprint: str
    notes: list[str] = field(default_factory=list)


@dataclass
class IngestResult:
    location: str
    periods: list[PeriodLoad]

    def period(self, period: str) -> PeriodLoad:
        return next(p for p in self.periods if p.period == period)


def _check_args(fmt: str, periods: list[str] | None) -> None:
    if fmt not in readers.FORMAT_CHOICES:
        choices = "|".join(readers.FORMAT_CHOICES)
        raise UserError(f"--format {fmt}: unknown billing format; use {choices}")
    for p in periods or []:
        parse_period(p, "--period")


def _wanted(groups: list[PeriodFiles], periods: list[str] | None, url: str) -> list[PeriodFiles]:
    if not periods or groups[0].layout == "loose":
        return groups
    known = {g.period for g in groups}
    missing = [p for p in periods if p not in known]
    if missing:
        raise UserError(
            f"{url}: no billing files for {missing[0]}; found {', '.join(sorted(known))}"
        )
    return [g for g in groups if g.period in periods]


def _inspect(con, loc: Location, groups, fmt: str, workdir: Path) -> dict[int, list]:
    """Fetch (S3) and read the columns of every file; one format across the location."""
    infos: dict[int, list[readers.FileInfo]] = {}
    total = sum(len(g.files) for g in groups)
    with Progress("billing files", total) as progress:
        for i, g in enumerate(groups):
            infos[i] = []
            for e in g.files:
                path = readers.unzipped(loc.display(e.key), loc.local_path(e.key, workdir), workdir)
                info = readers.read_columns(con, loc.display(e.key), path)
                readers.detect(info, g.layout, fmt)
                readers.check_required(info)
                infos[i].append(info)
                progress.advance()
    found = {(info.fmt, info.display) for lst in infos.values() for info in lst}
    formats = sorted({f for f, _ in found})
    if len(formats) > 1:
        examples = "; ".join(
            f"{f}: {next(d for ff, d in sorted(found) if ff == f)}" for f in formats
        )
        raise UserError(f"{loc.url}: mixes billing formats ({examples}); point --cur at one")
    return infos


def _drift(infos: list[readers.FileInfo]) -> list[str]:
    """Columns some files of a period have and others lack (read as NULL there)."""
    if len(infos) < 2:
        return []
    sets = [set(i.by_name()) for i in infos]
    partial = sorted(set.union(*sets) - set.intersection(*sets))
    if not partial:
        return []
    shown = ", ".join(partial[:5]) + (" ..." if len(partial) > 5 else "")
    return [
        f"schema drift: {len(partial)} column(s) missing from some files, read as NULL: {shown}"
    ]


def _run(con, sql: str, params: dict, what: str) -> duckdb.DuckDBPyConnection:
    import duckdb

    try:
        return con.execute(sql, params)
    except duckdb.ConstraintException as exc:
        msg = readers.first_line(exc)
        raise UserError(f"{what}: ECR line items that cannot load ({msg})") from None
    except duckdb.Error as exc:
        msg = readers.first_line(exc)
        raise UserError(f"{what}: cannot read billing data: {msg}") from None


@dataclass
class _Planned:
    load: PeriodLoad
    folder_period: str | None  # None: loose files, the period is taken from the data
    files: list[readers.FileInfo]
    where: str
    # None: `files` are the bill's own files. A list: `files` hold an engine's extracted lines
    # (billing/extract.py) and these are the bill files the lines came from.
    sources: list[str] | None = None


def ingest(
    con: duckdb.DuckDBPyConnection,
    location: str,
    fmt: str = "auto",
    periods: list[str] | None = None,
    access: AwsAccess | None = None,
) -> IngestResult:
    """Load the ECR lines of `location` (folder, file or s3://bucket/prefix) into cur_ecr_lines.

    Each period is replaced as a whole: its rows, cur_ecr_line_groups rows and billing_loads row
    are deleted and the new ones inserted in one transaction (the groups are read back from the
    period's new rows). Every file's columns are checked before it starts, and any read error
    inside rolls it back: on bad input the warehouse is left as it was. `access` reaches S3
    (its profile; default: the standard credential chain).
    """
    _check_args(fmt, periods)
    loc = open_location(location, access)
    groups = _wanted(discover(loc), periods, loc.url)
    con.execute("SET TimeZone = 'UTC'")
    with tempfile.TemporaryDirectory(prefix="ecrcost-billing-") as tmp:
        infos = _inspect(con, loc, groups, fmt, Path(tmp))
        plan = _plan(con, loc, groups, infos, periods)
        try:
            with transaction(con):
                for item in plan:
                    _replace(con, loc.url, item)
        finally:
            sqlfiles.run(con, "billing/drop_scan")
    return IngestResult(loc.url, [item.load for item in plan])


def _plan(con, loc: Location, groups, infos, periods) -> list[_Planned]:
    """One entry per period to replace, with the files to read for it."""
    plan: dict[str, _Planned] = {}
    for i, g in enumerate(groups):
        files = infos[i]
        fmt = files[0].fmt if files else "cur2"
        if g.period:
            found = {g.period: files}
            where = loc.display(g.root)
        else:
            found = _loose_periods(con, fmt, files, loc.url)
            where = loc.url
            _one_folder_per_period(found, loc.url)
        for period, part in found.items():
            pf = PeriodFiles(
                g.layout,
                g.root,
                period,
                list(g.files),
                g.manifest,
                g.manifest_bytes,
                g.status,
                g.complete,
                g.status_bytes,
            )
            notes = [*g.notes, *_drift(part)]
            load = PeriodLoad(
                period, fmt, [f.display for f in part], 0, 0.0, g.complete, pf.fingerprint(), notes
            )
            plan[period] = _Planned(load, g.period, part, where)
    out = sorted(plan.values(), key=lambda p: p.load.period)
    if periods:
        out = [p for p in out if p.load.period in periods]
        if not out:
            raise UserError(f"{loc.url}: no billing data for {', '.join(periods)}")
    return out


def _one_folder_per_period(found: dict[str, list[readers.FileInfo]], url: str) -> None:
    """Loose files: one delivery per period as in the period-folder layouts. The same period
    in several folders (copies of two executions or assemblies) would be summed: refused."""
    for period, files in found.items():
        folders = sorted({f.display.rpartition("/")[0] for f in files})
        if len(folders) > 1:
            raise UserError(
                f"{url}: billing period {period} is in files of {len(folders)} folders "
                f"({', '.join(folders)}), which would be summed; point --cur at one of them"
            )


def _loose_periods(con, fmt: str, files, url: str) -> dict[str, list[readers.FileInfo]]:
    by_path = {f.path: f for f in files}
    rows = []
    for kind in sorted({f.kind for f in files}):
        part = [f for f in files if f.kind == kind]
        params = readers.file_params(part)
        rows += _run(con, readers.periods_sql(fmt, part), params, url).fetchall()
    found: dict[str, list[readers.FileInfo]] = {}
    for path, period in sorted(rows, key=lambda r: (r[1] or "", r[0])):
        info = by_path[path]
        if period is None:
            raise UserError(f"{info.display}: line items without a billing period")
        found.setdefault(period, []).append(info)
    return found


def _scan_params(
    con, load: PeriodLoad, item: _Planned, files: list[readers.FileInfo], tags: bool = True
) -> dict:
    """Create the `billing_scan` macro for `files` (one kind) and return its parameters."""
    if item.sources is None:
        macro, params = readers.scan_macro(load.source_format, files, tags)
    else:
        macro, params = sqlfiles.load_sql("billing/create_staged_scan"), _staged_params(load, files)
    _run(con, macro, {}, item.where)
    return {**params, "period": load.period, "folder_period": item.folder_period}


def _kinds(files: list[readers.FileInfo]) -> list[list[readers.FileInfo]]:
    return [[f for f in files if f.kind == k] for k in sorted({f.kind for f in files})]


def _replace(con, location: str, item: _Planned) -> None:
    load = item.load
    p = {"period": load.period}
    sqlfiles.run(con, "billing/delete_period_lines", p)
    sqlfiles.run(con, "billing/delete_period_load", p)
    for part in _kinds(item.files):
        params = _scan_params(con, load, item, part)
        _run(con, sqlfiles.load_sql("billing/insert_period_lines"), params, item.where)
    _check_lines(con, item)
    load.notes += usage_notes(con, load.period)
    # The marts' grain, read back from the rows just inserted (never from the files again).
    replace_line_groups(con, load.period)
    load.ecr_rows, load.ecr_cost = period_totals(con, load.period)
    sqlfiles.run(
        con,
        "billing/insert_billing_load",
        {
            **p,
            "source_format": load.source_format,
            "location": location,
            "files": load.files,
            "fingerprint": load.fingerprint,
            "ecr_rows": load.ecr_rows,
            "source_ecr_cost": load.ecr_cost,
            "complete": load.complete,
            "notes": "; ".join(load.notes) or None,
        },
    )


def _check_lines(con, item: _Planned) -> None:
    """Refuse (inside the load's transaction: nothing is kept) lines of another billing period
    in a period folder, and costs or quantities that are not finite numbers."""
    files = _bill_files(item)
    period = item.load.period
    params = {"period": period, "files": list(files)}
    if item.folder_period is not None:
        row = sqlfiles.run(con, "billing/misfiled_line", params).fetchone()
        if row:
            path, own, lines = row
            raise UserError(
                f"{files[path].display}: {lines} ECR line(s) of billing period {own} in the "
                f"folder of {period}; move the file to its own period's folder (or point --cur "
                "at the file alone to load each line into its own period)"
            )
        if item.sources is None:  # an engine's extraction holds ECR lines only
            _check_files_without_lines(con, item)
    row = sqlfiles.run(con, "billing/nonfinite_line", {"period": period}).fetchone()
    if row:
        path, field_name, start, usage_type = row
        info = files.get(path)
        column = readers.source_column(item.load.source_format, item.files, field_name)
        raise UserError(
            f"{info.display if info else path}: column {column} is not a finite number "
            f"(NaN, Infinity or out of range), first at the line of {start:%Y-%m-%d %H:%M} "
            f"usage type {usage_type}; fix the file"
        )


def _check_files_without_lines(con, item: _Planned) -> None:
    """A file of a period folder that gave no ECR line (September's file under October's
    folder holding no ECR rows) is still compared with its folder: its own billing period,
    from Parquet column statistics when the footer has them (no data read), else from its rows.
    Refused in one line naming the file and both periods."""
    period, fmt = item.load.period, item.load.source_format
    params = {"period": period, "files": [f.path for f in item.files]}
    with_lines = {r[0] for r in sqlfiles.run(con, "billing/files_with_lines", params).fetchall()}
    rest = [f for f in item.files if f.path not in with_lines]
    own: dict[str, set[str | None]] = {}
    scan: list[readers.FileInfo] = []
    for f in rest:
        bounds = _stats_bounds(con, fmt, f, item.where)
        if bounds is None:
            scan.append(f)
        else:
            own[f.path] = bounds
    for part in _kinds(scan):
        sql = readers.periods_sql(fmt, part)
        for path, found in _run(con, sql, readers.file_params(part), item.where).fetchall():
            own.setdefault(path, set()).add(found)
    for f in rest:
        other = sorted(p for p in own.get(f.path, set()) if p is not None and p != period)
        if other:
            raise UserError(
                f"{f.display}: rows of billing period {other[0]} (no ECR lines) in the folder of "
                f"{period}; move the file to its own period's folder"
            )


def _stats_bounds(con, fmt: str, f: readers.FileInfo, where: str) -> set[str] | None:
    """The billing periods of the lowest and highest value of a Parquet file's period column
    in its footer statistics; None when they cannot tell (CSV, a row group without statistics,
    a multi-cloud FOCUS file whose other providers' rows do not count)."""
    names = f.by_name()
    if f.kind != "parquet" or (fmt == "focus" and "ProviderName" in names):
        return None
    params = {"files": [f.path], "column": readers.period_column(fmt, names)}
    rows = _run(con, sqlfiles.load_sql("billing/parquet_period_bounds"), params, where).fetchall()
    if not rows:
        return set()  # no row group: an empty file
    _, low, high, without = rows[0]
    bounds = {readers.stats_period(low), readers.stats_period(high)}
    return None if without or None in bounds else bounds


def usage_notes(con, period: str) -> list[str]:
    """Data quality of a loaded period, for its notes: which lines were classified by FOCUS's
    own columns (no usage type), and each ECR usage type left as "other" (counted in dollars,
    never in GB-months)."""
    by_unit: list[str] = []
    other: list[str] = []
    for r in sqlfiles.records(con, "billing/usage_rules", {"period": period}):
        if r["rule"] == "no usage type":
            by_unit.append(f"{r['usage_category']} {r['lines']}")
        else:
            other.append(f"{r['usage_type']} ({r['lines']} line(s), {money(r['cost'])})")
    notes = []
    if by_unit:
        notes.append(
            "lines without a usage type classified from ConsumedUnit/PricingUnit and "
            f"ChargeDescription: {', '.join(by_unit)}"
        )
    if other:
        notes.append(f"other ECR usage (not storage, archive or transfer): {'; '.join(other)}")
    return notes


def source_totals(
    location: str,
    fmt: str = "auto",
    periods: list[str] | None = None,
    access: AwsAccess | None = None,
) -> dict[str, tuple[int, float]]:
    """Per period, the ECR rows and dollars of its current source files, read again from the
    location without the warehouse: the reconciliation check's independent side."""
    _check_args(fmt, periods)
    loc = open_location(location, access)
    groups = _wanted(discover(loc), periods, loc.url)
    totals: dict[str, tuple[int, float]] = {}
    with readers.scratch() as con, tempfile.TemporaryDirectory(prefix="ecrcost-billing-") as tmp:
        infos = _inspect(con, loc, groups, fmt, Path(tmp))
        for item in _plan(con, loc, groups, infos, periods):
            rows, cost = 0, 0.0
            for part in _kinds(item.files):
                params = _scan_params(con, item.load, item, part, tags=False)
                sql = sqlfiles.load_sql("billing/scan_totals")
                n, c = _run(con, sql, params, item.where).fetchall()[0]
                rows, cost = rows + n, cost + c
            totals[item.load.period] = (rows, cost)
    return totals


def period_totals(con: duckdb.DuckDBPyConnection, period: str) -> tuple[int, float]:
    """The ECR rows and dollars the warehouse holds for `period` ((0, 0.0) when none)."""
    rows, cost = sqlfiles.run(con, "billing/period_totals", {"period": period}).fetchall()[0]
    return rows, cost


def loaded_since(con: duckdb.DuckDBPyConnection, since: datetime) -> list[str]:
    """The periods whose billing_loads row landed at or after `since` (naive UTC): what the
    warehouse kept of a run that started then, whatever the run believed."""
    return [r[0] for r in sqlfiles.run(con, "billing/loads_since", {"since": since}).fetchall()]


def check_against_source(
    con: duckdb.DuckDBPyConnection, location: str, fmt: str, periods: list[str]
) -> dict[str, tuple[tuple[int, float], tuple[int, float]]]:
    """Periods whose warehouse rows or dollars (to the cent) differ from the source files:
    {period: ((warehouse rows, cost), (source rows, cost))}; empty when all agree."""
    source = source_totals(location, fmt, periods)
    off = {}
    for period in periods:
        mine, theirs = period_totals(con, period), source.get(period, (0, 0.0))
        if mine[0] != theirs[0] or round(mine[1] - theirs[1], 2) != 0:
            off[period] = (mine, theirs)
    return off


def location_fingerprints(
    location: str, fmt: str = "auto", access: AwsAccess | None = None
) -> dict[str, str]:
    """Per period, a fingerprint of the current files + manifest (+ status): listing only.

    Loose files (no period folders) are the exception: their periods come from the data.
    """
    _check_args(fmt, None)
    loc = open_location(location, access)
    groups = discover(loc)
    if groups[0].layout != "loose":
        return {g.period: g.fingerprint() for g in groups if g.period}
    with readers.scratch() as con, tempfile.TemporaryDirectory(prefix="ecrcost-billing-") as tmp:
        infos = _inspect(con, loc, groups, fmt, Path(tmp))[0]
        found = _loose_periods(con, infos[0].fmt, infos, loc.url)
    g = groups[0]
    return {
        period: PeriodFiles(g.layout, g.root, period, g.files).fingerprint() for period in found
    }


@dataclass
class Extracted:
    """A period's ECR lines as an engine (Spark, Athena) extracted them: Parquet files in the
    canonical columns of billing/extract.py, loaded like a delivery's files."""

    period: str
    source_format: str
    files: list[str]  # local Parquet files; none when the period has no ECR line
    where: str  # what the engine read (period folder or table), for messages
    # The engine read one period folder's files (a misfiled line is refused); None: a table of
    # many periods, each row in its own billing period.
    folder_period: str | None
    complete: bool = True
    fingerprint: str = ""
    notes: list[str] = field(default_factory=list)
    scanned_bytes: int | None = None  # what the engine read for it, when it says


def load_extracted(
    con: duckdb.DuckDBPyConnection, location: str, extracted: list[Extracted]
) -> IngestResult:
    """Replace each period of `extracted` with its lines, exactly as `ingest` does with a
    delivery's files: the same insert, checks (own billing period, finite numbers, one folder
    per period), line groups and billing_loads row, all in one transaction."""
    con.execute("SET TimeZone = 'UTC'")
    plan = []
    for x in sorted(extracted, key=lambda x: x.period):
        parse_period(x.period, "--period")
        sources = []
        if x.files:
            rows = _run(
                con, sqlfiles.load_sql("billing/staged_source_files"), {"files": x.files}, x.where
            )
            sources = [r[0] for r in rows.fetchall()]
        if x.folder_period is None:
            found = {x.period: [readers.FileInfo(s, s, "parquet", {}) for s in sources]}
            _one_folder_per_period(found, location)
        load = PeriodLoad(
            x.period, x.source_format, sources, 0, 0.0, x.complete, x.fingerprint, list(x.notes)
        )
        staged = [readers.FileInfo(f, f, "parquet", {}) for f in x.files]
        plan.append(_Planned(load, x.folder_period, staged, x.where, sources))
    try:
        with transaction(con):
            for item in plan:
                _replace(con, location, item)
    finally:
        sqlfiles.run(con, "billing/drop_scan")
    return IngestResult(location, [item.load for item in plan])


def _staged_params(load: PeriodLoad, files: list[readers.FileInfo]) -> dict:
    return {
        "files": [f.path for f in files],
        "names": [],
        "products": readers.ECR_PRODUCTS,
        "service_names": readers.ECR_SERVICE_NAMES,
        "tag_keys": [],
        "source_format": load.source_format,
    }


def _bill_files(item: _Planned) -> dict[str, readers.FileInfo]:
    """The bill's files of a planned period by path (for an engine's extraction: the files
    its lines came from)."""
    if item.sources is None:
        return {f.path: f for f in item.files}
    return {s: readers.FileInfo(s, s, "parquet", {}) for s in item.sources}
