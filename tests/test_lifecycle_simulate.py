"""Simulator: the documented examples, our documented choices, archive rules, and property tests
against a reference implementation written from the wording of docs/lifecycle-semantics.md."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ecrcost.lifecycle.model import LifecycleImage, Outcome
from ecrcost.lifecycle.policy import Policy, Rule, parse_policy, validate_policy_text
from ecrcost.lifecycle.simulate import evaluate

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TRANSITION = {"type": "transition", "targetStorageClass": "archive"}


def img(digest: str, tags: tuple[str, ...] = (), days: float = 1, **kw) -> LifecycleImage:
    return LifecycleImage(digest=digest, tags=tags, pushed_at=AT - timedelta(days=days), **kw)


def policy(*rules: dict) -> Policy:
    return parse_policy(json.dumps({"rules": list(rules)}, indent=2))


def rule(priority: int, action: dict | None = None, **selection) -> dict:
    return {
        "rulePriority": priority,
        "selection": selection,
        "action": action or {"type": "expire"},
    }


def keep(priority: int, n: int, **selection) -> dict:
    return rule(priority, countType="imageCountMoreThan", countNumber=n, **selection)


def older(priority: int, kind: str, days: int, action: dict | None = None, **selection) -> dict:
    return rule(priority, action, countType=kind, countUnit="days", countNumber=days, **selection)


def acted(p: Policy, images: list[LifecycleImage], at: datetime = AT) -> dict[str, tuple]:
    return {o.digest: (o.action, o.rule_priority) for o in evaluate(p, images, at) if o.action}


# --- The documented worked example -------------------------------------------------------------

EXAMPLE = [
    img("A", ("beta-1", "prod-1"), days=10),
    img("B", ("beta-2", "prod-2"), days=9),
    img("C", ("beta-3",), days=8),
]


def test_worked_example_only_a_expires() -> None:
    p = policy(
        keep(1, 1, tagStatus="tagged", tagPrefixList=["prod"]),
        keep(2, 1, tagStatus="tagged", tagPrefixList=["beta"]),
    )
    assert acted(p, EXAMPLE) == {"A": ("expire", 1)}


def test_worked_example_swapped_priorities_expire_a_and_b() -> None:
    p = policy(
        keep(1, 1, tagStatus="tagged", tagPrefixList=["beta"]),
        keep(2, 1, tagStatus="tagged", tagPrefixList=["prod"]),
    )
    assert acted(p, EXAMPLE) == {"A": ("expire", 1), "B": ("expire", 1)}


def test_prefix_list_needs_every_prefix_on_some_tag() -> None:
    # AWS's "multiple tags in a single rule" example: only images carrying both prefixes.
    images = [
        img("A", ("alpha-1",), days=12),
        img("B", ("beta-1",), days=11),
        img("C", ("alpha-2", "beta-2"), days=10),
        img("D", ("alpha-3",), days=4),
    ]
    p = policy(older(1, "sinceImagePushed", 5, tagStatus="tagged", tagPrefixList=["alpha", "beta"]))
    assert acted(p, images) == {"C": ("expire", 1)}


def test_untagged_and_any_example() -> None:
    # AWS's pairing: untagged older than 14 days, then keep 3 of everything.
    images = [img(f"u{i}", days=20 + i) for i in range(2)] + [
        img(f"t{i}", (f"v{i}",), days=i + 1) for i in range(5)
    ]
    p = policy(
        older(1, "sinceImagePushed", 14, tagStatus="untagged"),
        keep(2, 3, tagStatus="any"),
    )
    # u0, u1 go by rule 1; rule 2 ranks all 7 images and keeps t0, t1, t2; u0/u1 are rule 1's.
    assert acted(p, images) == {
        "u0": ("expire", 1),
        "u1": ("expire", 1),
        "t3": ("expire", 2),
        "t4": ("expire", 2),
    }


# --- Choices where AWS does not say --------------------------------------------------------------


def test_ties_on_push_time_keep_the_smaller_digest_whatever_the_input_order() -> None:
    p = policy(keep(1, 1, tagStatus="any"))
    same = [img("sha256:bbb"), img("sha256:aaa"), img("sha256:ccc")]
    assert acted(p, same) == {"sha256:bbb": ("expire", 1), "sha256:ccc": ("expire", 1)}
    assert acted(p, list(reversed(same))) == acted(p, same)


def test_older_than_n_days_is_strict() -> None:
    p = policy(older(1, "sinceImagePushed", 30, tagStatus="any"))
    exactly = img("exact", days=30)
    just_older = LifecycleImage("older", (), AT - timedelta(days=30, seconds=1))
    assert acted(p, [exactly, just_older]) == {"older": ("expire", 1)}


def test_tag_matching_is_case_sensitive() -> None:
    p = policy(keep(1, 1, tagStatus="tagged", tagPatternList=["latest"]))
    images = [img("new", ("latest",), 1), img("old", ("latest",), 2), img("Old", ("Latest",), 3)]
    assert acted(p, images) == {"old": ("expire", 1)}


def test_wildcard_patterns_and_exact_patterns() -> None:
    p = policy(keep(1, 0 + 1, tagStatus="tagged", tagPatternList=["v*-prod*"]))
    images = [
        img("a", ("v1-prod-eu",), 1),
        img("b", ("v2-prod",), 2),
        img("c", ("v3-dev",), 3),
        img("d", ("xv4-prod",), 4),
    ]
    assert acted(p, images) == {"b": ("expire", 1)}


# --- Pull times, restores, archive -------------------------------------------------------------


def test_since_pulled_uses_push_time_when_never_pulled() -> None:
    p = policy(older(1, "sinceImagePulled", 30, TRANSITION, tagStatus="any"))
    images = [
        img("never-old", days=40),
        img("never-new", days=10),
        img("pulled-recently", days=40, last_pulled_at=AT - timedelta(days=3)),
        img("pulled-long-ago", days=90, last_pulled_at=AT - timedelta(days=31)),
    ]
    assert acted(p, images) == {
        "never-old": ("transition", 1),
        "pulled-long-ago": ("transition", 1),
    }


def test_restored_image_counts_from_its_activation() -> None:
    restored = img(
        "restored",
        days=400,
        last_pulled_at=AT - timedelta(days=300),  # before the restore: does not count
        last_activated_at=AT - timedelta(days=5),
    )
    pulled = older(1, "sinceImagePulled", 30, TRANSITION, tagStatus="any")
    pushed = older(1, "sinceImagePushed", 30, tagStatus="any")
    assert acted(policy(pulled), [restored]) == {}
    assert acted(policy(pushed), [restored]) == {}
    # In a count rule it ranks by activation time: newer than an image pushed 10 days ago.
    assert acted(policy(keep(1, 1, tagStatus="any")), [restored, img("x", days=10)]) == {
        "x": ("expire", 1)
    }


def test_archive_rules_act_only_on_archived_images_after_their_archive_time() -> None:
    archived = dict(storage_class="archive")
    images = [
        img("arch-old", days=500, archived_at=AT - timedelta(days=120), **archived),
        img("arch-new", days=500, archived_at=AT - timedelta(days=60), **archived),
        img("std", days=500),
        img("activating", days=500, storage_class="activating", archived_at=AT - timedelta(200)),
    ]
    p = policy(
        keep(1, 1, tagStatus="any"),
        older(2, "sinceImageTransitioned", 90, tagStatus="any", storageClass="archive"),
    )
    # The standard keep-1 rule sees only `std` (so keeps it); archived images are not counted.
    assert acted(p, images) == {"arch-old": ("expire", 2)}


def test_transition_rule_archives_standard_images() -> None:
    p = policy(
        older(1, "sinceImagePushed", 60, TRANSITION, tagStatus="tagged", tagPrefixList=["release"])
    )
    images = [img("r1", ("release-1",), 90), img("r2", ("release-2",), 30), img("d", ("dev",), 90)]
    assert acted(p, images) == {"r1": ("transition", 1)}


# --- Manifest lists and referrers ----------------------------------------------------------------


def test_manifest_list_children_are_protected_but_keep_their_place() -> None:
    images = [
        img("index", ("latest",), days=1, child_digests=("amd64", "arm64")),
        img("amd64", days=1),
        img("arm64", days=1),
        img("stray", days=2),
    ]
    outcomes = {o.digest: o for o in evaluate(policy(keep(1, 1, tagStatus="untagged")), images, AT)}
    # Untagged by age: amd64, arm64 (tie: digest order), stray. amd64 is kept by the count;
    # arm64 is marked but protected by the index; stray is expired.
    assert (outcomes["arm64"].action, outcomes["arm64"].protected_by) == (None, "index")
    assert outcomes["stray"].action == "expire"
    assert outcomes["amd64"].action is None and outcomes["amd64"].protected_by is None


def test_referrers_go_with_their_subject() -> None:
    images = [
        img("new", ("v2",), days=1),
        img("old", ("v1",), days=5),
        img("sig-old", ("sha256-old.sig",), days=5, subject_digest="old"),
        img("sbom-of-sig", days=5, subject_digest="sig-old"),
        img("sig-new", ("sha256-new.sig",), days=1, subject_digest="new"),
    ]
    outcomes = evaluate(policy(keep(1, 1, tagStatus="tagged", tagPrefixList=["v"])), images, AT)
    got = {o.digest: (o.action, o.rule_priority, o.via_subject) for o in outcomes if o.action}
    assert got == {
        "old": ("expire", 1, None),
        "sig-old": ("expire", 1, "old"),
        "sbom-of-sig": ("expire", 1, "sig-old"),
    }


# --- Property tests against a reference implementation ----------------------------------------


def reference(p: Policy, images: list[LifecycleImage], at: datetime) -> dict[str, tuple]:
    """Straight from the spec's wording, with no shortcut."""
    # A manifest list protects its children unless it is archived already [L2].
    protected = {c for i in images if i.storage_class != "archive" for c in i.child_digests}
    result: dict[str, tuple] = {}
    for storage_class in ("standard", "archive"):
        rules = [r for r in p.rules if r.storage_class == storage_class]
        for k, r in enumerate(rules):
            selected = [
                i for i in images if i.storage_class == storage_class and r.matches_tags(i.tags)
            ]
            cutoff = at - timedelta(days=r.count_number)
            if r.count_type == "imageCountMoreThan":
                ranked = sorted(
                    selected, key=lambda i: (-i.effective_pushed_at.timestamp(), i.digest)
                )
                candidates = ranked[r.count_number :]
            elif r.count_type == "sinceImagePushed":
                candidates = [i for i in selected if i.effective_pushed_at < cutoff]
            elif r.count_type == "sinceImagePulled":
                candidates = [i for i in selected if i.effective_pulled_at < cutoff]
            else:
                candidates = [i for i in selected if i.archived_at and i.archived_at < cutoff]
            for i in candidates:
                higher_matched = any(h.matches_tags(i.tags) for h in rules[:k])
                if i.digest in result or higher_matched or i.digest in protected:
                    continue
                result[i.digest] = (r.action, r.priority)
    changed = True
    while changed:  # referrers of expired images, transitively
        changed = False
        for i in images:
            subject = result.get(i.subject_digest or "")
            if subject and subject[0] == "expire" and result.get(i.digest, ("",))[0] != "expire":
                result[i.digest] = ("expire", subject[1])
                changed = True
    changed = True
    while changed:  # referrers of archived images, transitively, when in standard and kept
        changed = False
        for i in images:
            subject = result.get(i.subject_digest or "")
            if (
                subject
                and subject[0] == "transition"
                and i.storage_class == "standard"
                and i.digest not in result
            ):
                result[i.digest] = ("transition", subject[1])
                changed = True
    return result


