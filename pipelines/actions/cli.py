"""CLI: `policy apply|restore|export|verify`, `repos delete`, `images pin|unpin`, `iam-policy`. `ecrcost.cli` creates the
`policy` and `repos` parsers and calls `register_policy_commands` / `register_repos_commands`.

Every write shows what it will do, asks (or takes --yes), then goes through the domain modules,
which back up and log each repository before touching it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ecrcost import options, warehouse
from ecrcost.actions import log
from ecrcost.actions.apply import RunInterrupted, RunResult, apply_policy
from ecrcost.actions.backup import BackupSet, check_backup_id, durable_write
from ecrcost.actions.delete import Criteria, candidates, delete_repositories
from ecrcost.actions.export import export_json, export_terraform
from ecrcost.actions.iam import left_out, policy_document
from ecrcost.actions.pin import pin_images, pin_targets, unpin_images
from ecrcost.actions.restore import restore_backup, restore_targets
from ecrcost.actions.selection import (
    Repo,
    latest_repositories,
    recorded_access,
    select,
    snapshot_access,
)
from ecrcost.aws import AwsAccess
from ecrcost.errors import EcrcostError, PartialResult, UserError
from ecrcost.fmt import gib, human_bytes, iso, money_per_month
from ecrcost.inventory.snapshots import list_snapshots
from ecrcost.lifecycle.images_file import parse_instant
from ecrcost.lifecycle.plan import plan_policy
from ecrcost.lifecycle.policy import load_policy_file
from ecrcost.lifecycle.selection import use_snapshot
from ecrcost.lifecycle.verify import Verification, Waits, verify_policy
from ecrcost.utc import as_utc


def register(subparsers: Any) -> None:
    iam = subparsers.add_parser(
        "iam-policy",
        help="print the least-privilege IAM policy for a mode",
        description="Print the IAM policy allowing exactly the AWS calls ecrcost makes in a "
        "mode; what these settings make no call for is left out, and said so on stderr.",
        parents=[options.home()],
    )
    iam.add_argument("--mode", choices=("read", "apply"), default="read")
    iam.add_argument(
        "--cur-location",
        dest="cur_location",
        metavar="S3URL",
        help="s3://bucket/prefix of the Cost and Usage Report it may read",
    )
    iam.add_argument("--role-name", dest="role_name", help="role it may assume in member accounts")
    iam.set_defaults(handler=_iam_policy)


def register_policy_commands(policy_subparsers: Any) -> None:
    apply = policy_subparsers.add_parser(
        "apply",
        help="back up, log, then put a lifecycle policy on the selected repositories",
        description="Plan the policy over an inventory snapshot, show what it writes, ask (or "
        "--yes), then per repository: back up the live policy, log, write. Each repository is "
        "reached the way the snapshot read its account (--role-name/--external-id override).",
        parents=[
            options.home(),
            options.policy(),
            options.inventory_repositories(),
            options.writes(),
        ],
    )
    apply.add_argument(
        "--allow-in-use",
        action="store_true",
        help="write even where the policy would expire or archive images in use (ECS, Lambda, "
        "Kubernetes, Inspector) or possibly in use; default: refuse those repositories (exit 2)",
    )
    apply.add_argument(
        "--backup-id",
        help="resume this run (default: the last unfinished apply of the same policy on the "
        "same repositories; any other run starts a new backup)",
    )
    apply.set_defaults(handler=_apply)

    restore = policy_subparsers.add_parser(
        "restore",
        help="put repositories back to the state saved in a backup",
        description="Put each repository of a backup back to its backed-up policy (or no "
        "policy); the restore is itself backed up, so it can be undone the same way.",
        parents=[options.home(), options.repositories(), options.writes()],
    )
    restore.add_argument("--backup", required=True, metavar="ID", help="backup id to restore")
    restore.set_defaults(handler=_restore)

    verify = policy_subparsers.add_parser(
        "verify",
        help="check the simulation against AWS's own lifecycle policy preview",
        description="Run StartLifecyclePolicyPreview with the policy on each selected "
        "repository (a preview changes nothing), wait for it, and compare AWS's answer image by "
        "image (action and appliedRulePriority) with the local simulation of the snapshot: the "
        "agreement rate and every disagreement with both answers. Exit 1 when they disagree, "
        "3 when a preview could not be read.",
        parents=[
            options.home(),
            options.policy(),
            options.repositories(required=True),
            options.snapshot(),
            options.aws(),
            options.output(("table", "json")),
        ],
    )
    verify.add_argument(
        "--at", help="instant the simulation evaluates at, ISO 8601 (default: now, as AWS does)"
    )
    verify.add_argument(
        "--wait-seconds",
        type=float,
        default=Waits.bound,
        metavar="S",
        help=f"how long to wait for each repository's preview (default {Waits.bound:.0f})",
    )
    verify.set_defaults(handler=_verify)

    export = policy_subparsers.add_parser(
        "export",
        help="write the policy per repository as Terraform or JSON",
        description="Write the policy for each selected repository of an inventory snapshot "
        "as Terraform aws_ecr_lifecycle_policy resources or PutLifecyclePolicy JSON.",
        parents=[options.home(), options.policy(), options.inventory_repositories()],
    )
    # Not the output option of the data commands: it chooses the language of the export.
    export.add_argument("--format", choices=("terraform", "json"), required=True)
    export.add_argument("--out", metavar="FILE", help="output file (default: standard output)")
    export.set_defaults(handler=_export)


def register_repos_commands(repos_subparsers: Any) -> None:
    delete = repos_subparsers.add_parser(
        "delete",
        help="delete empty, stale or named repositories after recording what is lost",
        description="Give exactly one of --stale DAYS, --empty or --repositories GLOB...",
        parents=[options.home(), options.inventory_repositories(), options.writes()],
    )
    which = delete.add_mutually_exclusive_group()
    which.add_argument("--stale", type=int, metavar="DAYS", help="no push or pull for DAYS days")
    which.add_argument("--empty", action="store_true", help="repositories without images")
    delete.set_defaults(handler=_delete)


def register_images_commands(images_subparsers: Any) -> None:
    pin = images_subparsers.add_parser(
        "pin",
        help="add the pin tag to images, so a policy with the pin rule never touches them",
        description="Add the pin tag (setting pin_tag_prefix + the digest's first 16 hex "
        "characters) to the given images, or to every image in use, of the selected "
        "repositories: BatchGetImage reads each manifest, PutImage puts it back with the tag. "
        "Backed up and logged; `ecrcost images unpin --backup ID` takes the tags off again.",
        parents=[
            options.home(),
            options.repositories(required=True),
            options.snapshot(),
            options.writes(),
        ],
    )
    which = pin.add_mutually_exclusive_group(required=True)
    which.add_argument("--digests", nargs="+", metavar="DIGEST", help="the images to pin")
    which.add_argument(
        "--in-use", action="store_true", help="every image the snapshot records as in use"
    )
    pin.set_defaults(handler=_pin)

    unpin = images_subparsers.add_parser(
        "unpin",
        help="take off the pin tags an `images pin` run added",
        description="Remove the pin tags a pin backup records as added (BatchDeleteImage by "
        "tag). An image whose only tag is its pin tag keeps it: removing an image's last tag "
        "deletes the image.",
        parents=[options.home(), options.writes()],
    )
    unpin.add_argument("--backup", required=True, metavar="ID", help="the `images pin` backup")
    unpin.set_defaults(handler=_unpin)


# --- helpers --------------------------------------------------------------------------------


def confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UserError("no terminal to confirm on: re-run with --yes to go ahead")
    answer = input(f"{question} [y/N] ")
    return answer.strip().lower() in {"y", "yes"}


def _go_ahead(question: str, yes: bool) -> bool:
    if confirm(question, yes):
        return True
    print("aborted: nothing was changed", file=sys.stderr)
    return False


def _run(access: AwsAccess, act: Callable[[AwsAccess, str], RunResult], verb: str) -> int:
    """Act as the caller's identity through `access`, report every outcome. Ctrl-C: say what
    of the run is kept, then let `ecrcost.cli` end with exit 130."""
    try:
        result = act(access, log.current_actor(access))
    except RunInterrupted as stop:
        _print_outcomes(stop.outcomes)
        for line in stop.lines():
            print(line, file=sys.stderr)
        raise
    for note in result.notes:
        print(note)
    if result.resumed:
        print(f"resumed backup {result.backup_id}")
    _print_outcomes(result.outcomes)
    print(f"backup: {result.backup_id}")
    if result.failed:
        first = result.failed[0]
        done = sum(o.status in ("done", "unchanged") for o in result.outcomes)
        rest = f"the other {done} are done and logged" if done else f"no repository was {verb}"
        raise PartialResult(
            f"{len(result.failed)} of {len(result.outcomes)} repositories not {verb}, first "
            f"{first.label}: {first.detail}; {rest}"
        )
    return 0


def _print_outcomes(outcomes: Sequence[Any]) -> None:
    for o in outcomes:
        print(f"  {o.status:<9} {o.label}" + (f"  ({o.detail})" if o.detail else ""))


def _dry_run() -> int:
    print("dry run: nothing was written (no AWS call, no backup, no log row)")
    return 0


def _to_go(r: Any) -> str:
    """What a planned repository loses: images and GiB to expire and to archive."""
    expire_bytes, archive_bytes = r.bytes_to_go
    return (
        f"expires {r.expired} images ({gib(expire_bytes)}), "
        f"archives {r.transitioned} images ({gib(archive_bytes)})"
    )


def _print_skipped(repos: Sequence[Repo], file: Any = None) -> None:
    for r in repos:
        print(f"  skipped {r.label}: {r.exempt_reason}", file=file or sys.stdout)


# --- handlers -------------------------------------------------------------------------------


def _apply(args: Any, settings: Any) -> int:
    path, text, _ = load_policy_file(args.policy)
    if args.backup_id:
        check_backup_id(args.backup_id)
    with warehouse.opened(
        settings.warehouse_path, memory_limit=settings.duckdb_memory_limit
    ) as con:
        snapshot_id = use_snapshot(con, args.snapshot)
        (taken_at,) = [s.taken_at for s in list_snapshots(con) if s.snapshot_id == snapshot_id]
        # The plan decides: apply writes what it planned and skips what it skipped, with its
        # reasons. Evaluated now (AWS evaluates the policy from now on), never before the
        # snapshot's own time (its pull times were recorded then).
        plan = plan_policy(
            con,
            settings,
            text,
            args.repositories,
            args.exclude,
            snapshot_id=snapshot_id,
            at=max(log.now_utc(), as_utc(taken_at)),
        )
        if not plan.repositories:
            raise UserError(f"no repository of snapshot {snapshot_id} matches --repositories")
        if plan.in_use is not None and not plan.in_use.collected and not args.allow_in_use:
            raise UserError(
                f"snapshot {snapshot_id} records no images in use (taken before ecrcost "
                "collected them): run `ecrcost inventory` first, or pass --allow-in-use to "
                "apply without knowing what ECS, Lambda and Kubernetes run"
            )
        in_use = plan.in_use_repositories
        refused = {} if args.allow_in_use else {r.key: _refusal(r) for r in in_use}
        planned = [
            r for r in plan.repositories if r.skipped_reason is None and r.key not in refused
        ]
        for note in plan.in_use.notes() if plan.in_use else []:
            print(f"note: {note}")
        _print_in_use(in_use, "refused" if refused else "allowed by --allow-in-use")
        print(f"policy {path} on {len(planned)} repositories:")
        for r in planned:
            kinds = sorted({d.kind for d in r.dangers})
            flags = f"  danger: {', '.join(kinds)}" if kinds else ""
            print(
                f"  {r.label}  saves {money_per_month(r.monthly_savings_usd)}  {_to_go(r)}{flags}"
            )
        for r in plan.repositories:
            if r.skipped_reason is not None:
                print(f"  skipped {r.label}: {r.skipped_reason}")
        if not planned:
            if refused and not args.dry_run:
                raise UserError(_refused_summary(refused, "nothing was written"))
            if refused:
                print(_refused_summary(refused, "the real run writes nothing and exits 2"))
            print("nothing to write")
            return _dry_run() if args.dry_run else 0
        print(
            "AWS then expires and archives these images within 24 hours. `ecrcost policy "
            "restore` puts back the repositories' lifecycle policies, not expired images: an "
            "expired image is deleted for good."
        )
        if args.dry_run:
            if refused:
                print(_refused_summary(refused, "the real run writes the others, then exits 2"))
            return _dry_run()
        access = snapshot_access(con, settings, snapshot_id, [r.account_id for r in planned])
        if not _go_ahead(f"Put this policy on {len(planned)} repositories?", args.yes):
            return 1
        try:
            code = _run(
                access,
                lambda access, actor: apply_policy(
                    con,
                    access,
                    settings,
                    plan,
                    backup_id=args.backup_id,
                    actor=actor,
                    policy_source=str(path),
                    refused=refused,
                    allowed_in_use=args.allow_in_use,
                ),
                "written",
            )
        except PartialResult as exc:
            if refused:
                raise PartialResult(f"{exc}; {_refused_summary(refused, '')}") from None
            raise
        if refused:
            raise UserError(_refused_summary(refused, "the other repositories are written"))
        return code


def _refusal(r: Any) -> str:
    return (
        f"refused: the policy would expire or archive {len(r.in_use_by)} image(s) in use "
        "(--allow-in-use to write it anyway)"
    )


def _refused_summary(refused: dict, done: str) -> str:
    first = "/".join(next(iter(refused)))
    tail = f"; {done}" if done else ""
    return (
        f"{len(refused)} repositories refused, first {first}: the policy would expire or "
        f"archive images in use (pin them with `ecrcost images pin --in-use`, raise the "
        f"rule's countNumber as `policy plan --diff` proposes, or pass --allow-in-use){tail}"
    )


def _print_in_use(repos: Sequence[Any], verb: str) -> None:
    """Each in-use image the policy would expire or archive, with who uses it."""
    for r in repos:
        for img, action, priority, users in r.in_use_to_go:
            tags = ",".join(img.tags) or "untagged"
            what = "expire" if action == "expire" else "archive"
            print(
                f"  {verb} {r.label}: rule {priority} would {what} {img.digest} ({tags}), "
                f"used by {', '.join(users)}"
            )


def _restore(args: Any, settings: Any) -> int:
    source = BackupSet.open(settings.backups_dir, args.backup)
    with warehouse.opened(
        settings.warehouse_path, memory_limit=settings.duckdb_memory_limit
    ) as con:
        try:
            tagged = {r.key for r in latest_repositories(con, settings) if r.exempt_tagged}
        except UserError:
            tagged = set()  # no inventory: exemptions by name still apply
        targets = restore_targets(source, settings, args.repositories, tagged, args.exclude)
        print(f"restore from backup {args.backup}:")
        for t in targets:
            state = "no policy" if t.desired_policy is None else "the backed-up policy"
            reason = f"skipped: {t.exempt_reason}" if t.exempt_reason else f"back to {state}"
            print(f"  {'/'.join(t.key)}  {reason}")
        if args.dry_run:
            return _dry_run()
        access = snapshot_access(con, settings, None, [t.account_id for t in targets])
        writable = sum(1 for t in targets if not t.exempt_reason)
        if not _go_ahead(f"Restore {writable} repositories?", args.yes):
            return 1
        return _run(
            access,
            lambda access, actor: restore_backup(
                con,
                access,
                settings,
                args.backup,
                include=args.repositories,
                exclude=args.exclude,
                exempt_tagged=tagged,
                actor=actor,
            ),
            "restored",
        )


def _export(args: Any, settings: Any) -> int:
    if args.out and Path(args.out).is_dir():
        raise UserError(f"--out {args.out}: is a folder; name the file to write")
    _, text, _ = load_policy_file(args.policy)
    with warehouse.opened(
        settings.warehouse_path, memory_limit=settings.duckdb_memory_limit
    ) as con:
        snapshot_id = use_snapshot(con, args.snapshot, to_stderr=not args.out)
        repos = latest_repositories(con, settings, snapshot_id)
        selection = select(repos, args.repositories, args.exclude)
        access = recorded_access(con, snapshot_id)
    _print_skipped(selection.skipped, sys.stderr)
    if args.format == "terraform":
        output = export_terraform(text, selection.repos, access)
    else:
        output = export_json(text, selection.repos)
    if args.out:
        durable_write(Path(args.out), output.encode(), overwrite=True)
        print(f"wrote {len(selection.repos)} repositories to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(output)
    return 0


def _delete(args: Any, settings: Any) -> int:
    if sum((args.stale is not None, args.empty, bool(args.repositories))) != 1:
        raise UserError("repos delete: give exactly one of --stale DAYS, --empty, --repositories")
    if args.stale is not None and args.stale < 1:
        raise UserError(f"--stale {args.stale}: give a number of days of at least 1")
    criteria = Criteria(empty=args.empty, stale_days=args.stale)
    with warehouse.opened(
        settings.warehouse_path, memory_limit=settings.duckdb_memory_limit
    ) as con:
        snapshot_id = use_snapshot(con, args.snapshot)
        repos = candidates(latest_repositories(con, settings, snapshot_id), criteria)
        selection = select(repos, args.repositories, args.exclude)
        total_bytes = sum(r.standard_bytes + r.archive_bytes for r in selection.repos)
        total_usd = sum(r.monthly_cost(settings.prices) for r in selection.repos)
        print(f"repositories to delete ({criteria.describe()}):")
        for r in selection.repos:
            print(
                f"  {r.label}  {r.image_count} images  "
                f"{human_bytes(r.standard_bytes + r.archive_bytes)}  "
                f"{money_per_month(r.monthly_cost(settings.prices))}"
            )
        _print_skipped(selection.skipped)
        print(f"total: {human_bytes(total_bytes)}, {money_per_month(total_usd)}")
        if not selection.repos:
            print("nothing to delete")
            return 0
        if args.dry_run:
            return _dry_run()
        accounts = [r.account_id for r in selection.repos]
        access = snapshot_access(con, settings, snapshot_id, accounts)
        question = f"Delete {len(selection.repos)} repositories and every image in them?"
        if not _go_ahead(question, args.yes):
            return 1
        return _run(
            access,
            lambda access, actor: delete_repositories(
                con,
                access,
                settings,
                [*selection.repos, *selection.skipped],
                criteria,
                actor=actor,
            ),
            "deleted",
        )


def _pin(args: Any, settings: Any) -> int:
    with warehouse.opened(
        settings.warehouse_path, memory_limit=settings.duckdb_memory_limit
    ) as con:
        snapshot_id = use_snapshot(con, args.snapshot)
        targets, notes = pin_targets(
            con,
            settings,
            snapshot_id,
            args.repositories,
            args.exclude,
            digests=args.digests or (),
            in_use=args.in_use,
        )
        for note in notes:
            print(f"note: {note}")
        writable = [t for t in targets if t.exempt_reason is None]
        print(f"pin tag prefix {settings.pin_tag_prefix!r}: {len(writable)} repositories")
        for t in targets:
            if t.exempt_reason:
                print(f"  skipped {t.label}: {t.exempt_reason}")
                continue
            for digest, tag in t.pins:
                print(f"  {t.label}  {digest}  + {tag}")
        if not writable:
            print("nothing to pin")
            return _dry_run() if args.dry_run else 0
        print(
            "Each manifest is read with BatchGetImage, which AWS records as a pull of the image; "
            "`ecrcost images unpin --backup ID` takes these tags off again."
        )
        if args.dry_run:
            return _dry_run()
        access = snapshot_access(con, settings, snapshot_id, [t.account_id for t in writable])
        count = sum(len(t.pins) for t in writable)
        if not _go_ahead(f"Pin {count} images in {len(writable)} repositories?", args.yes):
            return 1
        return _run(
            access,
            lambda access, actor: pin_images(con, access, settings, targets, actor=actor),
            "pinned",
        )


def _unpin(args: Any, settings: Any) -> int:
    source = BackupSet.open(settings.backups_dir, args.backup)
    print(f"unpin from backup {args.backup} ({source.kind}):")
    for e in source.entries():
        for img in e.get("images", []):
            print(f"  {e['account_id']}/{e['region']}/{e['repository_name']}  "
                  f"{img['image_digest']}  - {img['pin_tag']}")  # fmt: skip
    if args.dry_run:
        return _dry_run()
    with warehouse.opened(
        settings.warehouse_path, memory_limit=settings.duckdb_memory_limit
    ) as con:
        accounts = [e["account_id"] for e in source.entries()]
        access = snapshot_access(con, settings, None, accounts)
        if not _go_ahead(f"Remove the pin tags of backup {args.backup}?", args.yes):
            return 1
        return _run(
            access,
            lambda access, actor: unpin_images(con, access, settings, args.backup, actor=actor),
            "unpinned",
        )


def _verify(args: Any, settings: Any) -> int:
    _, text, _ = load_policy_file(args.policy)
    if not 0 < args.wait_seconds < float("inf"):
        raise UserError(f"--wait-seconds {args.wait_seconds}: give a positive number of seconds")
    at = parse_instant(args.at) or log.now_utc()
    as_json = args.output == "json"
    with warehouse.opened(
        settings.warehouse_path, read_only=True, memory_limit=settings.duckdb_memory_limit
    ) as con:
        snapshot_id = use_snapshot(con, args.snapshot, to_stderr=as_json)
        chosen = select(latest_repositories(con, settings, snapshot_id), args.repositories,
                        args.exclude)  # fmt: skip
        access = snapshot_access(con, settings, snapshot_id, [r.account_id for r in chosen.repos])
        access.require_credentials()
        result = verify_policy(
            con,
            settings,
            access,
            text,
            args.repositories,
            args.exclude,
            at,
            snapshot_id=snapshot_id,
            waits=Waits(bound=args.wait_seconds),
        )
    if not result.repositories:
        raise UserError(f"no repository of snapshot {snapshot_id} matches --repositories")
    if as_json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        _print_verification(result)
    t = result.totals
    failed = [r for r in result.repositories if r.status == "failed"]
    for r in failed:
        print(f"missing: {r.label}: {r.detail}", file=sys.stderr)
    if failed:
        raise PartialResult(
            f"{len(failed)} of {len(result.repositories)} previews not read; "
            f"{t['repositories']} compared"
        )
    if t["disagreements"]:
        raise EcrcostError(
            f"AWS's preview and the simulation disagree on {t['disagreements']} of "
            f"{t['images_compared']} images (listed above)"
        )
    return 0


def _print_verification(result: Verification) -> None:
    def answer(a: dict | None) -> str:
        if a is None:
            return "not in the snapshot"
        return "keep" if a["action"] is None else f"{a['action']} (rule {a['rule_priority']})"

    for r in result.repositories:
        if r.status != "compared":
            print(f"  {r.status:<8} {r.label}: {r.detail}")
            continue
        print(f"  compared {r.label}: {r.agreed} of {r.compared} images agree")
        for d in r.disagreements:
            tags = ",".join(d["tags"]) or "untagged"
            print(
                f"    {d['digest']} ({tags}): ecrcost {answer(d['local'])}, AWS {answer(d['aws'])}"
            )
    t = result.totals
    rate = "-" if t["agreement_rate"] is None else f"{t['agreement_rate']:.2%}"
    print(
        f"agreement: {t['agreed']} of {t['images_compared']} images ({rate}) in "
        f"{t['repositories']} repositories at {iso(result.evaluated_at)}; "
        f"{t['disagreements']} disagreement(s), {t['failed']} preview(s) not read, "
        f"{t['skipped']} skipped"
    )


def _iam_policy(args: Any, settings: Any) -> int:
    print(json.dumps(policy_document(args.mode, settings), indent=2))
    for line in left_out(args.mode, settings):
        print(line, file=sys.stderr)
    return 0
