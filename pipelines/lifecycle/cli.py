"""`ecrcost policy validate | simulate | plan` (and the write side's apply/restore/export)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.errors import UserError

if TYPE_CHECKING:
    from pipelines.lifecycle.simulate import LifecycleImage
    from pipelines.settings import Settings

BASE_POLICY = Path(__file__).resolve().parent / "base_policy.json"
_ACTIONS_MODULES = ("pipelines.actions", "pipelines.actions.cli")


def register(subparsers: argparse._SubParsersAction) -> None:
    from pipelines.cli import home_option

    policy = subparsers.add_parser(
        "policy", help="lifecycle policies: validate, simulate, plan, apply, restore, export"
    )
    sub = policy.add_subparsers(dest="policy_command", metavar="SUBCOMMAND", required=True)

    validate = sub.add_parser("validate", help="check a policy as PutLifecyclePolicy would")
    validate.add_argument("file", help="policy JSON file")
    validate.set_defaults(handler=_validate)

    sim = sub.add_parser("simulate", help="which images a policy would expire or archive")
    _policy_option(sim)
    source = sim.add_mutually_exclusive_group()
    source.add_argument("--images", help="JSON array of images (instead of the warehouse)")
    source.add_argument(
        "--repositories", nargs="+", metavar="GLOB", help="repositories of the latest inventory"
    )
    sim.add_argument("--region", help="region whose prices apply to --images")
    _common(sim)
    home_option(sim)
    sim.set_defaults(handler=_simulate)

    plan = sub.add_parser("plan", help="current vs proposed policy per repository, with savings")
    _policy_option(plan)
    plan.add_argument("--repositories", nargs="+", metavar="GLOB", help="repositories to plan")
    plan.add_argument("--exclude", nargs="+", metavar="GLOB", default=[], help="leave these out")
    _common(plan)
    home_option(plan)
    plan.set_defaults(handler=_plan)

    try:
        from pipelines.actions.cli import register_policy_commands
    except ImportError as exc:  # the write side may not exist yet; its own bugs still surface
        if isinstance(exc, ModuleNotFoundError) and exc.name not in _ACTIONS_MODULES:
            raise
        return
    register_policy_commands(sub)


def _policy_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy", default=str(BASE_POLICY), help="policy JSON file (default: the base policy)"
    )


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--at", help="evaluation instant, ISO 8601 (default: now for --images, else the snapshot's)"
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")


def read_policy_file(path: str) -> str:
    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the policy file ({exc})") from None


def parse_instant(value: str | None, what: str = "--at") -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"{what}: {value!r} is not an ISO 8601 time (e.g. 2026-01-31T00:00:00Z)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _validate(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.lifecycle.policy import parse_policy, validate_policy_text

    problems = validate_policy_text(read_policy_file(args.file))
    if problems:
        for problem in problems:
            print(f"{args.file}: {problem}")
        return 2
    policy = parse_policy(read_policy_file(args.file))
    print(f"{args.file}: valid lifecycle policy ({len(policy.rules)} rule(s))")
    return 0


def _load_policy(path: str):
    from pipelines.lifecycle.policy import PolicyError, parse_policy

    try:
        return parse_policy(read_policy_file(path))
    except PolicyError as exc:
        raise PolicyError(f"{path}: {exc}") from None


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines.lifecycle.danger import Danger
    from pipelines.lifecycle.plan import load_inventory, select_repositories, skip_reason
    from pipelines.lifecycle.simulate import iso, simulate

    policy = _load_policy(args.policy)
    at = parse_instant(args.at)
    if args.images:
        images = read_images_file(args.images)
        result = simulate(
            policy,
            images,
            at or datetime.now(UTC),
            settings.prices,
            args.region,
            settings.recent_pull_days,
        )
        if args.format == "json":
            print(json.dumps(result.to_json(), indent=2))
        else:
            _print_images(images, result)
        return 0

    from pipelines import warehouse

    con = warehouse.connect(settings.warehouse_path, read_only=True)
    try:
        inventory = load_inventory(con, settings.exemption_tag)
    finally:
        con.close()
    repos = select_repositories(inventory.repositories, args.repositories, None)
    if not repos:
        raise UserError(f"no repository of snapshot {inventory.snapshot_id} matches the globs")
    at = at or inventory.taken_at
    out: list[dict[str, Any]] = []
    for repo in repos:
        result = simulate(
            policy, repo.images, at, settings.prices, repo.region, settings.recent_pull_days
        )
        skip = skip_reason(repo, settings)
        if skip is not None:  # a what-if still runs; say that a plan would not touch it
            result.dangers.insert(0, Danger(skip[0], f"never planned: {skip[1]}"))
        if args.format == "table":
            print(f"== {repo.account_id} {repo.region} {repo.repository_name}")
            _print_images(repo.images, result)
        out.append(
            {
                "account_id": repo.account_id,
                "region": repo.region,
                "repository_name": repo.repository_name,
                **result.to_json(),
            }
        )
    if args.format == "json":
        summary = {
            key: sum(r["summary"][key] for r in out)
            for key in ("expired", "transitioned", "freed_bytes", "monthly_savings_usd")
        }
        doc = {"evaluated_at": iso(at), "repositories": out, "summary": summary}
        print(json.dumps(doc, indent=2))
    return 0


def _print_images(images: list[LifecycleImage], result) -> None:
    for img, o in zip(images, result.outcomes, strict=True):
        tags = ",".join(img.tags) or "<untagged>"
        what = "keep" if o.action is None else f"{o.action} (rule {o.rule_priority})"
        if o.via_subject:
            what += f" with subject {o.via_subject[:19]}"
        if o.protected_by:
            what += f" protected by manifest list {o.protected_by[:19]}"
        print(f"  {img.digest[:19]}  {tags[:40]:40}  {img.pushed_at:%Y-%m-%d}  {what}")
    s = result.summary()
    bound = " (upper bound)" if s["upper_bound"] else ""
    print(
        f"  at {result.evaluated_at:%Y-%m-%dT%H:%M:%SZ}: {s['expired']} expired, "
        f"{s['transitioned']} transitioned, {_gb(s['freed_bytes'])} freed{bound}, "
        f"${s['monthly_savings_usd']:.2f}/month"
    )
    for note in s["notes"]:
        print(f"  note: {note}")
    for danger in result.dangers:
        print(f"  DANGER {danger.kind}: {danger.detail}")


def _plan(args: argparse.Namespace, settings: Settings) -> int:
    from pipelines import warehouse
    from pipelines.lifecycle.plan import plan_policy

    policy_text = read_policy_file(args.policy)
    _load_policy(args.policy)  # one-line error naming the file
    con = warehouse.connect(settings.warehouse_path, read_only=True)
    try:
        plan = plan_policy(
            con, settings, policy_text, args.repositories, args.exclude, parse_instant(args.at)
        )
    finally:
        con.close()
    if not plan.repositories:
        raise UserError(f"no repository of snapshot {plan.snapshot_id} matches the globs")
    if args.format == "json":
        print(json.dumps(plan.to_json(), indent=2))
        return 0
    for repo in plan.repositories:
        print(f"== {repo.account_id} {repo.region} {repo.repository_name}")
        if repo.skipped_reason:
            print(f"  skipped: {repo.skipped_reason}")
            continue
        print(repo.diff.rstrip() or "  policy unchanged")
        bound = " (upper bound)" if repo.upper_bound else ""
        print(
            f"  {repo.expired} expired, {repo.transitioned} transitioned, "
            f"{_gb(repo.freed_bytes)} freed{bound}, ${repo.monthly_savings_usd:.2f}/month"
        )
        for img in repo.images_to_go:
            tags = ",".join(img["tags"]) or "<untagged>"
            print(f"  - {img['action']} {img['digest'][:19]} {tags} (rule {img['rule_priority']})")
        for danger in repo.dangers:
            print(f"  DANGER {danger.kind}: {danger.detail}")
    t = plan.totals
    print(
        f"total at {plan.evaluated_at:%Y-%m-%dT%H:%M:%SZ}: {t['repositories_planned']} planned, "
        f"{t['repositories_skipped']} skipped, {t['expired']} expired, "
        f"{t['transitioned']} transitioned, {_gb(t['freed_bytes'])} freed"
        f"{' (upper bound)' if t['upper_bound'] else ''}, ${t['monthly_savings_usd']:.2f}/month, "
        f"{t['dangers']} danger flag(s)"
    )
    for note in t["notes"]:
        print(f"note: {note}")
    return 0


def _gb(n: int) -> str:
    return f"{n / 1024**3:.3f} GB"


_IMAGE_KEYS = {
    "digest",
    "tags",
    "pushed_at",
    "last_pulled_at",
    "size_bytes",
    "storage_class",
    "archived_at",
    "last_activated_at",
    "layers",
    "child_digests",
    "subject_digest",
}


def read_images_file(path: str) -> list[LifecycleImage]:
    """The `--images` JSON array (keys in issue 5 item 2); UserError naming image and field."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot read the images JSON ({exc})") from None
    if not isinstance(doc, list):
        raise UserError(f"{path}: expected a JSON array of images")
    return [_image(path, i, d) for i, d in enumerate(doc)]


