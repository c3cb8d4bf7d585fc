"""What `ecrcost inventory` prints: the summary, and the playbook script's CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ecrcost.fmt import csv_value, gib, iso, money
from ecrcost.inventory.model import InUseSource, ScanError, Snapshot
from ecrcost.inventory.snapshots import SnapshotInfo
from ecrcost.inventory.store import RepositorySize
from ecrcost.prices import PriceTable

MIB = 1024**2
PLAYBOOK_HEADER = ["Repositories", "Size", "Expected Cost"]
DETAILED_HEADER = [
    *PLAYBOOK_HEADER,
    "Account",
    "Region",
    "Images",
    "Untagged",
    "Billed Bytes",
    "Billed Size Basis",
    "Billed Expected Cost",
    "Oldest Push",
    "Newest Push",
    "Last Pull",
    "Has Policy",
    "Tags",
    "Complete",
]


def dollars(amount: float) -> str:
    """The CSV's cost cell: two decimals, rounded half up (the playbook's `bc` truncates
    instead). A file format the playbook's readers parse, not a display format: no `$`, no
    thousands separator."""
    return str(Decimal(repr(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def playbook_csv(
    sizes: Iterable[RepositorySize],
    prices: PriceTable,
    details: dict[tuple[str, str, str], dict[str, Any]] | None = None,
) -> str:
    """`Repositories,Size,Expected Cost` rows as the playbook script prints them: whole MiB of
    the summed ACTIVE image sizes labelled "MB", and their cost at the region's storage price.
    With `details` (rows of sql/inventory/repository_details.sql) the detailed columns follow."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DETAILED_HEADER if details is not None else PLAYBOOK_HEADER)
    for s in sizes:
        cost = prices.monthly_storage_cost(s.summed_image_bytes, s.region)
        row: list[Any] = [s.repository_name, f"{s.summed_image_bytes // MIB} MB", dollars(cost)]
        if details is not None:
            d = details.get((s.account_id, s.region, s.repository_name), {})
            row += [
                s.account_id,
                s.region,
                s.image_count,
                s.untagged_count,
                s.billed_bytes,
                s.size_basis,
                dollars(s.monthly_cost),
                _iso(d.get("oldest_push")),
                _iso(d.get("newest_push")),
                _iso(d.get("last_pull")),
                _bool(d.get("has_policy")),
                d.get("tags", ""),
                _bool(s.complete),
            ]
        writer.writerow([csv_value(c) for c in row])
    return buffer.getvalue()


def _bool(value: bool | None) -> str:
    """The CSV's boolean cells: `true`/`false` as spreadsheets and CSV readers parse them;
    empty when not known (the lifecycle policy could not be read)."""
    return "" if value is None else str(bool(value)).lower()


def _iso(value: datetime | None) -> str:
    """The CSV's time cells: whole seconds, UTC, `Z` (a file format: kept byte for byte)."""
    return "" if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def missing_line(e: ScanError) -> str:
    where = " ".join(
        f"{label} {value}"
        for label, value in (
            ("account", e.account_id),
            ("region", e.region),
            ("repository", e.repository_name),
        )
        if value
    )
    return f"missing: {where or 'inventory'}: {e.operation} failed: {e.error_code}: {e.message}"


def summary_lines(snapshot_id: str, snapshot: Snapshot, sizes: list[RepositorySize]) -> list[str]:
    images = [i for r in snapshot.repositories for i in r.images]
    accounts = {r.account_id for r in snapshot.repositories}
    regions = {r.region for r in snapshot.repositories}
    archived = sum(i.status != "ACTIVE" for i in images)
    untagged = sum(not i.tags for i in images)
    billed = sum(s.billed_bytes for s in sizes)
    archived_bytes = sum(s.archived_bytes for s in sizes)
    dedup = sum(s.deduplicated for s in sizes)
    lines = [
        f"snapshot {snapshot_id} ({snapshot.source}): {len(accounts)} account(s), "
        f"{len(regions)} region(s), {len(snapshot.repositories)} repositories, "
        f"{len(images)} images ({untagged} untagged, {archived} archived)",
        f"billed size {gib(billed, 2)} standard + {gib(archived_bytes, 2)} archive "
        f"({dedup} repositories deduplicated, {len(sizes) - dedup} estimated from image sizes); "
        f"expected {money(sum(s.monthly_cost for s in sizes))} a month",
    ]
    lines += [missing_line(e) for e in snapshot.errors]
    return lines + in_use_lines(snapshot)


IN_USE_SOURCES = ("ecs", "lambda", "k8s", "inspector")


def in_use_lines(snapshot: Snapshot) -> list[str]:
    """What the in-use sources found: references per source, the distinct images they name,
    references to images that no longer exist, sources missing and Inspector not enabled."""
    if not snapshot.in_use_sources:
        return ["in use: no source read (images in use unknown for this snapshot)"]
    uses = snapshot.images_in_use
    counts = ", ".join(
        f"{source} {sum(u.source == source for u in uses)}" for source in IN_USE_SOURCES
    )
    held = {
        (r.account_id, r.region, r.name, i.digest) for r in snapshot.repositories for i in r.images
    }
    images = {(u.account_id, u.region, u.repository_name, u.image_digest) for u in uses} & held
    lines = [
        f"in use: {len(uses)} image reference(s) ({counts}) naming {len(images)} "
        "image(s) of the inventory"
    ]
    lines += [
        f"in use but gone: {u.used_by} uses {u.reference}"
        + (f" ({u.image_digest})" if u.image_digest and u.image_digest not in u.reference else "")
        + ": the image no longer exists"
        for u in uses
        if u.resolution == "missing"
    ]
    lines += [in_use_missing_line(s) for s in snapshot.missing_sources]
    off = [s.scope for s in snapshot.in_use_sources if s.status == "not_enabled"]
    if off:
        lines.append(
            f"inspector: not enabled in {', '.join(off)} (not an error: its in-use data is "
            "simply not there)"
        )
    return lines


def in_use_missing_line(s: InUseSource) -> str:
    where = f"account {s.account_id} region {s.region}" if s.region else s.scope
    return (
        f"missing: {s.source} in use {where}: {s.detail}; every image it could use is "
        "treated as possibly in use"
    )


SNAPSHOT_COLUMNS = (
    "snapshot_id", "taken_at", "source", "accounts", "regions", "repositories", "images",
    "state", "missing", "in_use",
)  # fmt: skip


def snapshot_rows(snapshots: list[SnapshotInfo], output: str) -> str:
    """`ecrcost snapshots` as a table (aligned columns) or CSV (lists joined by `;`)."""
    rows = [
        [
            s.snapshot_id,
            iso(s.taken_at),
            s.source,
            ";".join(s.accounts),
            ";".join(s.regions),
            s.repository_count,
            s.image_count,
            s.state,
            "; ".join(s.missing) if output == "table" else ";".join(s.missing),
            s.in_use,
        ]
        for s in snapshots
    ]
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(SNAPSHOT_COLUMNS)
        writer.writerows([csv_value(c) for c in r] for r in rows)
        return buffer.getvalue()
    if not rows:
        return "no inventory snapshot in the warehouse: run `ecrcost inventory` first\n"
    header = ["SNAPSHOT", "TAKEN AT", "SOURCE", "ACCOUNTS", "REGIONS", "REPOS", "IMAGES"]
    table = [[*header, "STATE", "MISSING", "IN USE"], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    numeric = {5, 6}  # right-aligned
    lines = [
        "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in table
    ]
    return "\n".join(lines) + "\n"
