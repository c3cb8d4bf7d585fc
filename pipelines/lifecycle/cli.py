"""`ecrcost policy validate | simulate | plan`: `ecrcost.cli` creates the `policy` parser and
calls `register_policy_commands` here and in `ecrcost.actions.cli` (apply, restore, export)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ecrcost import options, warehouse
from ecrcost.errors import UserError
from ecrcost.fmt import gib, iso, money, money_per_month
from ecrcost.gcpause import collector_paused
from ecrcost.lifecycle.danger import Danger
from ecrcost.lifecycle.images_file import IMAGES_HELP, parse_instant, read_images_file
from ecrcost.lifecycle.in_use import UNKNOWN_PREFIX, hits, load_in_use, with_related
from ecrcost.lifecycle.plan import (
    Plan,
    RepositoryPlan,
    load_inventory,
    plan_policy,
    skip_reason,
)
from ecrcost.lifecycle.policy import load_policy_file, read_policy_file, validate_policy_text
from ecrcost.lifecycle.selection import select, use_snapshot
from ecrcost.lifecycle.simulate import SimulationResult, simulate

if TYPE_CHECKING:
    from ecrcost.lifecycle.model import LifecycleImage
    from ecrcost.settings import Settings


def register_policy_commands(sub: argparse._SubParsersAction) -> None:
    validate = sub.add_parser(
        "validate",
        help="check a policy as PutLifecyclePolicy would",
        description="Check a lifecycle policy file against the rules PutLifecyclePolicy "
        "enforces; print each problem on its own line (exit 2) or that it is valid.",
    )
    validate.add_argument("file", help="policy JSON file")
    validate.set_defaults(handler=_validate)

    sim = sub.add_parser(
        "simulate",
        help="which images a policy would expire or archive",
        description="Evaluate a lifecycle policy image by image, over an images file "
        "(--images) or over repositories of an inventory snapshot (--repositories).",
        epilog=IMAGES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[
            options.home(),
            options.policy(),
            options.snapshot(),
            _at("now for --images, else the snapshot's taken_at"),
            options.output(("table", "json")),
        ],
    )
    source = sim.add_mutually_exclusive_group()
    source.add_argument(
        "--images",
        metavar="FILE",
        help="images JSON: an array of images, or what `aws ecr describe-images` prints "
        "(see below)",
    )
    source.add_argument(
        "--repositories", nargs="+", metavar="GLOB", help="repositories of an inventory snapshot"
    )
    sim.add_argument("--region", help="region whose prices apply to --images")
    sim.set_defaults(handler=_simulate)

    plan = sub.add_parser(
        "plan",
        help="current vs proposed policy per repository, with savings",
        description="Plan a lifecycle policy over an inventory snapshot: one line per "
        "repository (images and GiB to expire and to archive, $/month, danger flags) and the "
        "totals; --diff adds each repository's policy diff and the images that would go.",
        parents=[
            options.home(),
            options.policy(),
            options.inventory_repositories(),
            _at("the snapshot's taken_at"),
            options.output(("table", "json")),
        ],
    )
    plan.add_argument(
        "--diff",
        action="store_true",
        help="also print the policy diff and the images to go, per repository",
    )
    plan.set_defaults(handler=_plan)


def _at(default: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--at", help=f"evaluation instant, ISO 8601 (default: {default})")
    return p


def _validate(args: argparse.Namespace, settings: Settings) -> int:
    path, text = read_policy_file(args.file)
    problems = validate_policy_text(text)
    if problems:
        # Problems are diagnostics (stderr, exit 2); stdout carries only the verdict of a valid file.
        for problem in problems:
            print(f"{args.file}: {problem}", file=sys.stderr)
        return 2
    _, _, policy = load_policy_file(path)
    print(f"{args.file}: valid lifecycle policy ({len(policy.rules)} rule(s))")
    return 0


def _simulate(args: argparse.Namespace, settings: Settings) -> int:
    _, _, policy = load_policy_file(args.policy)
    at = parse_instant(args.at)
    if args.images:
        if args.snapshot:
            raise UserError("--snapshot chooses the inventory of --repositories, not --images")
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
        snapshot_id = use_snapshot(con, args.snapshot, to_stderr=args.output == "json")
        inventory = load_inventory(con, settings.exemption_tag, snapshot_id=snapshot_id)
        assert inventory is not None
        in_use = load_in_use(con, inventory.snapshot_id)
    for note in in_use.notes():
        print(note, file=sys.stderr if args.output == "json" else sys.stdout)
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
        users = with_related(repo.images, in_use.by_repository.get(repo.key, {}))
        in_use_by = hits(result.evaluation, users, in_use.unknown_for(repo.account_id, repo.region))
        if args.output == "table":
            print(f"== {repo.account_id} {repo.region} {repo.repository_name}")
            _print_images(repo.images, result, in_use_by)
        doc = result.to_json()
        for i, image in enumerate(doc["images"]):
            image["in_use_by"] = list(in_use_by.get(i, ()))
        doc["summary"]["in_use"] = len(in_use_by)
        out.append(
            {
                "account_id": repo.account_id,
                "region": repo.region,
                "repository_name": repo.repository_name,
                **doc,
            }
        )
    if args.output == "json":
        summary = {
            key: sum(r["summary"][key] for r in out)
            for key in ("expired", "transitioned", "freed_bytes", "monthly_savings_usd", "in_use")
        }
        doc = {"evaluated_at": iso(at), "repositories": out, "summary": summary}
        print(json.dumps(doc, indent=2))
    return 0


def _print_images(
    images: list[LifecycleImage],
    result: SimulationResult,
    in_use_by: dict[int, tuple[str, ...]] | None = None,
) -> None:
    in_use_by = in_use_by or {}
    for i, (img, o) in enumerate(zip(images, result.outcomes, strict=True)):
        tags = ",".join(img.tags) or "<untagged>"
        what = "keep" if o.action is None else f"{o.action} (rule {o.rule_priority})"
        if o.via_subject:
            what += f" with subject {o.via_subject[:19]}"
        if o.protected_by:
            what += f" protected by manifest list {o.protected_by[:19]}"
        if i in in_use_by:
            what += f"  IN USE by {', '.join(in_use_by[i])}"
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
    if in_use_by:
        print(f"  {IN_USE_LINE.format(n=len(in_use_by))}")
    for danger in result.dangers:
        print(f"  DANGER {danger.kind}: {danger.detail}")


IN_USE_LINE = (
    "IN USE: the policy would expire or archive {n} image(s) that workloads use (ECS, Lambda, "
    "Kubernetes, Inspector) or that a source not read may use; `policy apply` refuses these "
    "repositories unless --allow-in-use"
)


def _plan(args: argparse.Namespace, settings: Settings) -> int:
    with collector_paused():  # until the plan is printed and freed (lifecycle/plan.plan_policy)
        return _plan_and_print(args, settings)


def _plan_and_print(args: argparse.Namespace, settings: Settings) -> int:
    _, policy_text, _ = load_policy_file(args.policy)  # one-line error naming the file
    with warehouse.opened(settings.warehouse_path, read_only=True) as con:
        snapshot_id = use_snapshot(con, args.snapshot, to_stderr=args.output == "json")
        plan = plan_policy(
            con,
            settings,
            policy_text,
            args.repositories,
            args.exclude,
            parse_instant(args.at),
            snapshot_id=snapshot_id,
        )
    if not plan.repositories:
        raise UserError(f"no repository of snapshot {plan.snapshot_id} matches the globs")
    if args.output == "json":
        if plan.in_use is not None:
            for note in plan.in_use.notes():
                print(note, file=sys.stderr)
        print(json.dumps(plan.to_json(), indent=2))
        return 0
    if args.diff:
        _print_plan_diff(plan)
    else:
        _print_plan_lines(plan)
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
    _print_in_use_summary(plan, settings.pin_tag_prefix)
    return 0


def _print_in_use_summary(plan: Plan, prefix: str) -> None:
    """The in-use notes, the one-line explanation and the pin proposal, once per plan."""
    for note in plan.in_use.notes() if plan.in_use else []:
        print(f"note: {note}")
    affected = plan.in_use_repositories
    if not affected:
        return
    print(IN_USE_LINE.format(n=plan.totals["in_use"]) + f" (repositories: {len(affected)})")
    print("  `policy plan --diff` lists them with the proposals that keep them")
    if plan.pin_policy_text:
        print(
            "  to keep them with this policy: `ecrcost images pin --in-use` tags them "
            f"{prefix}..., and the policy with the pin rule on top "
            "(`policy plan -o json`: in_use.pin_policy_text) never touches them"
        )
    else:
        print(f"  no pin proposal: {plan.pin_problem}")


PLAN_HEADER = (
    "repository",
    "expire",
    "expire GiB",
    "archive",
    "archive GiB",
    "$/month",
    "in use",
    "flags",
)


def _print_plan_lines(plan: Plan) -> None:
    """One line per repository: images and GiB to expire and to archive, savings, flags."""
    rows = [PLAN_HEADER]
    for r in plan.repositories:
        kinds = ",".join(sorted({d.kind for d in r.dangers}))
        if r.skipped_reason:
            rows.append((r.label, "-", "-", "-", "-", "-", "-", f"skipped: {r.skipped_reason}"))
            continue
        to_expire, to_archive = r.bytes_to_go
        rows.append(
            (
                r.label,
                str(r.expired),
                gib(to_expire, 2).removesuffix(" GiB"),
                str(r.transitioned),
                gib(to_archive, 2).removesuffix(" GiB"),
                money(r.monthly_savings_usd) + ("+" if r.upper_bound else ""),
                f"{len(r.in_use_by)}!" if r.in_use_by else "0",
                ",".join(filter(None, [kinds, "in_use" if r.in_use_by else ""])),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(PLAN_HEADER) - 1)]
    for row in rows:
        cells = [
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=False))
        ]
        print("  ".join([*cells, row[-1]]).rstrip())
    if any(r.upper_bound for r in plan.repositories):
        print("+ upper bound: layers shared with kept images were not known")
    if plan.in_use_repositories:
        print("! in use: images the policy would expire or archive that workloads use")


def _print_plan_diff(plan: Plan) -> None:
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
            used = f"  IN USE by {', '.join(img['in_use_by'])}" if img["in_use_by"] else ""
            print(
                f"  - {img['action']} {img['digest'][:19]} {tags} "
                f"(rule {img['rule_priority']}){used}"
            )
        for danger in repo.dangers:
            print(f"  DANGER {danger.kind}: {danger.detail}")
        _print_proposals(repo)


def _print_proposals(repo: RepositoryPlan) -> None:
    """The changes that keep this repository's in-use images, as re-simulated."""
    if not repo.in_use_by:
        return
    print(f"  {len(repo.in_use_by)} in-use image(s) would go; to keep them:")
    count = repo.in_use_proposals.get("count_number")
    if count is not None and count.counts:
        rules = ", ".join(
            f"rule {c['rule_priority']} countNumber {c['count_number']} -> {c['proposed']}"
            for c in count.counts
        )
        print(f"    {rules}: {_kept(count)}")
    if count is not None and count.not_by_count:
        listed = ", ".join(str(p) for p in count.not_by_count)
        print(f"    rule(s) {listed} do not count images: pin instead")
    pin = repo.in_use_proposals.get("pin")
    if pin is not None:
        print(f"    pin {len(pin.pins)} image(s) and add the pin rule on top: {_kept(pin)}")
    possibly = sum(
        any(u.startswith(UNKNOWN_PREFIX) for u in users) for users in repo.in_use_by.values()
    )
    if possibly:
        print(
            f"    {possibly} of them possibly in use (a source was not read): nothing can keep "
            "images nobody knows of; re-run the inventory once it can read that source"
        )


def _kept(p: Any) -> str:
    head = "keeps every in-use image" if p.keeps_all else f"still loses {len(p.still_going)}"
    return f"{head} ({p.expired} expired, {p.transitioned} archived)"