def _image(path: str, index: int, d: Any) -> LifecycleImage:
    from pipelines.lifecycle.simulate import ARCHIVE, STANDARD, LifecycleImage

    where = f"{path}: image #{index + 1}"
    if not isinstance(d, dict):
        raise UserError(f"{where}: not an object")
    unknown = set(d) - _IMAGE_KEYS
    if unknown:
        raise UserError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    for key in ("digest", "pushed_at"):
        if not isinstance(d.get(key), str):
            raise UserError(f"{where}: field {key} is required (a string)")
    tags = d.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise UserError(f"{where}: field tags must be a list of strings")
    size = d.get("size_bytes")
    if size is not None and (not isinstance(size, int) or size < 0):
        raise UserError(f"{where}: field size_bytes must be a non-negative integer")
    storage = d.get("storage_class") or STANDARD
    if storage not in (STANDARD, ARCHIVE):
        raise UserError(f"{where}: field storage_class must be standard or archive")
    layers = d.get("layers")
    if layers is not None:
        try:
            layers = tuple((str(x["digest"]), int(x["size"])) for x in layers)
        except (TypeError, KeyError, ValueError):
            raise UserError(f"{where}: field layers must be a list of {{digest, size}}") from None
    return LifecycleImage(
        digest=d["digest"],
        tags=tuple(tags),
        pushed_at=parse_instant(d["pushed_at"], f"{where} pushed_at"),
        last_pulled_at=parse_instant(d.get("last_pulled_at"), f"{where} last_pulled_at"),
        size_bytes=size,
        storage_class=storage,
        archived_at=parse_instant(d.get("archived_at"), f"{where} archived_at"),
        last_activated_at=parse_instant(d.get("last_activated_at"), f"{where} last_activated_at"),
        layers=layers,
        child_digests=tuple(d.get("child_digests") or ()),
        subject_digest=d.get("subject_digest"),
    )
