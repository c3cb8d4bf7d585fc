"""Which repositories an action may touch: the latest inventory snapshot, the user's globs,
and the exemptions (the exemption tag, or a name listed in the settings) that always win."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from pipelines import sqlfiles
from pipelines.errors import UserError

Key = tuple[str, str, str]  # (account_id, region, repository_name)


@dataclass(frozen=True)
class Repo:
    account_id: str
    region: str
    repository_name: str
    repository_arn: str
    created_at: datetime | None
    snapshot_taken_at: datetime
    image_count: int
    standard_bytes: int
    archive_bytes: int
    last_activity: datetime | None
    exempt_tagged: bool = False  # carries settings.exemption_tag in the snapshot
    exempt_reason: str | None = None  # why it must not be written to; None: writable

    @property
    def key(self) -> Key:
        return (self.account_id, self.region, self.repository_name)

    @property
    def label(self) -> str:
        return f"{self.account_id}/{self.region}/{self.repository_name}"

    def monthly_cost(self, prices: Any) -> float:
        gib = 1024**3
        return self.standard_bytes / gib * prices.storage(
            self.region
        ) + self.archive_bytes / gib * prices.archive(self.region)


@dataclass
class Selection:
    repos: list[Repo]  # selected and writable
    skipped: list[Repo]  # selected but exempt (see exempt_reason)


def exempt_reason(settings: Any, repository_name: str, tagged: bool) -> str | None:
    if tagged:
        return f"exempt: tagged {settings.exemption_tag}"
    for glob in settings.exempt_repositories:
        if fnmatchcase(repository_name, glob):
            return f"exempt: matches exempt_repositories {glob!r}"
    return None


def latest_repositories(con: Any, settings: Any) -> list[Repo]:
    rows = sqlfiles.records(
        con, "actions/latest_repositories", {"exemption_tag": settings.exemption_tag}
    )
    if not rows:
        raise UserError(
            f"{settings.warehouse_path}: no inventory snapshot with repositories; "
            "run `ecrcost inventory` first"
        )
    out = []
    for row in rows:
        row["exempt_tagged"] = bool(row["exempt_tagged"])
        row["exempt_reason"] = exempt_reason(settings, row["repository_name"], row["exempt_tagged"])
        out.append(Repo(**row))
    return out


def matches(name: str, include: Sequence[str] | None, exclude: Sequence[str] | None) -> bool:
    if include and not any(fnmatchcase(name, g) for g in include):
        return False
    return not (exclude and any(fnmatchcase(name, g) for g in exclude))


def select(
    repos: Sequence[Repo], include: Sequence[str] | None, exclude: Sequence[str] | None = None
) -> Selection:
    """Repositories whose name matches an `include` glob (all when none) and no `exclude` glob;
    exempt ones go to `skipped`, whatever the globs say."""
    chosen = [r for r in repos if matches(r.repository_name, include, exclude)]
    return Selection(
        repos=[r for r in chosen if r.exempt_reason is None],
        skipped=[r for r in chosen if r.exempt_reason is not None],
    )
