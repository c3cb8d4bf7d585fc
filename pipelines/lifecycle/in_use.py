"""Images in use (ECS, Lambda, Kubernetes, Inspector) as plans and applies see them, and the
smallest change to a policy that keeps them.

The inventory stores, per snapshot, who uses which image (`ecr_images_in_use`) and which sources
it could read (`ecr_in_use_sources`). Here that becomes, per repository, the users of each image
the policy would expire or archive (`in_use_by`), joined onto the simulation's result: the image
loader and the evaluation do not change, and a repository without in-use images costs one dict
lookup.

Choices (docs/lifecycle-semantics.md, "Images in use"):
- A scope whose source could not be read (status `missing`) makes every image in it possibly in
  use: its `in_use_by` says `unknown:<source> <scope> not read`. A snapshot for which no source
  was recorded at all says so once (a note), and marks nothing: it was taken before ecrcost
  collected images in use.
- A manifest list in use keeps its platform images in use (a pull of the list fetches one of
  them), and a platform image in use keeps its list in use (expiring the list leaves the image an
  untagged orphan that the next daily evaluation may expire). A subject in use keeps its
  referrers in use (signatures and attestations are checked when the image is deployed again).
- Proposals: per affected `imageCountMoreThan` rule the smallest `countNumber` that keeps every
  known in-use image it would expire or archive; and pinning: a top-priority rule selecting the
  pin tag prefix, which shields the images carrying a pin tag from every lower rule of standard
  storage. Both are re-simulated, so the plan says whether each keeps them all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import compress
from typing import TYPE_CHECKING, Any

from ecrcost import sqlfiles
from ecrcost.lifecycle.model import STANDARD, Evaluation, LifecycleImage, columns_of
from ecrcost.lifecycle.policy import MAX_API_INTEGER, Policy, Rule, validate_policy_text
from ecrcost.lifecycle.simulate import evaluate_columns

if TYPE_CHECKING:
    import duckdb

Key = tuple[str, str, str]  # (account_id, region, repository_name)
PIN_RULE_DESCRIPTION = "ecrcost: images carrying a pin tag (in use) are kept"
UNKNOWN_PREFIX = "unknown:"  # an in_use_by entry of a source not read: possibly in use


@dataclass(frozen=True)
class UnreadScope:
    """A source the inventory could not read, and what it covers."""

    source: str
    account_id: str | None  # None (with region None): every repository
    region: str | None
    scope: str
    detail: str | None

    @property
    def label(self) -> str:
        return f"{UNKNOWN_PREFIX}{self.source} {self.scope} not read"

    def covers(self, account_id: str, region: str) -> bool:
        if self.account_id is None:
            return True
        return self.account_id == account_id and self.region in (None, region)


@dataclass
class InUse:
    """A snapshot's images in use: digest -> users per repository, and the unread scopes."""

    snapshot_id: str
    collected: bool  # some source was recorded with the snapshot
    by_repository: dict[Key, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    unread: list[UnreadScope] = field(default_factory=list)

    def unknown_for(self, account_id: str, region: str) -> tuple[str, ...]:
        """The `unknown:` labels that make every image of this account and region possibly in
        use."""
        return tuple(s.label for s in self.unread if s.covers(account_id, region))

    def notes(self) -> list[str]:
        if not self.collected:
            return [
                f"images in use: none recorded with snapshot {self.snapshot_id} (taken before "
                "ecrcost collected them); run `ecrcost inventory` to check ECS, Lambda, "
                "Kubernetes and Inspector"
            ]
        return [
            f"images in use: {s.source} {s.scope} was not read ({s.detail or 'no detail'}): "
            "its images count as possibly in use"
            for s in self.unread
        ]


def load_in_use(con: duckdb.DuckDBPyConnection, snapshot_id: str) -> InUse:
    params = {"snapshot_id": snapshot_id}
    sources = sqlfiles.run(con, "lifecycle/in_use_sources", params).fetchall()
    found = InUse(snapshot_id, collected=bool(sources))
    for source, account, region, scope, status, detail in sources:
        if status == "missing":
            found.unread.append(UnreadScope(source, account, region, scope, detail))
    for account, region, name, digest, used_by in sqlfiles.run(
        con, "lifecycle/images_in_use", params
    ).fetchall():
        found.by_repository.setdefault((account, region, name), {})[digest] = tuple(used_by)
    return found


def with_related(
    images: Sequence[LifecycleImage], direct: dict[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """`direct` (digest -> users) widened to the images that go with them: a manifest list's
    platform images and the list of a platform image in use, and the referrers of a subject
    in use, transitively (see the module docstring)."""
    if not direct:
        return direct
    users = {d: set(u) for d, u in direct.items()}
    cols = columns_of(images)
    linked = [(cols.digests[i], cols.children[i], cols.subjects[i]) for i in cols.linked]
    changed = bool(linked)
    while changed:
        changed = False
        for digest, children, subject in linked:
            related = [*children]
            if subject:
                related.append(subject)
            for other in related:
                # both ways for a list and its children; a subject's users flow to its referrer
                pairs = [(other, digest)]
                if other in children:
                    pairs.append((digest, other))
                for src, dst in pairs:
                    add = users.get(src, set()) - users.get(dst, set())
                    if add:
                        users.setdefault(dst, set()).update(add)
                        changed = True
    return {d: tuple(sorted(u)) for d, u in users.items()}


def hits(
    ev: Evaluation, users: dict[str, tuple[str, ...]], unknown: tuple[str, ...]
) -> dict[int, tuple[str, ...]]:
    """Image index -> users, for each image the evaluation expires or archives that is in use
    (or possibly in use: `unknown` applies to every image)."""
    if not users and not unknown:
        return {}
    out: dict[int, tuple[str, ...]] = {}
    n = len(ev.actions)
    # Every image that goes when some scope is unknown; else only those in use (found in C).
    if unknown:
        candidates = compress(range(n), ev.actions)
    else:
        candidates = compress(range(n), map(users.__contains__, ev.digests))
    for i in candidates:
        if ev.actions[i] is not None:
            out[i] = users.get(ev.digests[i], ()) + unknown
    return out


def pin_tag(prefix: str, digest: str) -> str:
    """The tag `ecrcost images pin` gives an image: the prefix and the digest's first 16 hex
    characters (ECR tags: at most 300 characters)."""
    return prefix + digest.split(":", 1)[-1][:16]


def pin_rule_policy(policy: Policy, prefix: str) -> tuple[Policy | None, str]:
    """The policy with a pin rule on top (priority 1; the other rules move up by one when 1 is
    taken, in their order), or None and why not. The rule selects tagged images with the pin
    prefix and keeps the newest 2,147,483,647 of them (the API's largest integer): it never
    expires one, and no lower rule may act on an image its selection matched."""
    if any(prefix in r.tag_prefixes for r in policy.rules if r.storage_class == STANDARD):
        return None, f"a rule already selects the tag prefix {prefix!r}"
    shift = 1 if any(r.priority == 1 for r in policy.rules) else 0
    rules = [replace(r, priority=r.priority + shift) for r in policy.rules]
    if any(r.priority > MAX_API_INTEGER for r in rules):
        return None, "no rule priority is left above the pin rule"
    pin = Rule(
        priority=1,
        tag_status="tagged",
        count_type="imageCountMoreThan",
        count_number=MAX_API_INTEGER,
        tag_prefixes=(prefix,),
        description=PIN_RULE_DESCRIPTION,
    )
    text = json.dumps({"rules": [pin.to_json(), *(r.to_json() for r in rules)]}, indent=2)
    problems = validate_policy_text(text)
    if problems:
        return None, problems[0]
    return Policy(rules=(pin, *rules), text=text), ""


@dataclass
class Proposal:
    """One way to keep the in-use images, re-simulated over the repository."""

    kind: str  # count_number | pin
    keeps_all: bool
    expired: int
    transitioned: int
    still_going: list[str]  # digests of in-use images it would still expire or archive
    counts: list[dict[str, Any]] = field(default_factory=list)  # count_number: per rule
    pins: list[dict[str, str]] = field(default_factory=list)  # pin: {digest, tag}
    not_by_count: list[int] = field(default_factory=list)  # rules a count cannot change

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "keeps_all": self.keeps_all,
            "expired": self.expired,
            "transitioned": self.transitioned,
            "still_going": self.still_going,
        }
        if self.kind == "count_number":
            out["rules"] = self.counts
            out["rules_not_count_based"] = self.not_by_count
        else:
            out["pin_tags"] = self.pins
        return out


def propose(
    policy: Policy,
    pinned_policy: Policy | None,
    pin_prefix: str,
    images: Sequence[LifecycleImage],
    ev: Evaluation,
    users: dict[str, tuple[str, ...]],
    at: datetime,
) -> dict[str, Proposal]:
    """The count and pin proposals for one repository whose evaluation `ev` expires or archives
    known in-use images (`users`: digest -> users, already widened by `with_related`)."""
    going = {i for i, a in enumerate(ev.actions) if a is not None and ev.digests[i] in users}
    if not going:
        return {}
    images = list(images)  # built once: each proposal reads them image by image
    out = {"count_number": _count_proposal(policy, images, ev, going, users, at)}
    if pinned_policy is not None:
        pins = [{"digest": d, "tag": pin_tag(pin_prefix, d)} for d in sorted(users)]
        tagged = _with_pin_tags(images, {p["digest"]: p["tag"] for p in pins})
        out["pin"] = _checked("pin", pinned_policy, tagged, users, at)
        out["pin"].pins = pins
    return out


def _count_proposal(
    policy: Policy,
    images: Sequence[LifecycleImage],
    ev: Evaluation,
    going: set[int],
    users: dict[str, tuple[str, ...]],
    at: datetime,
) -> Proposal:
    position = {d: i for i, d in enumerate(ev.digests)}
    rules = {r.priority: r for r in policy.rules}
    needed: dict[int, int] = {}
    not_by_count: set[int] = set()
    for i in going:
        # A referrer goes with its subject: the subject is the image the rule must keep.
        while i in ev.via_subject:
            i = position[ev.via_subject[i]]
        rule = rules[ev.priorities[i]]  # type: ignore[index]
        if rule.count_type != "imageCountMoreThan":
            not_by_count.add(rule.priority)
            continue
        needed[rule.priority] = max(needed.get(rule.priority, 0), _rank(rule, images, i) + 1)
    counts = [
        {
            "rule_priority": p,
            "count_number": rules[p].count_number,
            "proposed": min(n, MAX_API_INTEGER),
        }
        for p, n in sorted(needed.items())
    ]
    changed = [
        replace(r, count_number=min(needed[r.priority], MAX_API_INTEGER))
        if r.priority in needed
        else r
        for r in policy.rules
    ]
    text = json.dumps({"rules": [r.to_json() for r in changed]})
    proposal = _checked("count_number", Policy(tuple(changed), text), images, users, at)
    proposal.counts, proposal.not_by_count = counts, sorted(not_by_count)
    return proposal


def _rank(rule: Rule, images: Sequence[LifecycleImage], i: int) -> int:
    """How many images the rule selects that count as newer than image i (the simulator's
    order: newest push first, the smaller digest first on equal times)."""
    me = images[i]
    mine = (me.effective_pushed_at, me.digest)
    return sum(
        1
        for img in images
        if img.storage_class == rule.storage_class
        and (img.tags or rule.tag_status != "tagged")
        and rule.matches_tags(img.tags)
        and (
            img.effective_pushed_at > mine[0]
            or (img.effective_pushed_at == mine[0] and img.digest < mine[1])
        )
    )


def _checked(
    kind: str,
    policy: Policy,
    images: Sequence[LifecycleImage],
    users: dict[str, tuple[str, ...]],
    at: datetime,
) -> Proposal:
    ev = evaluate_columns(policy, images, at)
    still = sorted(
        ev.digests[i] for i, a in enumerate(ev.actions) if a is not None and ev.digests[i] in users
    )
    return Proposal(
        kind,
        keeps_all=not still,
        expired=ev.actions.count("expire"),
        transitioned=ev.actions.count("transition"),
        still_going=still,
    )


def _with_pin_tags(images: Sequence[LifecycleImage], pins: dict[str, str]) -> list[LifecycleImage]:
    return [
        replace(img, tags=(*img.tags, pins[img.digest]))
        if img.digest in pins and pins[img.digest] not in img.tags
        else img
        for img in images
    ]