TAG_POOL = ["latest", "Latest", "v1", "v1.2", "v2", "main-abc", "prod-1", "beta-1", "dev"]


@st.composite
def images_strategy(draw) -> list[LifecycleImage]:
    n = draw(st.integers(0, 14))
    out = []
    for k in range(n):
        storage = draw(st.sampled_from(["standard"] * 4 + ["archive", "activating"]))
        pulled = draw(st.none() | st.integers(0, 60))
        activated = draw(st.none() | st.integers(0, 60))
        out.append(
            LifecycleImage(
                digest=f"sha256:{k:04d}",
                tags=tuple(draw(st.lists(st.sampled_from(TAG_POOL), max_size=3, unique=True))),
                pushed_at=AT - timedelta(days=draw(st.integers(0, 60))),  # ties are likely
                last_pulled_at=None if pulled is None else AT - timedelta(days=pulled),
                storage_class=storage,
                archived_at=AT - timedelta(days=draw(st.integers(0, 200))),
                last_activated_at=None if activated is None else AT - timedelta(days=activated),
            )
        )
    if n >= 3 and draw(st.booleans()):  # a manifest list and a referrer
        out[0].child_digests = (out[1].digest, out[2].digest)
        out[-1].subject_digest = draw(st.sampled_from([i.digest for i in out[:-1]]))
    return out


