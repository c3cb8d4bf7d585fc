"""Put every repository of a policy backup back to its backed-up state: the same policy text,
or no policy when it had none. A restore is itself backed up (a `policy_restore` backup), so
it can be undone with another restore."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ecrcost.actions import log
from ecrcost.actions.apply import (
    APPLY_KIND,
    RunResult,
    WriteTarget,
    finish,
    new_run_backup,
    write_policies,
)
from ecrcost.actions.backup import BackupSet
from ecrcost.errors import UserError
from ecrcost.lifecycle.selection import exempt_reason, select

RESTORE_KIND = "policy_restore"
RESTORABLE_KINDS = (APPLY_KIND, RESTORE_KIND)


def restore_targets(
    backup: BackupSet,
    settings: Any,
    include: Sequence[str] | None,
    exempt_tagged: set[tuple[str, str, str]] | frozenset = frozenset(),
    exclude: Sequence[str] | None = None,
) -> list[WriteTarget]:
    """One target per backed-up repository the globs select; exempt ones marked as such."""
    if backup.kind not in RESTORABLE_KINDS:
        undo = (
            f"; `ecrcost images unpin --backup {backup.backup_id}` takes its pin tags off"
            if backup.kind == "image_pin"
            else ""
        )
        raise UserError(
            f"backup {backup.backup_id} is a {backup.kind}: it holds no policies to restore{undo}"
        )
    targets = []
    for entry in backup.entries():
        key = (entry["account_id"], entry["region"], entry["repository_name"])
        targets.append(
            WriteTarget(
                *key,
                desired_policy=entry["policy_text"] if entry["had_policy"] else None,
                exempt_reason=exempt_reason(settings, key[2], key in exempt_tagged),
            )
        )
    return select(targets, include, exclude)


def restore_backup(
    con: Any,
    access: Any,
    settings: Any,
    backup_id: str,
    *,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    exempt_tagged: set[tuple[str, str, str]] | frozenset = frozenset(),
    actor: str,
    now: datetime | None = None,
) -> RunResult:
    """Restore the repositories of backup `backup_id` (those the globs select, all by default).

    `exempt_tagged` holds the (account, region, name) keys carrying the exemption tag now:
    a repository exempted since the apply is not written to either.
    """
    now = now or log.now_utc()
    source = BackupSet.open(settings.backups_dir, backup_id)
    targets = restore_targets(source, settings, include, exempt_tagged, exclude)
    if not targets:
        raise UserError(f"backup {backup_id}: no backed-up repository matches the selection")
    writable = [t.key for t in targets if t.exempt_reason is None]
    undo = new_run_backup(
        settings, "restore", RESTORE_KIND, now, actor, writable, restores=backup_id
    )
    outcomes = write_policies(
        con, access, undo, targets, action=log.POLICY_RESTORED, actor=actor, exact=True
    )
    return finish(undo, outcomes)
