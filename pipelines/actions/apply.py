"""Write lifecycle policies safely: for each repository read the live policy, back it up durably
(once per run), log the action, then write; one repository's failure never stops the others.

`apply_policy` puts a plan's policy on the repositories the plan planned (and skips, with the
plan's reason, those it skipped); `restore.restore_backup` uses the same writer to put each
repository's backed-up text back (or delete the policy it did not have).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ecrcost.actions import log
from ecrcost.actions.backup import BackupSet, latest_incomplete, new_backup_id
from ecrcost.actions.selection import Key
from ecrcost.errors import UserError

if TYPE_CHECKING:
    from ecrcost.lifecycle.plan import Plan

APPLY_KIND = "policy_apply"


@dataclass(frozen=True)
class Prediction:
    monthly_savings_usd: float | None = None
    freed_bytes: int | None = None


@dataclass(frozen=True)
class WriteTarget:
    account_id: str
    region: str
    repository_name: str
    desired_policy: str | None  # None: the repository must end with no policy
    prediction: Prediction = Prediction()
    exempt_reason: str | None = None

    @property
    def key(self) -> Key:
        return (self.account_id, self.region, self.repository_name)


@dataclass
class Outcome:
    account_id: str
    region: str
    repository_name: str
    status: str  # done | unchanged | failed | skipped
    detail: str = ""

    @property
    def label(self) -> str:
        return f"{self.account_id}/{self.region}/{self.repository_name}"


@dataclass
class RunResult:
    backup_id: str
    resumed: bool = False
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def new_run_backup(
    settings: Any, prefix: str, kind: str, now: datetime, actor: str, keys: Sequence[Key], **fields
) -> BackupSet:
    """The backup set of a new run, listing the repositories it is about to change."""
    return BackupSet.create(
        settings.backups_dir,
        new_backup_id(prefix, now),
        kind,
        created_at=now.isoformat(),
        actor=actor,
        repositories=[list(k) for k in keys],
        **fields,
    )


def start_row(backup: BackupSet, action: str, key: Key, actor: str, **fields: Any) -> log.ActionRow:
    """One repository's log row as its action begins (backed_up, moved on to done or failed)."""
    return log.ActionRow(
        action_id=log.action_id(backup.backup_id, action, *key),
        action=action,
        status="backed_up",
        acted_at=log.now_utc(),
        actor=actor,
        account_id=key[0],
        region=key[1],
        repository_name=key[2],
        backup_id=backup.backup_id,
        **fields,
    )


def each_writable(items: Sequence[Any], outcomes: list[Outcome]) -> Iterator[Any]:
    """The items (with `key` and `exempt_reason`) a run may write to; each exempt one becomes a
    skipped outcome instead, whoever built the list."""
    for item in items:
        if item.exempt_reason is None:
            yield item
        else:
            outcomes.append(Outcome(*item.key, "skipped", item.exempt_reason))


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a write run, with what of it is kept: the outcomes so far (each done one
    is written and logged), the repository in progress, and the backup to restore from."""

    def __init__(
        self,
        backup_id: str,
        outcomes: Sequence[Outcome],
        current: Any = None,
        restorable: bool = True,
    ):
        super().__init__(backup_id)
        self.backup_id, self.outcomes, self.restorable = backup_id, list(outcomes), restorable
        self.current = None if current is None else "/".join(current.key)

    def lines(self) -> list[str]:
        done = [o.label for o in self.outcomes if o.status == "done"]
        out = [
            f"interrupted: {len(done)} repositories written and logged before Ctrl-C"
            + (f" ({', '.join(done)})" if done else "")
        ]
        if self.current:
            out.append(
                f"interrupted while at {self.current}: its change may or may not have "
                "reached AWS; the backup holds its state from before"
            )
        out.append(
            f"backup: {self.backup_id}: `ecrcost policy restore --backup {self.backup_id}` "
            "puts these repositories back"
            if self.restorable
            else f"backup: {self.backup_id} records what each deleted repository held"
        )
        return out


class _Run:
    """The repositories of a run as it reaches them (`writable`), remembering the current one."""

    def __init__(self, outcomes: list[Outcome]):
        self.outcomes, self.current = outcomes, None

    def writable(self, items: Sequence[Any]) -> Iterator[Any]:
        for item in each_writable(items, self.outcomes):
            self.current = item
            yield item
        self.current = None


@contextmanager
def interruptible(
    backup: BackupSet, outcomes: list[Outcome], restorable: bool = True
) -> Iterator[_Run]:
    """A write run's loop: Ctrl-C inside it becomes `RunInterrupted` with what was kept."""
    run = _Run(outcomes)
    try:
        yield run
    except KeyboardInterrupt:
        raise RunInterrupted(backup.backup_id, outcomes, run.current, restorable) from None