SELECTIONS = [
    {"tagStatus": "tagged", "tagPrefixList": ["v"]},
    {"tagStatus": "tagged", "tagPrefixList": ["v1"]},
    {"tagStatus": "tagged", "tagPrefixList": ["prod", "beta"]},
    {"tagStatus": "tagged", "tagPatternList": ["latest"]},
    {"tagStatus": "tagged", "tagPatternList": ["*-*"]},
    {"tagStatus": "tagged", "tagPatternList": ["v*", "*.2"]},
    # Wildcard-only: "any tagged image", never an untagged one.
    {"tagStatus": "tagged", "tagPatternList": ["*"]},
    {"tagStatus": "tagged", "tagPatternList": ["**"]},
    {"tagStatus": "tagged", "tagPatternList": ["*", "v*"]},
]


@st.composite
def policy_strategy(draw) -> Policy:
    def counting() -> dict:
        kind = draw(st.sampled_from(["imageCountMoreThan", "sinceImagePushed", "sinceImagePulled"]))
        if kind == "imageCountMoreThan":
            return {"countType": kind, "countNumber": draw(st.integers(1, 4))}, {"type": "expire"}
        action = (
            TRANSITION
            if kind == "sinceImagePulled"
            else draw(st.sampled_from([{"type": "expire"}, TRANSITION]))
        )
        return {"countType": kind, "countUnit": "days", "countNumber": draw(st.integers(1, 40))}, (
            action
        )

    chosen = draw(st.lists(st.sampled_from(SELECTIONS), max_size=4, unique_by=json.dumps))
    if draw(st.booleans()):
        chosen.append({"tagStatus": "untagged"})
    chosen = draw(st.permutations(chosen))
    if draw(st.booleans()):
        chosen.append({"tagStatus": "any"})  # must stay last
    rules = []
    for priority, sel in enumerate(chosen, start=1):
        count, action = counting()
        rules.append(rule(priority * 10, action, **sel, **count))
    if draw(st.booleans()):
        rules.append(
            older(
                99,
                "sinceImageTransitioned",
                draw(st.integers(90, 150)),
                storageClass="archive",
                tagStatus="any",
            )
        )
    if not rules:
        rules.append(keep(1, 1, tagStatus="any"))
    text = json.dumps({"rules": rules}, indent=2)
    assert validate_policy_text(text) == [], validate_policy_text(text)
    return parse_policy(text)


