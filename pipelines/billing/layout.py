"""Which files of a billing location are current, grouped by billing period (no data read).

Layouts (see docs/cur_ecr_lines.md):
- legacy Parquet  `<root>/year=YYYY/month=M/*.parquet` + `<root>/cost_and_usage_data_status/`
- legacy CSV      `<root>/YYYYMMDD-YYYYMMDD/[<assemblyId>/]<report>-N.csv[.gz]` + top manifest
- Data Exports    `<export>/data/BILLING_PERIOD=YYYY-MM/...` + `<export>/metadata/BILLING_PERIOD=...`
- loose           any other billing file: one file or a flat folder, period taken from the data
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ecrcost import sqlfiles
from ecrcost.billing.location import Entry, Location
from ecrcost.billing.readers import first_line, scratch
from ecrcost.errors import UserError
from ecrcost.periods import Period

DATA_SUFFIXES = (".parquet", ".csv", ".csv.gz", ".csv.zip")  # AWS: Parquet, GZIP or ZIP
_EXPORT = re.compile(r"^BILLING_PERIOD=(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^year=(\d{4})$")
_MONTH = re.compile(r"^month=(\d{1,2})$")
_RANGE = re.compile(r"^(\d{4})(\d{2})\d{2}-\d{8}$")
STATUS_FOLDER = "cost_and_usage_data_status"
# AWS may rewrite the current month and, early in a month, restate the previous one: when the
# legacy status says UPDATING, the newest this many periods of the report are marked incomplete.
UPDATING_PERIODS = 2


@dataclass
class PeriodFiles:
    layout: str  # legacy-parquet | legacy-csv | export | loose
    root: str  # the report/export folder the period belongs to
    period: str | None  # YYYY-MM; None for loose files (taken from the data)
    files: list[Entry] = field(default_factory=list)  # the current data files only
    manifest: Entry | None = None
    manifest_bytes: bytes = b""
    status: str | None = None  # legacy Parquet: READY | UPDATING
    complete: bool = True  # False: the status said UPDATING for this recent period
    status_bytes: bytes = b""
    notes: list[str] = field(default_factory=list)

    def fingerprint(self) -> str:
        """Changes when any current file, the manifest or the status changes (a restatement)."""
        h = hashlib.sha256(f"{self.layout}\0{self.root}\0{self.period}\0".encode())
        for e in sorted(self.files, key=lambda e: e.key):
            h.update(f"{e.key}\0{e.size}\0{e.version}\n".encode())
        h.update(self.manifest_bytes)
        h.update(self.status_bytes)
        return h.hexdigest()


def _is_data(key: str) -> bool:
    name = PurePosixPath(key).name.lower()
    return name.endswith(DATA_SUFFIXES) and not name.startswith((".", "_"))


def _classify(key: str, above: list[str]) -> tuple[str, str, str | None, str]:
    """(layout, root, period, path inside the period folder) of a data file's key; a period
    folder naming no real month (`BILLING_PERIOD=2024-13`) is an error naming the key.

    `above` are the location's own folders: when the key names no period folder, the location
    may be one (`--cur .../BILLING_PERIOD=2024-10`); the root is then the location itself."""
    found = _match(key.split("/"), key)
    if found[0] == "loose" and above:
        layout, _, period, rel = _match([*above, *key.split("/")], key)
        if layout != "loose":
            return layout, "", period, rel
    return found


def _match(parts: list[str], key: str) -> tuple[str, str, str | None, str]:
    for i, part in enumerate(parts):
        if m := _EXPORT.match(part):
            period = Period.parse(f"{m[1]}-{m[2]}", f"{key}: folder BILLING_PERIOD")
            return "export", "/".join(parts[:i]), str(period), "/".join(parts[i + 1 :])
        if (m := _YEAR.match(part)) and i + 1 < len(parts) and (n := _MONTH.match(parts[i + 1])):
            month = int(n[1])
            if 1 <= month <= 12:
                period = str(Period(int(m[1]), month))
                return "legacy-parquet", "/".join(parts[:i]), period, "/".join(parts[i + 2 :])
        if m := _RANGE.match(part):
            period = Period.parse(f"{m[1]}-{m[2]}", f"{key}: report folder")
            return "legacy-csv", "/".join(parts[:i]), str(period), "/".join(parts[i + 1 :])
    return "loose", "", None, key


def discover(loc: Location, entries: list[Entry] | None = None) -> list[PeriodFiles]:
    """The periods of a location with their current files, manifests and status."""
    entries = loc.entries() if entries is None else entries
    groups: dict[tuple[str, str, str | None], PeriodFiles] = {}
    inner: dict[str, str] = {}
    above = loc.folders()
    for e in entries:
        if not _is_data(e.key) or f"{STATUS_FOLDER}/" in f"/{e.key}":
            continue
        layout, root, period, rel = _classify(e.key, above)
        group = groups.setdefault((layout, root, period), PeriodFiles(layout, root, period))
        group.files.append(e)
        inner[e.key] = rel
    if not groups:
        raise UserError(
            f"{loc.url}: no billing files (.parquet, .csv, .csv.gz, .csv.zip) found; check --cur"
        )
    layouts = sorted({g.layout for g in groups.values()})
    if len(layouts) > 1:
        raise UserError(
            f"{loc.url}: mixes billing layouts ({', '.join(layouts)}); point --cur at one report"
        )
    by_period: dict[str | None, set[str]] = {}
    for g in groups.values():
        by_period.setdefault(g.period, set()).add(g.root)
    for period, roots in by_period.items():
        if len(roots) > 1 and period is not None:
            names = ", ".join(sorted(r or "." for r in roots))
            raise UserError(
                f"{loc.url}: several reports deliver {period} ({names}); point --cur at one"
            )
    out = sorted(groups.values(), key=lambda g: g.period or "")
    for g in out:
        if g.layout == "legacy-csv":
            _select_legacy_csv(loc, entries, g, inner)
        elif g.layout == "export":
            _select_export(loc, entries, g, inner)
    if out[0].layout == "legacy-parquet":
        _apply_status(loc, entries, out)
    return out


def _read_manifest(loc: Location, entry: Entry) -> tuple[bytes, dict]:
    raw = loc.read_bytes(entry.key)
    try:
        doc = json.loads(raw)
    except ValueError:
        raise UserError(f"{loc.display(entry.key)}: manifest is not valid JSON") from None
    if not isinstance(doc, dict):
        raise UserError(f"{loc.display(entry.key)}: manifest is not a JSON object")
    return raw, doc


def _pick(loc: Location, g: PeriodFiles, listed: list[str], manifest: Entry, inner) -> None:
    """Keep only the files the manifest lists; a listed file that is missing is an error."""
    present = {inner[e.key]: e for e in g.files}
    missing = [k for k in listed if k not in present]
    if missing:
        raise UserError(
            f"{loc.display(manifest.key)}: lists {missing[0]}, which is not in the location"
            f" ({len(missing)} missing); copy the whole period"
        )
    ignored = len(g.files) - len(set(listed))
    g.files = [present[k] for k in dict.fromkeys(listed)]
    if ignored:
        g.notes.append(f"ignored {ignored} file(s) not in the current manifest (older assemblies)")


def _after(key: str, pattern: re.Pattern[str]) -> str | None:
    parts = key.split("/")
    for i, part in enumerate(parts):
        if pattern.match(part):
            return "/".join(parts[i + 1 :])
    return None


def _select_legacy_csv(loc: Location, entries: list[Entry], g: PeriodFiles, inner) -> None:
    folder = PurePosixPath(g.files[0].key).parent
    while folder.name and not _RANGE.match(folder.name):
        folder = folder.parent  # up to the location itself when it is the report folder
    tops = [
        e
        for e in entries
        if PurePosixPath(e.key).parent == folder and e.key.endswith("Manifest.json")
    ]
    if not tops:
        assemblies = {inner[e.key].rpartition("/")[0] for e in g.files}
        if len(assemblies) > 1:
            raise UserError(
                f"{loc.display(str(folder))}: several assemblies and no <report>-Manifest.json"
                " to say which is current; copy the manifest too"
            )
        return
    manifest = max(tops, key=lambda e: e.modified)
    raw, doc = _read_manifest(loc, manifest)
    keys = doc.get("reportKeys")
    if not isinstance(keys, list) or not keys:
        raise UserError(f"{loc.display(manifest.key)}: manifest has no reportKeys list")
    listed = [_after(str(k), _RANGE) or str(k) for k in keys]
    g.manifest, g.manifest_bytes = manifest, raw
    _pick(loc, g, listed, manifest, inner)


def _select_export(loc: Location, entries: list[Entry], g: PeriodFiles, inner) -> None:
    export_root = g.root.rpartition("/")[0] if g.root.endswith("data") else g.root
    meta = f"{export_root}/metadata/BILLING_PERIOD={g.period}/".lstrip("/")
    manifests = [e for e in entries if e.key.startswith(meta) and e.key.endswith("Manifest.json")]
    if not manifests:
        _newest_execution(loc, g, inner)
        return
    manifest = max(manifests, key=lambda e: e.modified)
    raw, doc = _read_manifest(loc, manifest)
    files = doc.get("dataFiles")
    if not isinstance(files, list):
        raise UserError(f"{loc.display(manifest.key)}: manifest has no dataFiles list")
    listed = [_after(str(k), _EXPORT) or str(k) for k in files]
    g.manifest, g.manifest_bytes = manifest, raw
    if listed:
        _pick(loc, g, listed, manifest, inner)
    else:
        g.files = []


def _newest_execution(loc: Location, g: PeriodFiles, inner: dict[str, str]) -> None:
    """Without a manifest, one delivery per period: with Data Exports' "create new file" option
    each execution writes its own folder inside `BILLING_PERIOD=YYYY-MM/`
    (docs/billing-layouts.md), and summing them counts the spend once per execution. The newest
    execution (latest file written, then the greatest folder name) is read, and the choice said."""
    executions: dict[str, list[Entry]] = {}
    for e in g.files:
        executions.setdefault(inner[e.key].rpartition("/")[0], []).append(e)
    if len(executions) == 1:
        g.notes.append("no Data Exports manifest: every file of the period folder was read")
        return
    newest = max(executions, key=lambda k: (max(e.modified for e in executions[k]), k))
    g.files = executions[newest]
    older = sorted(k or "(the period folder itself)" for k in executions if k != newest)
    g.notes.append(
        f"no Data Exports manifest: read only the newest of {len(executions)} executions, "
        f"{newest or '(the period folder itself)'} ({len(g.files)} file(s)); ignored "
        f"{', '.join(older)}; copy metadata/ too to let the manifest choose"
    )


def _apply_status(loc: Location, entries: list[Entry], groups: list[PeriodFiles]) -> None:
    # AWS writes `<prefix>/<report>/cost_and_usage_data_status/` next to the inner `<report>/`
    # folder that holds year=/month=; accept it there or beside year= itself.
    root = f"{groups[0].root}/"
    marker = f"{STATUS_FOLDER}/"
    found = [
        e
        for e in entries
        if marker in f"/{e.key}"
        and e.key.endswith(".parquet")
        and _is_ancestor(f"/{e.key}".partition(f"/{marker}")[0].lstrip("/"), root)
    ]
    if not found:
        for g in groups:
            g.notes.append("no cost_and_usage_data_status table: completeness unknown")
        return
    entry = max(found, key=lambda e: e.modified)
    import duckdb

    with tempfile.TemporaryDirectory(prefix="ecrcost-status-") as tmp, scratch() as con:
        path = loc.local_path(entry.key, Path(tmp))
        try:
            rows = sqlfiles.run(con, "billing/read_status", {"file": str(path)}).fetchall()
        except duckdb.Error as exc:
            msg = first_line(exc)
            raise UserError(f"{loc.display(entry.key)}: unreadable status table: {msg}") from None
        raw = path.read_bytes()
    status = str(rows[0][0]).upper() if rows and rows[0][0] is not None else "UNKNOWN"
    newest = sorted({g.period for g in groups if g.period}, reverse=True)[:UPDATING_PERIODS]
    for g in groups:
        g.status, g.status_bytes = status, raw
        if status != "READY" and g.period in newest:
            g.complete = False
            g.notes.append(f"status {status}: AWS was still writing this month when it was read")


def _is_ancestor(folder: str, root: str) -> bool:
    return not folder or root.startswith(f"{folder}/")


def fingerprints(groups: list[PeriodFiles]) -> dict[str, str]:
    return {g.period: g.fingerprint() for g in groups if g.period}
