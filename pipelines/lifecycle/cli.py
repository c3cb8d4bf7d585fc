"""`ecrcost policy validate | simulate | plan`: `ecrcost.cli` creates the `policy` parser and
calls `register_policy_commands` here and in `ecrcost.actions.cli` (apply, restore, export)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ecrcost import options, warehouse
from ecrcost.errors import UserError
from ecrcost.fmt import gib, iso, money_per_month
from ecrcost.lifecycle.danger import Danger
from ecrcost.lifecycle.images_file import parse_instant, read_images_file
from ecrcost.lifecycle.plan import load_inventory, plan_policy, skip_reason
from ecrcost.lifecycle.policy import load_policy_file, read_policy_file, validate_policy_text
from ecrcost.lifecycle.selection import select
from ecrcost.lifecycle.simulate import SimulationResult, simulate

if TYPE_CHECKING:
    from ecrcost.lifecycle.model import LifecycleImage
    from ecrcost.settings import Settings


def register_policy_commands(sub: argparse._SubParsersAction) -> None:
    validate = sub.add_parser("validate", help="check a policy as PutLifecyclePolicy would")
    validate.add_argument("file", help="policy JSON file")
    validate.set_defaults(handler=_validate)

    sim = sub.add_parser(
        "simulate",
        help="which images a policy would expire or archive",
        parents=[options.home(), options.policy(), _at(), options.output(("table", "json"))],
    )
    source = sim.add_mutually_exclusive_group()
    source.add_argument("--images", help="JSON array of images (instead of the warehouse)")
    source.add_argument(
        "--repositories", nargs="+", metavar="GLOB", help="repositories of the latest inventory"
    )
    sim.add_argument("--region", help="region whose prices apply to --images")
    sim.set_defaults(handler=_simulate)

    plan = sub.add_parser(
        "plan",
        help="current vs proposed policy per repository, with savings",
        parents=[
            options.home(),
            options.policy(),
            options.repositories(),
            _at(),
            options.output(("table", "json")),
        ],
    )
    plan.set_defaults(handler=_plan)


def _at() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--at", help="evaluation instant, ISO 8601 (default: now for --images, else the snapshot's)"
    )
    return p


def _validate(args: argparse.Namespace, settings: Settings) -> int:
    path, text = read_policy_file(args.file)
    problems = validate_policy_text(text)
    if problems:
        for problem in problems:
            print(f"{args.file}: {problem}")
        return 2
    _, _, policy = load_policy_file(path)
    print(f"{args.file}: valid lifecycle policy ({len(policy.rules)} rule(s))")
    return 0


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    _, _, policy = load_policy_file(args.policy)
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
        if args.output == "json":
            print(json.dumps(result.to_json(), indent=2))
        else:
            _print_images(images, result)
        return 0

    with warehouse.opened(settings.warehouse_path, read_only=True) as con:
        inventory = load_inventory(con, settings.exemption_tag)
    repos = select(inventory.repositories, args.repositories, None)
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
        if args.output == "table":
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
    if args.output == "json":
        summary = {
            key: sum(r["summary"][key] for r in out)
            for key in ("expired", "transitioned", "freed_bytes", "monthly_savings_usd")
        }
        doc = {"evaluated_at": iso(at), "repositories": out, "summary": summary}
        print(json.dumps(doc, indent=2))
    return 0


def _print_images(images: list[LifecycleImage], result: SimulationResult) -> None:
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
        f"  at {iso(result.evaluated_at)}: {s['expired']} expired, "
        f"{s['transitioned']} transitioned, {gib(s['freed_bytes'])} freed{bound}, "
        f"{money_per_month(s['monthly_savings_usd'])}"
    )
    for note in s["notes"]:
        print(f"  note: {note}")
    for danger in result.dangers:
        print(f"  DANGER {danger.kind}: {danger.detail}")


def _plan(args: argparse.Namespace, settings: Settings) -> int:
    _, policy_text, _ = load_policy_file(args.policy)  # one-line error naming the file
    with warehouse.opened(settings.warehouse_path, read_only=True) as con:
        plan = plan_policy(
            con, settings, policy_text, args.repositories, args.exclude, parse_instant(args.at)
        )
    if not plan.repositories:
        raise UserError(f"no repository of snapshot {plan.snapshot_id} matches the globs")
    if args.output == "json":
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
            f"{gib(repo.freed_bytes)} freed{bound}, {money_per_month(repo.monthly_savings_usd)}"
        )
        for img in repo.images_to_go:
            tags = ",".join(img["tags"]) or "<untagged>"
            print(f"  - {img['action']} {img['digest'][:19]} {tags} (rule {img['rule_priority']})")
        for danger in repo.dangers:
            print(f"  DANGER {danger.kind}: {danger.detail}")
    t = plan.totals
    print(
        f"total at {iso(plan.evaluated_at)}: {t['repositories_planned']} planned, "
        f"{t['repositories_skipped']} skipped, {t['expired']} expired, "
        f"{t['transitioned']} transitioned, {gib(t['freed_bytes'])} freed"
        f"{' (upper bound)' if t['upper_bound'] else ''}, "
        f"{money_per_month(t['monthly_savings_usd'])}, {t['dangers']} danger flag(s)"
    )
    for note in t["notes"]:
        print(f"note: {note}")
    return 0
