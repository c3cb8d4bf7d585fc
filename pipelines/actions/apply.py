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
from ecrcost.errors import EcrcostError, UserError

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
    note: str | None = None  # logged with the write (e.g. the in-use images --allow-in-use let go)

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
    notes: list[str] = field(default_factory=list)  # which backup the run uses, and why

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
        undo: str | None = None,
    ):
        super().__init__(backup_id)
        self.backup_id, self.outcomes, self.restorable = backup_id, list(outcomes), restorable
        self.undo = undo
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
        if self.undo:
            out.append(f"backup: {self.backup_id}: {self.undo}")
            return out
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
    backup: BackupSet, outcomes: list[Outcome], restorable: bool = True, undo: str | None = None
) -> Iterator[_Run]:
    """A write run's loop: Ctrl-C inside it becomes `RunInterrupted` with what was kept (and
    `undo`, how to undo it, when that is not `policy restore`)."""
    run = _Run(outcomes)
    try:
        yield run
    except KeyboardInterrupt:
        raise RunInterrupted(backup.backup_id, outcomes, run.current, restorable, undo) from None


def finish(
    backup: BackupSet, outcomes: list[Outcome], resumed: bool = False, notes: Sequence[str] = ()
) -> RunResult:
    """The run's result; a run without failures marks its backup complete (nothing to resume)."""
    result = RunResult(backup.backup_id, resumed, outcomes, list(notes))
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
    clients: dict[tuple[str, str], Any] | None = None,
    unreachable: Mapping[Key, str] | None = None,
) -> list[Outcome]:
    """For each target: live read, durable backup (first one kept), log, write, log. A failure
    (AWS's answer, a backup file that cannot be written) is that repository's own; targets in
    `unreachable` (key -> why) fail without a call."""
    from botocore.exceptions import BotoCoreError, ClientError

    outcomes: list[Outcome] = []
    clients = {} if clients is None else clients
    unreachable = unreachable or {}
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
            if t.key in unreachable:
                outcomes.append(Outcome(*t.key, "failed", unreachable[t.key]))
                continue
            try:
                entry = backup.read_entry(*t.key)  # a resumed run keeps the first backup
            except UserError as exc:
                outcomes.append(Outcome(*t.key, "failed", f"backup: {exc}"))
                continue
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
                try:
                    backup.write_entry(entry)
                except OSError as exc:  # this repository is not written without its backup
                    detail = f"backup not written, repository left as it was: {exc}"
                    outcomes.append(Outcome(*t.key, "failed", detail))
                    continue
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
                        row.detail = t.note
                    row.status = "done"
                    outcomes.append(Outcome(*t.key, "done", row.detail or ""))
                except (ClientError, BotoCoreError) as exc:
                    row.status, row.detail = "failed", f"{operation}: {error_text(exc)}"
                    outcomes.append(Outcome(*t.key, "failed", row.detail))
            row.acted_at = log.now_utc()
            log.record(con, row)
    return outcomes


def reach(
    access: Any, targets: Sequence[WriteTarget], clients: dict
) -> tuple[dict[Key, str], list[str]]:
    """Before any backup: one read per account and region of the writable `targets`
    (GetLifecyclePolicy of its first repository; any answer from AWS, even an error, reaches it).
    Returns the keys of the scopes that did not answer -> why, and one line per such scope."""
    from botocore.exceptions import BotoCoreError, ClientError

    first: dict[tuple[str, str], WriteTarget] = {}
    for t in targets:
        if t.exempt_reason is None:
            first.setdefault((t.account_id, t.region), t)
    failed: dict[tuple[str, str], str] = {}
    for (account_id, region), t in first.items():
        try:
            client = client_for(access, clients, account_id, region)
        except (ClientError, BotoCoreError) as exc:
            failed[(account_id, region)] = error_text(exc)
            continue
        try:
            read_live_policy(client, account_id, t.repository_name)
        except ClientError:
            pass  # AWS answered: the write loop reports this repository's own error
        except BotoCoreError as exc:
            failed[(account_id, region)] = error_text(exc)
    keys = {
        t.key: f"cannot reach AWS in {t.account_id}/{t.region}: {failed[t.key[:2]]}"
        for t in targets
        if t.exempt_reason is None and t.key[:2] in failed
    }
    lines = [f"cannot reach AWS in {a}/{r}: {why}" for (a, r), why in failed.items()]
    return keys, lines


