"""Plan a lifecycle policy over an inventory snapshot (the one the command chose; the newest
complete one by default): per repository the current
policy against the proposed one, the images that would go, bytes and $/month freed, danger flags.

Read-only: nothing here writes to AWS or the warehouse. The apply side (pipelines/actions) records
`predicted_monthly_savings_usd` / `predicted_freed_bytes` from `RepositoryPlan`.

Choices:
- The evaluation instant defaults to the snapshot's `taken_at` (pull times were recorded then),
  so a plan over the same snapshot gives the same figures whenever it runs.
- Figures are what the proposed policy removes from the repository as it was inventoried, not net
  of the current policy (`current_policy_would_remove` says how much of it the current policy
  would remove anyway).
- Skipped, with the reason shown: exempt repositories (`selection.exempt_reason`) and those whose
  inventory is incomplete (count rules over a partial image list would remove the wrong images).
  `ecrcost policy apply` writes exactly what a plan planned and skips what it skipped.
- Repository globs select as `selection.select` says.
- Images in use (`lifecycle/in_use.py`) are joined onto each repository's result: the images
  the policy would expire or archive carry `in_use_by`, and a repository with any gets the
  proposals that keep them (a higher `countNumber`, or the pin rule). `policy apply` refuses
  such a repository unless --allow-in-use.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress
from typing import TYPE_CHECKING, Any

from ecrcost import sqlfiles
from ecrcost.errors import UserError
from ecrcost.fmt import iso
from ecrcost.gcpause import collector_paused
from ecrcost.lifecycle.danger import Danger
from ecrcost.lifecycle.in_use import (
    InUse,
    Proposal,
    hits,
    load_in_use,
    pin_rule_policy,
    propose,
    with_related,
)
from ecrcost.lifecycle.model import Evaluation, LifecycleImage, columns_of, instant, load_images
from ecrcost.lifecycle.policy import Policy, PolicyError, parse_policy, pretty_policy_text
from ecrcost.lifecycle.savings import Savings
from ecrcost.lifecycle.selection import exempt_reason, select
from ecrcost.lifecycle.simulate import SimulationResult, evaluate_columns, simulate

if TYPE_CHECKING:
    import duckdb

    from ecrcost.settings import Settings


@dataclass
class RepositoryImages:
    account_id: str
    region: str
    repository_name: str
    policy_text: str | None
    exempt: bool
    complete: bool
    images: Sequence[LifecycleImage] = field(default_factory=list)  # columns when loaded

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account_id, self.region, self.repository_name)


@dataclass
class Inventory:
    snapshot_id: str
    taken_at: datetime
    manifests_read: bool
    repositories: list[RepositoryImages]


@dataclass
class RepositoryPlan:
    account_id: str
    region: str
    repository_name: str
    current_policy_text: str | None
    proposed_policy_text: str | None = None  # None: skipped
    diff: str = ""
    expired: int = 0
    transitioned: int = 0
    freed_bytes: int = 0
    monthly_savings_usd: float = 0.0
    upper_bound: bool = False
    dangers: list[Danger] = field(default_factory=list)
    skipped_reason: str | None = None
    current_policy_would_remove: int | None = None  # None: no (valid) current policy
    notes: list[str] = field(default_factory=list)
    # What images_to_go is made from, on demand (a million dicts cost more than the simulation).
    images: Sequence[LifecycleImage] = field(default_factory=list, repr=False)
    evaluation: Evaluation | None = field(default=None, repr=False)
    # Image index -> who uses it, for the images to go that are in use (or possibly in use).
    in_use_by: dict[int, tuple[str, ...]] = field(default_factory=dict, repr=False)
    # What the proposals are computed from (policy, pinned policy, pin prefix, users, instant),
    # on demand: re-simulating costs as much as the plan itself, and a table does not show them.
    proposal_inputs: tuple[Any, ...] | None = field(default=None, repr=False)
    _proposals: dict[str, Proposal] | None = field(default=None, repr=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account_id, self.region, self.repository_name)

    @property
    def in_use_to_go(self) -> list[tuple[LifecycleImage, str, int | None, tuple[str, ...]]]:
        """(image, action, rule priority, users) of each in-use image the policy would expire
        or archive, in image order."""
        ev = self.evaluation
        if ev is None:
            return []
        return [
            (self.images[i], ev.actions[i], ev.priorities[i], users)  # type: ignore[misc]
            for i, users in sorted(self.in_use_by.items())
        ]

    @property
    def in_use_proposals(self) -> dict[str, Proposal]:
        """The changes that keep this repository's in-use images (`in_use.propose`)."""
        if self._proposals is None:
            self._proposals = {}
            if self.proposal_inputs is not None and self.evaluation is not None:
                policy, pinned, prefix, users, at = self.proposal_inputs
                self._proposals = propose(
                    policy, pinned, prefix, self.images, self.evaluation, users, at
                )
        return self._proposals

    @property
    def label(self) -> str:
        return "/".join(self.key)

    @property
    def bytes_to_go(self) -> tuple[int, int]:
        """(bytes of the images to expire, bytes of the images to archive): image sizes, before
        layer sharing (`freed_bytes` is what deleting them frees)."""
        ev = self.evaluation
        sizes = {"expire": 0, "transition": 0}
        if ev is not None:
            own = columns_of(self.images).sizes
            for i in _acted_on(ev):
                sizes[ev.actions[i]] += own[i] or 0  # type: ignore[index]
        return sizes["expire"], sizes["transition"]

    @property
    def images_to_go(self) -> list[dict[str, Any]]:
        """The images the proposed policy would expire or archive, oldest rule first."""
        ev = self.evaluation
        if ev is None:
            return []
        cols = columns_of(self.images)
        out = []
        for i in _acted_on(ev):
            pulled = cols.pulled[i]
            out.append(
                {
                    "digest": cols.digests[i],
                    "tags": list(cols.tags(i)),
                    "action": ev.actions[i],
                    "rule_priority": ev.priorities[i],
                    "in_use_by": list(self.in_use_by.get(i, ())),
                    "via_subject": ev.via_subject.get(i),
                    "size_bytes": cols.sizes[i],
                    "pushed_at": iso(instant(cols.pushed[i])),
                    "last_pulled_at": iso(instant(pulled)) if pulled is not None else None,
                }
            )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "region": self.region,
            "repository_name": self.repository_name,
            "skipped_reason": self.skipped_reason,
            "current_policy_text": self.current_policy_text,
            "proposed_policy_text": self.proposed_policy_text,
            "diff": self.diff,
            "images_to_go": self.images_to_go,
            "expired": self.expired,
            "transitioned": self.transitioned,
            "freed_bytes": self.freed_bytes,
            "monthly_savings_usd": round(self.monthly_savings_usd, 6),
            "upper_bound": self.upper_bound,
            "current_policy_would_remove": self.current_policy_would_remove,
            "dangers": [d.to_json() for d in self.dangers],
            "in_use": {
                "images": len(self.in_use_by),
                "proposals": {k: p.to_json() for k, p in self.in_use_proposals.items()},
            },
            "notes": self.notes,
        }