@settings(max_examples=300, deadline=None)
@given(p=policy_strategy(), images=images_strategy())
def test_matches_reference_implementation(p: Policy, images: list[LifecycleImage]) -> None:
    assert acted(p, images) == reference(p, images, AT)


def _first_matching_rule(p: Policy, image: LifecycleImage) -> Rule | None:
    return next(
        (
            r
            for r in p.rules
            if r.storage_class == image.storage_class and r.matches_tags(image.tags)
        ),
        None,
    )


@settings(max_examples=200, deadline=None)
@given(p=policy_strategy(), images=images_strategy())
def test_invariants(p: Policy, images: list[LifecycleImage]) -> None:
    outcomes: list[Outcome] = evaluate(p, images, AT)
    protected = {c for i in images if i.storage_class != "archive" for c in i.child_digests}
    by_digest = {i.digest: i for i in images}
    for image, o in zip(images, outcomes, strict=True):
        if o.action is None:
            continue
        if o.via_subject is None:
            # Acted on by exactly one rule: the first (in priority order) whose selection matches.
            first = _first_matching_rule(p, image)
            assert first is not None and first.priority == o.rule_priority
            assert o.action == first.action
            assert image.digest not in protected  # protected images are never acted on
            assert image.storage_class != "activating"
        else:
            subject_action = outcomes[images.index(by_digest[o.via_subject])].action
            assert subject_action == o.action in ("expire", "transition")
    for r in p.rules:
        if r.count_type != "imageCountMoreThan":
            continue
        selected = [
            i for i in images if i.storage_class == r.storage_class and r.matches_tags(i.tags)
        ]
        ranked = sorted(selected, key=lambda i: (-i.effective_pushed_at.timestamp(), i.digest))
        newest = {i.digest for i in ranked[: r.count_number]}
        for image, o in zip(images, outcomes, strict=True):
            if image.digest in newest and o.via_subject is None:
                assert o.rule_priority != r.priority  # a count rule never removes its newest N


