"""Which inventory snapshot a command works from, and the list a user chooses from.

The rule is the `latest_snapshot` view (sql/schema/050_latest_snapshot.sql): the newest complete
snapshot, else the newest partial one. `choose_snapshot` applies it, or the user's
`--snapshot ID`, and says in plain words what it passed over, so a partial or empty snapshot is
never used, nor skipped, silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from ecrcost import fmt, sqlfiles
from ecrcost.errors import UserError


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: str
    taken_at: datetime
    source: str
    manifests_read: bool
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    repository_count: int
    image_count: int
    state: str  # complete | partial | empty
    missing: tuple[str, ...]  # "account/region/repository: Operation ErrorCode"
    # how each in-use source was read: {"source", "scope", "status", "detail"}
    in_use_sources: tuple[dict[str, Any], ...] = ()

    @property
    def in_use(self) -> str:
        """The in-use sources in a few words: `ecs read 2; inspector not_enabled 2`."""
        counts: dict[tuple[str, str], int] = {}
        for s in self.in_use_sources:
            counts[(s["source"], s["status"])] = counts.get((s["source"], s["status"]), 0) + 1
        return "; ".join(f"{source} {status} {n}" for (source, status), n in counts.items())

    @property
    def label(self) -> str:
        return f"snapshot {self.snapshot_id} taken at {fmt.iso(self.taken_at)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id,
            "taken_at": fmt.iso(self.taken_at),
            "source": self.source,
            "manifests_read": self.manifests_read,
            "accounts": list(self.accounts),
            "regions": list(self.regions),
            "repositories": self.repository_count,
            "images": self.image_count,
            "state": self.state,
            "missing": list(self.missing),
            "in_use_sources": [dict(s) for s in self.in_use_sources],
        }


@dataclass(frozen=True)
class SnapshotChoice:
    snapshot: SnapshotInfo
    notes: tuple[str, ...]  # what was passed over, or why the chosen one needs care

    @property
    def snapshot_id(self) -> str:
        return self.snapshot.snapshot_id

    def describe(self) -> str:
        s = self.snapshot
        return f"using {s.label} ({s.state}, {s.repository_count} repositories)"

    def announce(self, stream: TextIO) -> None:
        """Say which snapshot a command uses and what choosing it passed over."""
        print(self.describe(), file=stream)
        for note in self.notes:
            print(f"note: {note}", file=stream)


def list_snapshots(con: Any) -> list[SnapshotInfo]:
    """Every snapshot in the warehouse, newest first."""
    return [
        SnapshotInfo(
            **{
                **row,
                "accounts": tuple(row["accounts"]),
                "regions": tuple(row["regions"]),
                "missing": tuple(row["missing"]),
                "in_use_sources": tuple(row["in_use_sources"]),
            }
        )
        for row in sqlfiles.records(con, "inventory/snapshot_list")
    ]


def choose_snapshot(con: Any, snapshot_id: str | None = None) -> SnapshotChoice:
    """The snapshot `snapshot_id` names, else the one `latest_snapshot` picks; UserError when
    there is none (or no such id)."""
    return _choose(con, list_snapshots(con), snapshot_id)


def _choose(con: Any, snapshots: list[SnapshotInfo], snapshot_id: str | None) -> SnapshotChoice:
    if not snapshots:
        raise UserError("no inventory snapshot in the warehouse: run `ecrcost inventory` first")
    by_id = {s.snapshot_id: s for s in snapshots}
    if snapshot_id is not None:
        if snapshot_id not in by_id:
            raise UserError(
                f"--snapshot {snapshot_id}: no such snapshot (`ecrcost snapshots` lists them)"
            )
        chosen = by_id[snapshot_id]
        return SnapshotChoice(chosen, _caveats(chosen))
    latest = sqlfiles.run(con, "inventory/latest_snapshot_id").fetchall()[0][0]
    chosen = by_id[latest]
    passed_over = tuple(
        f"passed over the newer {s.label}: it is {s.state}"
        + (f" ({_missing_summary(s)})" if s.missing else "")
        + f"; pass --snapshot {s.snapshot_id} to use it"
        for s in snapshots
        if s.taken_at > chosen.taken_at
    )
    return SnapshotChoice(chosen, passed_over + _caveats(chosen))


def snapshot_in_use(con: Any, snapshot_id: str | None = None) -> SnapshotChoice | None:
    """`choose_snapshot` for commands that also work without an inventory (costs, report):
    None when the warehouse holds no snapshot and the user named none."""
    snapshots = list_snapshots(con)  # listed once, for the test and the choice
    if snapshot_id is None and not snapshots:
        return None
    return _choose(con, snapshots, snapshot_id)


def stored_notes(con: Any, snapshot_id: str) -> tuple[str, ...]:
    """What `inventory` says after storing `snapshot_id` when it is partial or empty: later
    commands pass over it unless told (`--snapshot ID`)."""
    s = next(s for s in list_snapshots(con) if s.snapshot_id == snapshot_id)
    if s.state == "complete":
        return ()
    what = f"is partial ({_missing_summary(s)})" if s.state == "partial" else "holds no repository"
    return (
        f"{s.label} {what}: later commands (policy plan/apply, findings, report) will not use "
        f"it silently; they take the newest complete snapshot. Pass --snapshot {s.snapshot_id} "
        "to use this one",
    )


def _caveats(s: SnapshotInfo) -> tuple[str, ...]:
    if s.state == "partial":
        return (
            f"{s.label} is partial ({_missing_summary(s)}): what it could not read is left "
            "out; `ecrcost snapshots` lists what is missing",
        )
    if s.state == "empty":
        return (f"{s.label} holds no repository",)
    return ()


def _missing_summary(s: SnapshotInfo) -> str:
    more = f" and {len(s.missing) - 1} more" if len(s.missing) > 1 else ""
    return f"missing {s.missing[0]}{more}"