@dataclass
class Plan:
    evaluated_at: datetime
    snapshot_id: str
    policy_text: str
    repositories: list[RepositoryPlan]
    savings: Savings
    in_use: InUse | None = None
    pin_policy_text: str | None = None  # the policy with the pin rule on top (None: not possible)
    pin_problem: str = ""  # why there is no pin proposal

    @property
    def in_use_repositories(self) -> list[RepositoryPlan]:
        """Planned repositories where the policy would expire or archive an in-use image."""
        return [r for r in self.repositories if r.in_use_by]

    @property
    def totals(self) -> dict[str, Any]:
        planned = [r for r in self.repositories if r.skipped_reason is None]
        return {
            "repositories_planned": len(planned),
            "repositories_skipped": len(self.repositories) - len(planned),
            "expired": sum(r.expired for r in planned),
            "transitioned": sum(r.transitioned for r in planned),
            "freed_bytes": self.savings.freed_bytes,
            "monthly_savings_usd": round(self.savings.monthly_savings_usd, 6),
            "upper_bound": self.savings.upper_bound,
            "dangers": sum(len(r.dangers) for r in self.repositories),
            "in_use": sum(len(r.in_use_by) for r in planned),
            "repositories_in_use": len(self.in_use_repositories),
            "notes": self.savings.notes(),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "evaluated_at": iso(self.evaluated_at),
            "snapshot_id": self.snapshot_id,
            "repositories": [r.to_json() for r in self.repositories],
            "in_use": {
                "collected": bool(self.in_use and self.in_use.collected),
                "unread": [s.label for s in self.in_use.unread] if self.in_use else [],
                "pin_policy_text": self.pin_policy_text,
                "pin_problem": self.pin_problem or None,
                "notes": self.in_use.notes() if self.in_use else [],
            },
            "totals": self.totals,
        }


