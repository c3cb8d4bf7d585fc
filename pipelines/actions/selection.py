"""The repositories of the latest inventory snapshot as the write side sees them (bytes, activity,
exemption), split by the one selection and exemption rules of `ecrcost.lifecycle.selection`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ecrcost import sqlfiles
from ecrcost.aws import AwsAccess
from ecrcost.errors import UserError
from ecrcost.inventory.model import AccountAccess
from ecrcost.lifecycle import selection

if TYPE_CHECKING:
    from ecrcost.prices import PriceTable
    from ecrcost.settings import Settings

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

    def monthly_cost(self, prices: PriceTable) -> float:
        return prices.monthly_cost(self.standard_bytes, self.archive_bytes, region=self.region)


@dataclass
class Selection:
    repos: list[Repo]  # selected and writable
    skipped: list[Repo]  # selected but exempt (see exempt_reason)


def latest_repositories(con: Any, settings: Settings, snapshot_id: str | None = None) -> list[Repo]:
    """The repositories of snapshot `snapshot_id` (the command's choice; the `latest_snapshot`
    view's when None)."""
    rows = sqlfiles.records(
        con,
        "actions/latest_repositories",
        {"exemption_tag": settings.exemption_tag, "snapshot_id": snapshot_id},
    )
    if not rows:
        which = f"snapshot {snapshot_id}" if snapshot_id else "no inventory snapshot"
        raise UserError(
            f"{settings.warehouse_path}: {which} with repositories; run `ecrcost inventory` first"
        )
    out = []
    for row in rows:
        row["exempt_tagged"] = bool(row["exempt_tagged"])
        row["exempt_reason"] = selection.exempt_reason(
            settings, row["repository_name"], row["exempt_tagged"]
        )
        out.append(Repo(**row))
    return out


def recorded_access(con: Any, snapshot_id: str | None) -> dict[str, AccountAccess]:
    """Account id -> how snapshot `snapshot_id` read it (None: the newest snapshot that recorded
    the account); accounts read before access was recorded are absent."""
    return {
        r["account_id"]: AccountAccess(**r)
        for r in sqlfiles.records(con, "actions/account_access", {"snapshot_id": snapshot_id})
    }


def snapshot_access(
    con: Any, settings: Settings, snapshot_id: str | None, accounts: Sequence[str]
) -> AwsAccess:
    """How writes reach each account: as snapshot `snapshot_id` read it (None: as the newest
    snapshot that recorded the account), unless --role-name/--external-id say otherwise.
    UserError, before any write, when a recorded role needs an external id nobody gave."""
    recorded = recorded_access(con, snapshot_id)
    access = AwsAccess.from_settings(settings)
    access.recorded = recorded
    for account in sorted(set(accounts)):
        if account in recorded and access.needs_external_id(account):
            raise UserError(
                f"account {account} was read through role {recorded[account].role_name} with an "
                "external id: pass --external-id (or set ECRCOST_EXTERNAL_ID)"
            )
    return access


def select(
    repos: Sequence[Repo], include: Sequence[str] | None, exclude: Sequence[str] | None = None
) -> Selection:
    """The repositories the globs select; exempt ones go to `skipped`, whatever the globs say."""
    chosen = selection.select(repos, include, exclude)
    return Selection(
        repos=[r for r in chosen if r.exempt_reason is None],
        skipped=[r for r in chosen if r.exempt_reason is not None],
    )