def finish(backup: BackupSet, outcomes: list[Outcome], resumed: bool = False) -> RunResult:
    """The run's result; a run without failures marks its backup complete (nothing to resume)."""
    result = RunResult(backup.backup_id, resumed, outcomes)
    if not result.failed:
        backup.mark_complete(log.now_utc())
    return result


def error_text(exc: Exception) -> str:
    """One line: the AWS error code and message, or the exception's own text."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return f"{err.get('Code', 'Error')}: {err.get('Message', '')}".strip()
    return " ".join(str(exc).split()) or type(exc).__name__


def same_policy(live: str | None, desired: str | None, *, exact: bool) -> bool:
    """Exact text for restores (byte-identical state); JSON equality for applies, since
    whitespace does not change what a policy does."""
    if live is None or desired is None or exact:
        return live == desired
    try:
        return json.loads(live) == json.loads(desired)
    except ValueError:
        return live == desired


def client_for(access: Any, clients: dict, account_id: str, region: str) -> Any:
    """One ECR client per account and region for the run (creating one costs tens of ms)."""
    if (account_id, region) not in clients:
        clients[(account_id, region)] = access.client("ecr", account_id, region)
    return clients[(account_id, region)]


def read_live_policy(client: Any, account_id: str, repository_name: str) -> str | None:
    """The repository's policy text now; None when it has none (that is not an error)."""
    try:
        return client.get_lifecycle_policy(registryId=account_id, repositoryName=repository_name)[
            "lifecyclePolicyText"
        ]
    except client.exceptions.LifecyclePolicyNotFoundException:
        return None


def write_policies(
    con: Any,
    access: Any,
    backup: BackupSet,
    targets: Sequence[WriteTarget],
    *,
    action: str,
    actor: str,
    exact: bool,
) -> list[Outcome]:
    """For each target: live read, durable backup (first one kept), log, write, log."""
    from botocore.exceptions import BotoCoreError, ClientError

    outcomes: list[Outcome] = []
    clients: dict[tuple[str, str], Any] = {}
    with interruptible(backup, outcomes) as run:
        for t in run.writable(targets):
            row = start_row(
                backup,
                action,
                t.key,
                actor,
                new_policy=t.desired_policy,
                predicted_monthly_savings_usd=t.prediction.monthly_savings_usd,
                predicted_freed_bytes=t.prediction.freed_bytes,
            )
            entry = backup.read_entry(*t.key)  # a resumed run keeps the first backup
            try:
                client = client_for(access, clients, t.account_id, t.region)
                live = read_live_policy(client, t.account_id, t.repository_name)
            except (ClientError, BotoCoreError) as exc:
                row.old_policy = entry["policy_text"] if entry else None
                row.status, row.detail = "failed", f"GetLifecyclePolicy: {error_text(exc)}"
                log.record(con, row)
                outcomes.append(Outcome(*t.key, "failed", row.detail))
                continue
            if entry is None:
                entry = {
                    "account_id": t.account_id,
                    "region": t.region,
                    "repository_name": t.repository_name,
                    "recorded_at": log.now_utc().isoformat(),
                    "had_policy": live is not None,
                    "policy_text": live,
                }
                backup.write_entry(entry)
            row.old_policy = entry["policy_text"]
            log.record(con, row)
            if same_policy(live, t.desired_policy, exact=exact):
                row.status = "done"
                row.detail = (
                    "already had no policy"
                    if t.desired_policy is None
                    else "already carried this policy; not re-written"
                )
                outcomes.append(Outcome(*t.key, "unchanged", row.detail))
            else:
                operation = (
                    "DeleteLifecyclePolicy" if t.desired_policy is None else "PutLifecyclePolicy"
                )
                try:
                    if t.desired_policy is None:
                        # A policy removed since the read is the wanted state.
                        with suppress(client.exceptions.LifecyclePolicyNotFoundException):
                            client.delete_lifecycle_policy(
                                registryId=t.account_id, repositoryName=t.repository_name
                            )
                        row.detail = "policy deleted"
                    else:
                        client.put_lifecycle_policy(
                            registryId=t.account_id,
                            repositoryName=t.repository_name,
                            lifecyclePolicyText=t.desired_policy,
                        )
                        row.detail = None
                    row.status = "done"
                    outcomes.append(Outcome(*t.key, "done", row.detail or ""))
                except (ClientError, BotoCoreError) as exc:
                    row.status, row.detail = "failed", f"{operation}: {error_text(exc)}"
                    outcomes.append(Outcome(*t.key, "failed", row.detail))
            row.acted_at = log.now_utc()
            log.record(con, row)
    return outcomes