def _same_run(manifest: Mapping[str, Any], policy_text: str, keys: Sequence[Key]) -> str | None:
    """None when `manifest` is a run of this policy over exactly these repositories; else what
    differs (a resumed run must be the same run: same selection, policy text and scope)."""
    if not same_policy(manifest.get("policy_text"), policy_text, exact=False):
        return "a different policy"
    listed = {tuple(k) for k in manifest.get("repositories", [])}
    if listed != set(keys):
        return f"other repositories ({len(listed)} listed, {len(set(keys))} planned now)"
    return None


def open_apply_backup(
    backups_dir: Any,
    policy_text: str,
    keys: Sequence[Key],
    backup_id: str | None,
    *,
    actor: str,
    now: datetime,
    policy_source: str = "",
) -> tuple[BackupSet, bool, list[str]]:
    """The run's backup set, whether it resumes one, and what to say about it: `backup_id` when
    given (created if new; refused if it is another run), else the newest unfinished apply of
    the same policy over the same repositories, else a new one."""
    notes: list[str] = []
    if backup_id is None:
        backup_id = latest_incomplete(
            backups_dir, APPLY_KIND, lambda m: _same_run(m, policy_text, keys) is None
        )
        other = latest_incomplete(backups_dir, APPLY_KIND, lambda m: True)
        if backup_id is None and other is not None:
            differs = _same_run(BackupSet.open(backups_dir, other).manifest, policy_text, keys)
            notes.append(
                f"not resuming unfinished backup {other}: it is a run of {differs}; "
                "starting a new backup"
            )
    if backup_id is not None and (backups_dir / backup_id).exists():
        backup = BackupSet.open(backups_dir, backup_id)
        if backup.kind != APPLY_KIND:
            raise UserError(f"backup {backup_id} is a {backup.kind}, not a policy apply")
        differs = _same_run(backup.manifest, policy_text, keys)
        if differs == "a different policy":
            raise UserError(
                f"backup {backup_id} was made for a different policy: pass the same --policy "
                "or a new --backup-id"
            )
        if differs:
            raise UserError(
                f"backup {backup_id} was made for {differs}: pass the same --repositories, "
                "--exclude and --snapshot, or a new --backup-id"
            )
        notes.append(
            f"resuming backup {backup_id}: the unfinished apply of this policy on the same "
            f"{len(keys)} repositories (started {backup.manifest.get('created_at')})"
        )
        return backup, True, notes
    backup = BackupSet.create(
        backups_dir,
        backup_id or new_backup_id("apply", now),
        APPLY_KIND,
        created_at=now.isoformat(),
        actor=actor,
        policy_text=policy_text,
        policy_source=policy_source,
        repositories=[list(k) for k in keys],
    )
    return backup, False, notes


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
    refused: Mapping[Key, str] | None = None,
    allowed_in_use: bool = False,
) -> RunResult:
    """Put the plan's policy on every repository it planned, with its predictions; the ones it
    skipped (exempt, incomplete inventory) are skipped with the plan's reason, and those in
    `refused` (key -> why: the policy would expire or archive images in use) with that reason,
    before any backup: they are not part of the run. With `allowed_in_use`, the log row of a
    repository whose in-use images the policy lets go says how many.

    The policy must have been validated by the caller. AWS is reached first: when no account and
    region of the plan answers, EcrcostError says nothing was done and no backup is made.
    Re-running with the same backup id (or with none, while the last apply of this policy over
    the same repositories is unfinished) continues that run; any other run gets a new backup.
    """
    now = now or log.now_utc()
    policy_text = plan.policy_text
    refused = refused or {}
    targets = [
        WriteTarget(
            *r.key,
            desired_policy=policy_text,
            prediction=Prediction()
            if r.skipped_reason or r.key in refused
            else Prediction(r.monthly_savings_usd, r.freed_bytes),
            exempt_reason=r.skipped_reason or refused.get(r.key),
            note=f"--allow-in-use: {len(r.in_use_by)} image(s) in use to go"
            if allowed_in_use and r.in_use_by
            else None,
        )
        for r in plan.repositories
    ]
    keys = [t.key for t in targets if t.exempt_reason is None]
    clients: dict[tuple[str, str], Any] = {}
    unreachable, lines = reach(access, targets, clients)
    if keys and len(unreachable) == len(keys):
        nothing = "nothing was done (no policy written, no backup made, no log row)"
        raise EcrcostError("; ".join(lines) + f": {nothing}")
    backup, resumed, notes = open_apply_backup(
        settings.backups_dir,
        policy_text,
        keys,
        backup_id,
        actor=actor,
        now=now,
        policy_source=policy_source,
    )
    outcomes = write_policies(
        con,
        access,
        backup,
        targets,
        action=log.POLICY_APPLIED,
        actor=actor,
        exact=False,
        clients=clients,
        unreachable=unreachable,
    )
    return finish(backup, outcomes, resumed, [*notes, *lines])
