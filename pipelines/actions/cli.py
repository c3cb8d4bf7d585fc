"""CLI: `policy apply|restore|export`, `repos delete`, `iam-policy`.

`pipelines.lifecycle.cli` owns the `policy` parser and calls `register_policy_commands`; when
that module is absent, `register` creates the `policy` parser itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipelines.cli import home_option
from pipelines.errors import PartialResult, UserError


def base_policy_path() -> Path:
    return Path(__file__).resolve().parent.parent / "lifecycle" / "base_policy.json"


def register(subparsers: Any) -> None:
    if "policy" not in subparsers.choices:
        policy = subparsers.add_parser("policy", help="apply, restore or export lifecycle policies")
        register_policy_commands(
            policy.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
        )
    repos = subparsers.choices.get("repos")
    if repos is None:
        repos = subparsers.add_parser("repos", help="act on whole repositories")
        repos_sub = repos.add_subparsers(dest="repos_command", metavar="ACTION", required=True)
    else:  # another module made `repos` first: add to its sub-commands
        repos_sub = next(a for a in repos._actions if isinstance(a, argparse._SubParsersAction))
    register_repos_commands(repos_sub)

    iam = subparsers.add_parser(
        "iam-policy", help="print the least-privilege IAM policy for a mode"
    )
    iam.add_argument("--mode", choices=("read", "apply"), default="read")
    home_option(iam)
    iam.set_defaults(handler=_iam_policy)


def _selectors(parser: argparse.ArgumentParser, policy: bool = True) -> None:
    if policy:
        parser.add_argument(
            "--policy", metavar="FILE", help="lifecycle policy JSON (default: the playbook base)"
        )
    parser.add_argument("--repositories", nargs="+", metavar="GLOB", help="names to include")
    parser.add_argument("--exclude", nargs="+", metavar="GLOB", help="names to leave out")


def register_policy_commands(policy_subparsers: Any) -> None:
    apply = policy_subparsers.add_parser(
        "apply", help="back up, log, then put a lifecycle policy on the selected repositories"
    )
    _selectors(apply)
    apply.add_argument("--backup-id", help="resume this run (default: the last unfinished one)")
    apply.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    home_option(apply)
    apply.set_defaults(handler=_apply)

    restore = policy_subparsers.add_parser(
        "restore", help="put repositories back to the state saved in a backup"
    )
    restore.add_argument("--backup", required=True, metavar="ID", help="backup id to restore")
    restore.add_argument("--repositories", nargs="+", metavar="GLOB", help="names to restore")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    home_option(restore)
    restore.set_defaults(handler=_restore)

    export = policy_subparsers.add_parser(
        "export", help="write the policy per repository as Terraform or JSON"
    )
    export.add_argument("--format", choices=("terraform", "json"), required=True)
    _selectors(export)
    export.add_argument("--out", metavar="FILE", help="output file (default: standard output)")
    home_option(export)
    export.set_defaults(handler=_export)


def register_repos_commands(repos_subparsers: Any) -> None:
    delete = repos_subparsers.add_parser(
        "delete", help="delete empty, stale or named repositories after recording what is lost"
    )
    which = delete.add_mutually_exclusive_group(required=True)
    which.add_argument("--stale", type=int, metavar="DAYS", help="no push or pull for DAYS days")
    which.add_argument("--empty", action="store_true", help="repositories without images")
    which.add_argument("--repositories", nargs="+", metavar="GLOB", help="names to delete")
    delete.add_argument("--exclude", nargs="+", metavar="GLOB", help="names to leave out")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    home_option(delete)
    delete.set_defaults(handler=_delete)


# --- helpers --------------------------------------------------------------------------------


def read_policy_file(path_text: str | None) -> tuple[Path, str]:
    path = Path(path_text) if path_text else base_policy_path()
    try:
        return path, path.read_text()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the policy: {exc.strerror or exc}") from None


def validate_policy(path: Path, text: str) -> None:
    """Refuse a policy PutLifecyclePolicy would reject before any write (exit 2): moto's and
    older validators accept invalid policies, so the lifecycle validator is the gate."""
    from pipelines.lifecycle.policy import validate_policy_text

    problems = validate_policy_text(text)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UserError(f"{path}: invalid lifecycle policy: {problems[0]}{more}")


def confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UserError("no terminal to confirm on: re-run with --yes to go ahead")
    answer = input(f"{question} [y/N] ")
    return answer.strip().lower() in {"y", "yes"}


def human_bytes(n: float | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _money(x: float | None) -> str:
    return "?" if x is None else f"${x:,.2f}/month"


def _report(result: Any, verb: str) -> int:
    for o in result.outcomes:
        print(f"  {o.status:<9} {o.label}" + (f"  ({o.detail})" if o.detail else ""))
    print(f"backup: {result.backup_id}")
    if result.failed:
        first = result.failed[0]
        raise PartialResult(
            f"{len(result.failed)} of {len(result.outcomes)} repositories not {verb}, first "
            f"{first.label}: {first.detail}; the others are done and logged"
        )
    return 0


def _planned(con: Any, settings: Any, text: str, args: Any) -> tuple[dict, dict, dict]:
    """The lifecycle plan's predictions per repository, the repositories it skips (exempt, or an
    incomplete inventory) with the reason, and its danger flags: apply writes what the plan
    showed, no more (`ecrcost policy plan` shows the images and diffs)."""
    from pipelines.actions.apply import Prediction
    from pipelines.lifecycle.plan import plan_policy

    plan = plan_policy(con, settings, text, args.repositories or [], args.exclude or [])
    predictions, skipped, dangers = {}, {}, {}
    for r in plan.repositories:
        key = (r.account_id, r.region, r.repository_name)
        if r.skipped_reason:
            skipped[key] = r.skipped_reason
        else:
            predictions[key] = Prediction(r.monthly_savings_usd, r.freed_bytes)
            dangers[key] = sorted({d.kind for d in r.dangers})
    return predictions, skipped, dangers


# --- handlers -------------------------------------------------------------------------------


def _apply(args: Any, settings: Any) -> int:
    from pipelines import warehouse
    from pipelines.actions import log
    from pipelines.actions.apply import apply_policy
    from pipelines.actions.backup import check_backup_id
    from pipelines.actions.selection import Selection, latest_repositories, select
    from pipelines.aws import AwsAccess

    path, text = read_policy_file(args.policy)
    validate_policy(path, text)
    if args.backup_id:
        check_backup_id(args.backup_id)
    con = warehouse.connect(settings.warehouse_path)
    try:
        selection = select(latest_repositories(con, settings), args.repositories, args.exclude)
        if not selection.repos and not selection.skipped:
            raise UserError("no repository of the latest inventory matches --repositories")
        predictions, plan_skips, dangers = _planned(con, settings, text, args)
        # The plan's skip reasons (exempt, incomplete inventory) bind the write too.
        writable = [r for r in selection.repos if r.key not in plan_skips]
        skipped = [
            *selection.skipped,
            *(
                replace(r, exempt_reason=f"skipped: {plan_skips[r.key]}")
                for r in selection.repos
                if r.key in plan_skips
            ),
        ]
        selection = Selection(writable, skipped)
        print(f"policy {path} on {len(selection.repos)} repositories:")
        for r in selection.repos:
            p = predictions.get(r.key)
            flags = f"  danger: {', '.join(dangers[r.key])}" if dangers.get(r.key) else ""
            print(f"  {r.label}  saves {_money(p.monthly_savings_usd if p else None)}{flags}")
        for r in selection.skipped:
            print(f"  skipped {r.label}: {r.exempt_reason}")
        if not selection.repos:
            print("nothing to write")
            return 0
        if not confirm(f"Put this policy on {len(selection.repos)} repositories?", args.yes):
            print("aborted: nothing was changed", file=sys.stderr)
            return 1
        access = AwsAccess.from_settings(settings)
        result = apply_policy(
            con,
            access,
            settings,
            text,
            [*selection.repos, *selection.skipped],
            predictions=predictions,
            backup_id=args.backup_id,
            actor=log.current_actor(access),
            policy_source=str(path),
        )
        if result.resumed:
            print(f"resumed backup {result.backup_id}")
        return _report(result, "written")
    finally:
        con.close()


def _restore(args: Any, settings: Any) -> int:
    from pipelines import warehouse
    from pipelines.actions import log
    from pipelines.actions.backup import BackupSet
    from pipelines.actions.restore import restore_backup, restore_targets
    from pipelines.actions.selection import latest_repositories
    from pipelines.aws import AwsAccess

    source = BackupSet.open(settings.backups_dir, args.backup)
    con = warehouse.connect(settings.warehouse_path)
    try:
        try:
            tagged = {r.key for r in latest_repositories(con, settings) if r.exempt_tagged}
        except UserError:
            tagged = set()  # no inventory: exemptions by name still apply
        targets = restore_targets(source, settings, args.repositories, tagged)
        print(f"restore from backup {args.backup}:")
        for t in targets:
            state = "no policy" if t.desired_policy is None else "the backed-up policy"
            reason = f"skipped: {t.exempt_reason}" if t.exempt_reason else f"back to {state}"
            print(f"  {'/'.join(t.key)}  {reason}")
        if not confirm(f"Restore {len(targets)} repositories?", args.yes):
            print("aborted: nothing was changed", file=sys.stderr)
            return 1
        access = AwsAccess.from_settings(settings)
        result = restore_backup(
            con,
            access,
            settings,
            args.backup,
            include=args.repositories,
            exempt_tagged=tagged,
            actor=log.current_actor(access),
        )
        return _report(result, "restored")
    finally:
        con.close()


def _export(args: Any, settings: Any) -> int:
    from pipelines import warehouse
    from pipelines.actions.backup import durable_write
    from pipelines.actions.export import export_json, export_terraform
    from pipelines.actions.selection import latest_repositories, select

    path, text = read_policy_file(args.policy)
    validate_policy(path, text)
    con = warehouse.connect(settings.warehouse_path)
    try:
        selection = select(latest_repositories(con, settings), args.repositories, args.exclude)
    finally:
        con.close()
    for r in selection.skipped:
        print(f"skipped {r.label}: {r.exempt_reason}", file=sys.stderr)
    render = export_terraform if args.format == "terraform" else export_json
    output = render(text, selection.repos)
    if args.out:
        durable_write(Path(args.out), output.encode(), overwrite=True)
        print(f"wrote {len(selection.repos)} repositories to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(output)
    return 0


def _delete(args: Any, settings: Any) -> int:
    from pipelines import warehouse
    from pipelines.actions import log
    from pipelines.actions.delete import Criteria, candidates, delete_repositories
    from pipelines.actions.selection import latest_repositories, select
    from pipelines.aws import AwsAccess

    if args.stale is not None and args.stale < 1:
        raise UserError(f"--stale {args.stale}: give a number of days of at least 1")
    criteria = Criteria(empty=args.empty, stale_days=args.stale)
    con = warehouse.connect(settings.warehouse_path)
    try:
        repos = candidates(latest_repositories(con, settings), criteria)
        selection = select(repos, args.repositories, args.exclude)
        total_bytes = sum(r.standard_bytes + r.archive_bytes for r in selection.repos)
        total_usd = sum(r.monthly_cost(settings.prices) for r in selection.repos)
        print(f"repositories to delete ({criteria.describe()}):")
        for r in selection.repos:
            print(
                f"  {r.label}  {r.image_count} images  "
                f"{human_bytes(r.standard_bytes + r.archive_bytes)}  "
                f"{_money(r.monthly_cost(settings.prices))}"
            )
        for r in selection.skipped:
            print(f"  skipped {r.label}: {r.exempt_reason}")
        print(f"total: {human_bytes(total_bytes)}, {_money(total_usd)}")
        if not selection.repos:
            print("nothing to delete")
            return 0
        question = f"Delete {len(selection.repos)} repositories and every image in them?"
        if not confirm(question, args.yes):
            print("aborted: nothing was changed", file=sys.stderr)
            return 1
        access = AwsAccess.from_settings(settings)
        result = delete_repositories(
            con,
            access,
            settings,
            [*selection.repos, *selection.skipped],
            criteria,
            actor=log.current_actor(access),
        )
        return _report(result, "deleted")
    finally:
        con.close()


def _iam_policy(args: Any, settings: Any) -> int:
    from pipelines.actions.iam import policy_document

    print(json.dumps(policy_document(args.mode, settings), indent=2))
    return 0
