"""The action log (`policy_actions`): who changed what in AWS, when, and what it should save.

A row is written before the AWS call (status `backed_up`) and moved on after it (`done` or
`failed`), so the log stays true when the process dies between the two.
"""

from __future__ import annotations

import getpass
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ecrcost import sqlfiles

POLICY_APPLIED = "policy_applied"
POLICY_RESTORED = "policy_restored"
REPOSITORY_DELETED = "repository_deleted"
IMAGE_PINNED = "image_pinned"
IMAGE_UNPINNED = "image_unpinned"


@dataclass
class ActionRow:
    action_id: str
    action: str
    status: str  # backed_up | done | failed
    acted_at: datetime
    actor: str
    account_id: str
    region: str
    repository_name: str
    backup_id: str
    old_policy: str | None = None
    new_policy: str | None = None
    predicted_monthly_savings_usd: float | None = None
    predicted_freed_bytes: int | None = None
    detail: str | None = None


def action_id(backup_id: str, action: str, account_id: str, region: str, name: str) -> str:
    """Stable per run and repository: a resumed run updates its row, never duplicates it."""
    return f"{backup_id}/{action}/{account_id}/{region}/{name}"


def record(con: Any, row: ActionRow) -> None:
    params = asdict(row)
    # DuckDB TIMESTAMP is naive UTC.
    params["acted_at"] = row.acted_at.astimezone(UTC).replace(tzinfo=None)
    sqlfiles.run(con, "actions/upsert_action", params)


def now_utc() -> datetime:
    return datetime.now(UTC)


def current_actor(access: Any) -> str:
    """The STS caller ARN; the local user name when STS cannot answer (it is only a label)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        sts = access.client("sts", None, None)
        return str(sts.get_caller_identity()["Arn"])
    except (BotoCoreError, ClientError):
        try:
            return f"local:{getpass.getuser()}"
        except (KeyError, OSError):
            return "local:unknown"


def import_actions(con: Any, path: Path | str) -> int:
    """Load action records from a JSON array file (e.g. the sample organisation's recorded
    history) into the log, replacing rows with the same action_id; returns how many it read."""
    return sqlfiles.run(con, "actions/import_actions", {"path": str(path)}).fetchall()[0][0]