# --- Issue 12 item 1: the AWS sentences the simulator got wrong ---------------------------------


def test_wildcard_only_tagged_rule_selects_only_tagged_images() -> None:
    # [L1] tagStatus: "If you specify tagged, then you must also specify a tagPrefixList value or
    # a tagPatternList value": a tagged rule selects images with at least one tag; ["*"] is
    # "any tagged image". Keep the newest tagged image: the newer untagged one must not take
    # its slot, nor be expired by this rule.
    images = [img("untagged-new", (), days=3), img("only-tagged", ("v1",), days=5)]
    p = policy(keep(1, 1, tagStatus="tagged", tagPatternList=["*"]))
    assert acted(p, images) == {}
    two = [*images, img("older-tagged", ("v0",), days=9)]
    assert acted(p, two) == {"older-tagged": ("expire", 1)}
    p2 = policy(keep(1, 1, tagStatus="tagged", tagPatternList=["**", "v*"]))
    assert acted(p2, two) == {"older-tagged": ("expire", 1)}
    # With an untagged rule after it, the untagged image is that rule's, not the wildcard's.
    p3 = policy(
        keep(1, 1, tagStatus="tagged", tagPatternList=["*"]),
        older(2, "sinceImagePushed", 2, tagStatus="untagged"),
    )
    assert acted(p3, two) == {"older-tagged": ("expire", 1), "untagged-new": ("expire", 2)}


def test_archiving_a_subject_archives_its_referrers() -> None:
    # [L2] "Amazon ECR lifecycle policies automatically expire or archive those artifacts within
    # 24 hours of the deletion or archival of the subject image."
    images = [
        img("app", ("v1",), days=40),
        img("sig", ("sha256-app.sig",), days=40, subject_digest="app"),
        img("sbom-of-sig", days=40, subject_digest="sig"),
        img("old-sig", days=40, subject_digest="app", storage_class="archive"),
        img("other", ("v2",), days=1),
    ]
    p = policy(
        older(1, "sinceImagePushed", 30, TRANSITION, tagStatus="tagged", tagPrefixList=["v"])
    )
    got = {o.digest: (o.action, o.rule_priority, o.via_subject) for o in evaluate(p, images, AT)}
    assert got == {
        "app": ("transition", 1, None),
        "sig": ("transition", 1, "app"),
        "sbom-of-sig": ("transition", 1, "sig"),
        "old-sig": (None, None, None),  # already archived: nothing to move
        "other": (None, None, None),
    }


def test_a_referrer_expired_by_its_own_rule_stays_expired_when_its_subject_is_archived() -> None:
    images = [
        img("app", ("v1",), days=40),
        img("sig", days=40, subject_digest="app"),
    ]
    p = policy(
        older(1, "sinceImagePushed", 30, TRANSITION, tagStatus="tagged", tagPrefixList=["v"]),
        older(2, "sinceImagePushed", 30, tagStatus="untagged"),
    )
    assert acted(p, images) == {"app": ("transition", 1), "sig": ("expire", 2)}


def test_an_archived_manifest_list_no_longer_protects_its_children() -> None:
    # [L2] images referenced by a manifest list "cannot be expired or archived without the
    # manifest list being deleted or archived first".
    children = [img("amd64", days=50), img("arm64", days=50)]
    p = policy(older(1, "sinceImagePushed", 30, tagStatus="untagged"))
    standing = [img("index", ("v1",), days=50, child_digests=("amd64", "arm64")), *children]
    assert acted(p, standing) == {}
    archived = [
        img(
            "index",
            ("v1",),
            days=50,
            child_digests=("amd64", "arm64"),
            storage_class="archive",
            archived_at=AT - timedelta(days=10),
        ),
        *children,
    ]
    assert acted(p, archived) == {"amd64": ("expire", 1), "arm64": ("expire", 1)}