def load_inventory(
    con: duckdb.DuckDBPyConnection,
    exemption_tag: str,
    *,
    snapshot_id: str | None = None,
    layers: bool = True,
    required: bool = True,
) -> Inventory | None:
    """A snapshot's repositories with their images (the latest snapshot by default; None when
    there is none and not `required`). `layers=False` skips the blobs (savings then become
    upper bounds; the evaluation itself does not need them)."""
    row = sqlfiles.run(con, "lifecycle/snapshot", {"snapshot_id": snapshot_id}).fetchall()
    if not row:
        if snapshot_id is not None:
            raise UserError(f"snapshot {snapshot_id!r} is not in the warehouse; see ecr_snapshots")
        if required:
            raise UserError(
                "the warehouse holds no inventory snapshot; run `ecrcost inventory` "
                "(or load the sample) first, or pass --images FILE.json"
            )
        return None
    snapshot_id, taken_at, manifests_read = row[0]
    params = {"snapshot_id": snapshot_id}
    repos: dict[tuple[str, str, str], RepositoryImages] = {}
    for account, region, name, text, exempt, complete in sqlfiles.run(
        con, "lifecycle/repositories", {**params, "exemption_tag": exemption_tag}
    ).fetchall():
        repos[(account, region, name)] = RepositoryImages(
            account, region, name, text, bool(exempt), bool(complete)
        )
    loaded = load_images(
        con,
        snapshot_id,
        manifests_read=bool(manifests_read),
        layers=bool(manifests_read and layers),
    )
    for key, images in loaded.items():
        repo = repos.get(key)
        if repo is None:  # image rows without their repository row: keep them visible
            repo = repos[key] = RepositoryImages(*key, None, False, False)
        repo.images = images
    return Inventory(snapshot_id, taken_at, bool(manifests_read), list(repos.values()))


def skip_reason(repo: RepositoryImages, settings: Settings) -> tuple[str, str] | None:
    """(danger kind, reason) when the repository must not be planned, else None."""
    exempt = exempt_reason(settings, repo.repository_name, repo.exempt)
    if exempt is not None:
        return "exempt_repository", exempt
    if not repo.complete:
        return (
            "incomplete_inventory",
            "its inventory is incomplete (a call failed); re-run the inventory first",
        )
    return None


