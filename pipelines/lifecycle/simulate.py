"""Local, exact evaluation of a lifecycle policy over one repository's images at a stated instant.

Follows the evaluation rules in docs/lifecycle-semantics.md. How it is computed (and why it
equals AWS's wording): an image's acting rule is the FIRST rule in priority order (within its storage class) whose
selection matches it, because a lower-priority rule may not act on an image a higher-priority
rule's selection matched; the image is acted on iff that rule's candidate computation, done over
ALL images the rule selects, marks it. So each repository is sorted once, each rule selects once,
and set differences hand every image to exactly one rule. tests/test_lifecycle_simulate.py checks
this against a literal reference implementation.

The choices where AWS does not say (ties on equal push time, "older than" is strict, tags are
case-sensitive, ACTIVATING images are in transit, manifest-list children and referrers) are listed
with their reasons in docs/lifecycle-semantics.md ("Evaluation"); each is tested.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property
from itertools import compress
from operator import not_
from typing import TYPE_CHECKING

from ecrcost.fmt import iso
from ecrcost.lifecycle.danger import Danger, danger_flags
from ecrcost.lifecycle.model import (
    ARCHIVE,
    STANDARD,
    Evaluation,
    ImageColumns,
    LifecycleImage,
    Outcome,
    columns_of,
    days_in_micros,
    micros,
)
from ecrcost.lifecycle.policy import Policy, Rule
from ecrcost.lifecycle.savings import Savings, compute_savings

if TYPE_CHECKING:
    from ecrcost.prices import PriceTable


@dataclass
class SimulationResult:
    evaluated_at: datetime
    evaluation: Evaluation
    savings: Savings
    dangers: list[Danger] = field(default_factory=list)

    @cached_property
    def outcomes(self) -> list[Outcome]:  # in the order of the input images
        return self.evaluation.outcomes()

    @property
    def expired(self) -> int:
        return self.evaluation.actions.count("expire")

    @property
    def transitioned(self) -> int:
        return self.evaluation.actions.count("transition")

    def summary(self) -> dict:
        return {
            "expired": self.expired,
            "transitioned": self.transitioned,
            "freed_bytes": self.savings.freed_bytes,
            "monthly_savings_usd": round(self.savings.monthly_savings_usd, 6),
            "upper_bound": self.savings.upper_bound,
            "notes": self.savings.notes(),
        }

    def to_json(self) -> dict:
        return {
            "evaluated_at": iso(self.evaluated_at),
            "images": [
                {
                    "digest": o.digest,
                    "action": o.action,
                    "rule_priority": o.rule_priority,
                    **({"via_subject": o.via_subject} if o.via_subject else {}),
                    **({"protected_by": o.protected_by} if o.protected_by else {}),
                }
                for o in self.outcomes
            ],
            "summary": self.summary(),
            "dangers": [d.to_json() for d in self.dangers],
        }


def simulate(
    policy: Policy,
    images: Sequence[LifecycleImage],
    at: datetime,
    prices: PriceTable,
    region: str | None,
    recent_pull_days: int = 30,
) -> SimulationResult:
    """Evaluate `policy` over one repository's `images` (`LifecycleImage`s or their columns) at
    `at`; price what it frees in `region`."""
    columns = columns_of(images)
    evaluation = evaluate_columns(policy, columns, at)
    return SimulationResult(
        evaluated_at=at,
        evaluation=evaluation,
        savings=compute_savings(columns, evaluation.actions, prices, region),
        dangers=danger_flags(columns, evaluation, at, recent_pull_days),
    )


def evaluate(policy: Policy, images: Sequence[LifecycleImage], at: datetime) -> list[Outcome]:
    """Which rule acts on which image (one repository), per the module docstring."""
    return evaluate_columns(policy, images, at).outcomes()


def evaluate_columns(policy: Policy, images: Sequence[LifecycleImage], at: datetime) -> Evaluation:
    """`evaluate`, as columns (the fast path `simulate` uses)."""
    cols = columns_of(images)
    n = len(cols)
    digests = cols.digests
    actions: list[str | None] = [None] * n
    priorities: list[int | None] = [None] * n
    result = Evaluation(digests, actions, priorities)
    if not n or not policy.rules:
        return result
    # Newest first; stable sorts give "smaller digest first" on equal times.
    pushed = cols.effective_pushed()
    order = sorted(range(n), key=digests.__getitem__) if len(set(pushed)) < n else range(n)
    order = sorted(order, key=pushed.__getitem__, reverse=True)
    lines, classes = cols.tag_lines, cols.classes
    single = "\n" not in "".join(lines)  # no image has two tags: a tag equals its line
    at_micros: int = micros(at)  # type: ignore[assignment]
    for storage_class in (STANDARD, ARCHIVE):
        rules = [r for r in policy.rules if r.storage_class == storage_class]
        if not rules:
            continue
        if classes.count(storage_class) == n:
            members = order
        else:
            members = [i for i in order if classes[i] == storage_class]
        unclaimed = set(members)
        for rule in rules:
            if not unclaimed:
                break
            if rule.tag_status == "any":
                selected = members
            elif rule.tag_status == "untagged":
                selected = list(compress(members, map(not_, map(lines.__getitem__, members))))
            elif (
                len(rule.tag_patterns) == 1
                and "*" not in rule.tag_patterns[0]
                and single
                and rule.tag_patterns[0]
            ):
                only = rule.tag_patterns[0]  # the common case: one exact tag ("latest")
                selected = list(
                    compress(members, map(only.__eq__, map(lines.__getitem__, members)))
                )
            else:
                selected = _select_by_lines(rule, members, lines)
            for i in unclaimed.intersection(_marked(rule, selected, cols, pushed, at_micros)):
                actions[i] = rule.action
                priorities[i] = rule.priority
            unclaimed.difference_update(selected)
    if cols.linked:
        _protect_children(cols, result)
        _cascade_referrers(cols, result)
    return result


def _select_by_lines(rule: Rule, members: list[int], lines: list[str]) -> list[int]:
    """Members with at least one tag whose tags (one per line) match every prefix/pattern of
    the rule. An untagged image's line is empty, which a wildcard-only pattern ("*") would match:
    a tagged rule selects only images with a tag (docs/lifecycle-semantics.md, Evaluation 3)."""
    regexes = _line_regexes(rule)
    picked = map(lines.__getitem__, members)
    if len(regexes) == 1:
        selected = list(compress(members, map(regexes[0].search, picked)))
    else:
        tests = [rx.search for rx in regexes]
        selected = [i for i, ln in zip(members, picked, strict=True) if all(t(ln) for t in tests)]
    if any(rx.search("") for rx in regexes):  # a pattern an empty line matches ("*")
        selected = [i for i in selected if lines[i]]
    return selected


@cache
def _line_regexes(rule: Rule) -> tuple[re.Pattern[str], ...]:
    """One multi-line regex per prefix/pattern: some line (tag) starts with / equals it."""
    if rule.tag_prefixes:
        return tuple(re.compile("^" + re.escape(p), re.M) for p in rule.tag_prefixes)
    return tuple(
        re.compile("^" + ".*".join(map(re.escape, p.split("*"))) + "$", re.M)
        for p in rule.tag_patterns
    )


def _marked(
    rule: Rule, selected: list[int], cols: ImageColumns, pushed: list[int], at: int
) -> list[int]:
    """The rule's candidates among `selected` (newest first), computed over all of them.
    `pushed`: the effective push times; `at` and the times in microseconds."""
    if rule.count_type == "imageCountMoreThan":
        return selected[rule.count_number :]
    cutoff = at - days_in_micros(rule.count_number)
    if rule.count_type == "sinceImagePushed":
        return [i for i in selected if pushed[i] < cutoff]
    if rule.count_type == "sinceImagePulled":
        pulled = cols.effective_pulled(pushed)
        return [i for i in selected if pulled[i] < cutoff]
    archived = cols.archived  # sinceImageTransitioned
    return [i for i in selected if archived[i] is not None and archived[i] < cutoff]  # type: ignore[operator]


def _protect_children(cols: ImageColumns, ev: Evaluation) -> None:
    """Children of a manifest list present at the instant stay; a list already in archive no
    longer protects them ("cannot be expired or archived without the manifest list being deleted
    or archived first", docs/lifecycle-semantics.md, Evaluation 7)."""
    parents: dict[str, str] = {}
    for i in cols.linked:
        if cols.classes[i] == ARCHIVE:
            continue
        for child in cols.children[i]:
            parents.setdefault(child, cols.digests[i])
    if not parents:
        return
    for i, digest in enumerate(ev.digests):
        if ev.actions[i] is not None and digest in parents:
            ev.actions[i] = ev.priorities[i] = None
            ev.protected_by[i] = parents[digest]


def _cascade_referrers(cols: ImageColumns, ev: Evaluation) -> None:
    """Referrers follow their subject in the same evaluation, transitively: expired with an
    expired subject; archived with an archived one when they are in standard storage and nothing
    expires them ("automatically expire or archive those artifacts within 24 hours of the
    deletion or archival of the subject image", docs/lifecycle-semantics.md, Evaluation 7)."""
    referrers: dict[str, list[int]] = {}
    for i in cols.linked:
        subject = cols.subjects[i]
        if subject:
            referrers.setdefault(subject, []).append(i)
    if not referrers:
        return
    classes = cols.classes
    for action in ("expire", "transition"):
        stack = [i for i, a in enumerate(ev.actions) if a == action]
        while stack:
            subject = stack.pop()
            for r in referrers.get(ev.digests[subject], ()):
                if ev.actions[r] == "expire" or ev.actions[r] == action:
                    continue
                if action == "transition" and classes[r] != STANDARD:
                    continue  # already archived, or in transit
                ev.actions[r], ev.priorities[r] = action, ev.priorities[subject]
                ev.via_subject[r] = ev.digests[subject]
                ev.protected_by.pop(r, None)
                stack.append(r)