def open_apply_backup(
    backups_dir: Any,
    policy_text: str,
    backup_id: str | None,
    *,
    actor: str,
    now: datetime,
    policy_source: str = "",
) -> tuple[BackupSet, bool]:
    """The run's backup set and whether it resumes one: `backup_id` when given (created if new),
    else the newest unfinished apply of the same policy, else a new one."""

    def same(manifest: Mapping[str, Any]) -> bool:
        return same_policy(manifest.get("policy_text"), policy_text, exact=False)

    if backup_id is None:
        backup_id = latest_incomplete(backups_dir, APPLY_KIND, same)
    if backup_id is not None and (backups_dir / backup_id).exists():
        backup = BackupSet.open(backups_dir, backup_id)
        if backup.kind != APPLY_KIND:
            raise UserError(f"backup {backup_id} is a {backup.kind}, not a policy apply")
        if not same(backup.manifest):
            raise UserError(
                f"backup {backup_id} was made for a different policy: pass the same --policy "
                "or a new --backup-id"
            )
        return backup, True
    backup = BackupSet.create(
        backups_dir,
        backup_id or new_backup_id("apply", now),
        APPLY_KIND,
        created_at=now.isoformat(),
        actor=actor,
        policy_text=policy_text,
        policy_source=policy_source,
        repositories=[],  # filled as repositories are planned into the run
    )
    return backup, False


def apply_policy(
    con: Any,
    access: Any,
    settings: Any,
    plan: Plan,
    *,
    backup_id: str | None = None,
    actor: str,
    now: datetime | None = None,
    policy_source: str = "",
) -> RunResult:
    """Put the plan's policy on every repository it planned, with its predictions; the ones it
    skipped (exempt, incomplete inventory) are skipped with the plan's reason.

    The policy must have been validated by the caller. Re-running with the same backup id (or
    with none, while the last apply of this policy is unfinished) continues that run.
    """
    now = now or log.now_utc()
    policy_text = plan.policy_text
    backup, resumed = open_apply_backup(
        settings.backups_dir,
        policy_text,
        backup_id,
        actor=actor,
        now=now,
        policy_source=policy_source,
    )
    listed = {tuple(k) for k in backup.manifest.get("repositories", [])}
    planned = [r for r in plan.repositories if r.skipped_reason is None]
    new_keys = [list(r.key) for r in planned if r.key not in listed]
    if new_keys:
        backup.manifest["repositories"] = backup.manifest.get("repositories", []) + new_keys
        backup.save_manifest()
    targets = [
        WriteTarget(
            *r.key,
            desired_policy=policy_text,
            prediction=Prediction()
            if r.skipped_reason
            else Prediction(r.monthly_savings_usd, r.freed_bytes),
            exempt_reason=r.skipped_reason,
        )
        for r in plan.repositories
    ]
    outcomes = write_policies(
        con, access, backup, targets, action=log.POLICY_APPLIED, actor=actor, exact=False
    )
    return finish(backup, outcomes, resumed)