def plan_policy(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    policy_text: str,
    include_globs: list[str] | None = None,
    exclude_globs: list[str] | None = None,
    at: datetime | None = None,
    snapshot_id: str | None = None,
) -> Plan:
    """Plan `policy_text` for every selected repository of snapshot `snapshot_id` (the one the
    command chose; the `latest_snapshot` view's when None)."""
    policy = parse_policy(policy_text)
    # The loaded inventory is large, long-lived and free of cycles (ecrcost.gcpause); `policy
    # plan` pauses the collector around printing too, so the plan is freed by reference counts
    # before the collector runs again (re-enabled while it lives, it would walk it all once).
    with collector_paused():
        inventory = load_inventory(con, settings.exemption_tag, snapshot_id=snapshot_id)
        assert inventory is not None
        at = at or inventory.taken_at
        in_use = load_in_use(con, inventory.snapshot_id)
        pinned, pin_problem = pin_rule_policy(policy, settings.pin_tag_prefix)
        differ = _Differ(pretty_policy_text(policy_text))
        total = Savings()
        plans: list[RepositoryPlan] = []
        for repo in select(inventory.repositories, include_globs, exclude_globs):
            skip = skip_reason(repo, settings)
            if skip is not None:
                plans.append(_skipped(repo, *skip))
                continue
            result = simulate(
                policy, repo.images, at, settings.prices, repo.region, settings.recent_pull_days
            )
            total.add(result.savings)
            planned = _planned(repo, policy_text, result, at, differ)
            users = with_related(repo.images, in_use.by_repository.get(repo.key, {}))
            unknown = in_use.unknown_for(repo.account_id, repo.region)
            planned.in_use_by = hits(result.evaluation, users, unknown)
            if planned.in_use_by and users:
                planned.proposal_inputs = (policy, pinned, settings.pin_tag_prefix, users, at)
            plans.append(planned)
    return Plan(
        at,
        inventory.snapshot_id,
        policy_text,
        plans,
        total,
        in_use,
        pinned.text if pinned else None,
        pin_problem,
    )


def _planned(
    repo: RepositoryImages,
    proposed_text: str,
    result: SimulationResult,
    at: datetime,
    differ: _Differ,
) -> RepositoryPlan:
    return RepositoryPlan(
        *repo.key,
        current_policy_text=repo.policy_text,
        proposed_policy_text=proposed_text,
        diff=differ.diff(repo.repository_name, repo.policy_text),
        expired=result.expired,
        transitioned=result.transitioned,
        freed_bytes=result.savings.freed_bytes,
        monthly_savings_usd=result.savings.monthly_savings_usd,
        upper_bound=result.savings.upper_bound,
        dangers=result.dangers,
        current_policy_would_remove=differ.current_removes(repo.policy_text, repo.images, at),
        notes=result.savings.notes(),
        images=repo.images,
        evaluation=result.evaluation,
    )


class _Differ:
    """Diffs against the proposed policy and what the current policy removes, with the work per
    distinct current policy done once (thousands of repositories share a handful of policies)."""

    def __init__(self, proposed_pretty: str) -> None:
        self.proposed = proposed_pretty.splitlines(keepends=True)
        self._bodies: dict[str | None, list[str]] = {}
        self._policies: dict[str, Policy | None] = {}

    def diff(self, name: str, current: str | None) -> str:
        if current not in self._bodies:
            lines = difflib.unified_diff(_pretty_or_raw(current), self.proposed, "a", "b")
            self._bodies[current] = list(lines)[2:]  # headers are per repository
        body = self._bodies[current]
        if not body:
            return ""
        label = "current" if current else "current: no policy"
        return f"--- {name} ({label})\n+++ {name} (proposed)\n" + "".join(body)

    def current_removes(
        self, text: str | None, images: Sequence[LifecycleImage], at: datetime
    ) -> int | None:
        if not text:
            return None
        if text not in self._policies:
            try:
                self._policies[text] = parse_policy(text)
            except PolicyError:
                self._policies[text] = None
        current = self._policies[text]
        if current is None:
            return None
        return sum(a is not None for a in evaluate_columns(current, images, at).actions)


def _acted_on(ev: Evaluation) -> Iterator[int]:
    """Indices of the images the evaluation expires or archives (an action is None or a
    non-empty string): `compress` skips the kept ones in C."""
    return compress(range(len(ev.actions)), ev.actions)


def _skipped(repo: RepositoryImages, kind: str, reason: str) -> RepositoryPlan:
    return RepositoryPlan(
        *repo.key,
        current_policy_text=repo.policy_text,
        dangers=[Danger(kind, f"not planned: {reason}")],
        skipped_reason=reason,
    )


def _pretty_or_raw(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        pretty = pretty_policy_text(text)
    except ValueError:  # not JSON: show it as it is
        pretty = text if text.endswith("\n") else text + "\n"
    return pretty.splitlines(keepends=True)
