"""Every rule of docs/lifecycle-semantics.md against the AWS sentence it rests on: each case
quotes its source sentence, checks the behaviour, and the doc must quote the same sentence (its
"Sentences each rule rests on" table names this file's case)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ecrcost.lifecycle.model import LifecycleImage
from ecrcost.lifecycle.policy import parse_policy, validate_policy_text
from ecrcost.lifecycle.simulate import evaluate

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DOC = Path(__file__).resolve().parents[1] / "docs" / "lifecycle-semantics.md"
ARCHIVE = {"type": "transition", "targetStorageClass": "archive"}


def text(*rules: dict) -> str:
    return json.dumps({"rules": list(rules)}, indent=2)


def r(priority: int, action: dict | None = None, **selection) -> dict:
    selection.setdefault("tagStatus", "any")
    if "countType" not in selection:
        selection.setdefault("countNumber", 1)
        selection["countType"] = "imageCountMoreThan"
    elif selection["countType"] != "imageCountMoreThan":
        selection.setdefault("countUnit", "days")
    return {
        "rulePriority": priority,
        "selection": selection,
        "action": action or {"type": "expire"},
    }


def im(digest: str, tags: tuple[str, ...] = (), days: float = 1, **kw) -> LifecycleImage:
    return LifecycleImage(digest=digest, tags=tags, pushed_at=AT - timedelta(days=days), **kw)


def acted(policy_text: str, images: list[LifecycleImage]) -> dict[str, tuple]:
    outcomes = evaluate(parse_policy(policy_text), images, AT)
    return {o.digest: (o.action, o.rule_priority) for o in outcomes if o.action}


def problems(*rules: dict) -> list[str]:
    return validate_policy_text(text(*rules))


def tagged(priority: int, patterns: list[str], action: dict | None = None, **kw) -> dict:
    return r(priority, action, tagStatus="tagged", tagPatternList=patterns, **kw)


# --- one check per rule ---------------------------------------------------------------------


def check_unique_priority() -> None:
    assert problems(tagged(1, ["a"]), tagged(1, ["b"])) == ["rule 1: rulePriority 1 is used twice"]
    assert problems(tagged(1, ["a"]), tagged(7, ["b"])) == []  # "need not be sequential"


def check_priority_integer() -> None:
    assert problems(r(2**31 - 1)) == []
    assert problems(r(2**31)) == [
        "rule 2147483648: rulePriority 2147483648 is above the API's 2147483647"
    ]


def check_any_is_last() -> None:
    assert problems(r(1), tagged(2, ["a"])) == [
        "rule 1: a tagStatus any rule must have the highest rulePriority of the standard rules "
        "(rule 2 is higher)"
    ]


def check_four_wildcards() -> None:
    assert problems(tagged(1, ["*test*1*2*3", "test*1*2*3*"])) == []
    assert problems(tagged(1, ["test*1*2*3*4*5*6"])) == [
        "rule 1: selection.tagPatternList entry 'test*1*2*3*4*5*6' has 6 wildcards; at most 4"
    ]


def check_all_listed_tags() -> None:
    images = [im("both", ("prod", "beta"), days=9), im("prod-only", ("prod",), days=8)]
    policy = text(tagged(1, ["prod", "beta"], countType="sinceImagePushed", countNumber=1))
    assert acted(policy, images) == {"both": ("expire", 1)}


def check_tagged_needs_a_tag() -> None:
    images = [im("untagged", (), days=9), im("tagged", ("x",), days=9)]
    policy = text(tagged(1, ["*"], countType="sinceImagePushed", countNumber=1))
    assert acted(policy, images) == {"tagged": ("expire", 1)}


def check_any_selects_all() -> None:
    images = [im("untagged", (), days=9), im("tagged", ("x",), days=8), im("new", ("y",))]
    assert acted(text(r(1)), images) == {"untagged": ("expire", 1), "tagged": ("expire", 1)}


def check_lower_priority_cannot_act() -> None:
    # A[beta-1, prod-1] 10 days, B[beta-2, prod-2] 9 days, C[beta-3] 8 days [L2].
    images = [
        im("A", ("beta-1", "prod-1"), 10),
        im("B", ("beta-2", "prod-2"), 9),
        im("C", ("beta-3",), 8),
    ]
    p = text(
        r(1, tagStatus="tagged", tagPrefixList=["prod"]),
        r(2, tagStatus="tagged", tagPrefixList=["beta"]),
    )
    assert acted(p, images) == {"A": ("expire", 1)}


def check_one_or_zero_rules() -> None:
    images = [im(f"i{k}", ("v",), days=k) for k in range(1, 6)]
    p = text(tagged(1, ["v"], countType="sinceImagePushed", countNumber=2), r(2))
    got = acted(p, images)
    assert got == {"i3": ("expire", 1), "i4": ("expire", 1), "i5": ("expire", 1)}


def check_count_types() -> None:
    images = [im("new", days=1), im("mid", days=5), im("old", days=10)]
    assert acted(text(r(1, countNumber=2)), images) == {"old": ("expire", 1)}
    assert acted(text(r(1, countType="sinceImagePushed", countNumber=4)), images) == {
        "mid": ("expire", 1),
        "old": ("expire", 1),
    }


def check_pulled_only_transitions() -> None:
    assert problems(r(1, countType="sinceImagePulled", countNumber=30)) == [
        "rule 1: sinceImagePulled can only transition, not expire (action.type)"
    ]
    images = [
        im("stale", days=40, last_pulled_at=AT - timedelta(days=35)),
        im("pulled", days=40, last_pulled_at=AT),
    ]
    assert acted(text(r(1, ARCHIVE, countType="sinceImagePulled", countNumber=30)), images) == {
        "stale": ("transition", 1)
    }


def check_archive_minimum() -> None:
    since = {"countType": "sinceImageTransitioned", "storageClass": "archive"}
    assert problems(r(1, **since, countNumber=90)) == []
    assert problems(r(1, **since, countNumber=89)) == [
        "rule 1: selection.countNumber 89 is below the 90-day archive minimum for "
        "sinceImageTransitioned"
    ]


def check_manifest_list() -> None:
    index = {"child_digests": ("amd64",)}
    children = [im("amd64", days=50)]
    p = text(r(1, tagStatus="untagged", countType="sinceImagePushed", countNumber=30))
    assert acted(p, [im("index", ("v1",), 50, **index), *children]) == {}
    archived = im("index", ("v1",), 50, storage_class="archive", archived_at=AT, **index)
    assert acted(p, [archived, *children]) == {"amd64": ("expire", 1)}


def check_referrers_follow() -> None:
    images = [im("app", ("v1",), 40), im("sig", (), 40, subject_digest="app"), im("keep", ("v2",))]
    p = text(tagged(1, ["v*"], ARCHIVE, countType="sinceImagePushed", countNumber=30))
    assert acted(p, images) == {"app": ("transition", 1), "sig": ("transition", 1)}
    p = text(tagged(1, ["v*"], countType="sinceImagePushed", countNumber=30))
    assert acted(p, images) == {"app": ("expire", 1), "sig": ("expire", 1)}


def check_restored_counts_from_activation() -> None:
    restored = im("restored", days=100, last_activated_at=AT - timedelta(days=2))
    p = text(r(1, countType="sinceImagePushed", countNumber=30))
    assert acted(p, [restored, im("old", days=100)]) == {"old": ("expire", 1)}


def check_text_length() -> None:
    assert (
        validate_policy_text('{"rules":[]}')[0]
        == "policy text is 12 characters; AWS accepts 100 to 30720"
    )


# (case, source, the sentence quoted, check)
CASES: list[tuple[str, str, str, Callable[[], None]]] = [
    ("unique-priority", "L1", "you must give them each a unique value for rulePriority", check_unique_priority),
    ("priority-integer", "A3", "integer: a 32-bit signed integer ranging from -2^31 to (2^31)-1", check_priority_integer),
    ("any-last", "L1", "A rule with a tagStatus value of any must have the highest value for rulePriority and be evaluated last.", check_any_is_last),
    ("four-wildcards", "L1", "There is a maximum limit of four wildcards (*) per string.", check_four_wildcards),
    ("all-listed-tags", "L1", "If you specify multiple tags, only the images with all specified tags are selected.", check_all_listed_tags),
    ("tagged-needs-a-tag", "L1", "If you specify tagged, then you must also specify a tagPrefixList value or a tagPatternList value", check_tagged_needs_a_tag),
    ("any-selects-all", "L1", "If you specify any, then all images have the rule evaluated against them.", check_any_selects_all),
    ("lower-priority", "L2", "An image that matches the tagging requirements of a rule cannot be expired by a rule with a lower priority.", check_lower_priority_cannot_act),
    ("one-or-zero", "L2", "An image is expired by exactly one or zero rules.", check_one_or_zero_rules),
    ("count-types", "L1", "sets a limit on the number of images that exist in your repository", check_count_types),
    ("pull-time", "A2", "Amazon ECR refreshes the last image pull timestamp at least once every 24 hours", check_pulled_only_transitions),
    ("archive-minimum", "L5", "You cannot configure lifecycle policies that delete images that have been in archive for less than 90 days", check_archive_minimum),
    ("manifest-list", "L2", "cannot be expired or archived without the manifest list being deleted or archived first", check_manifest_list),
    ("referrers", "L2", "Amazon ECR lifecycle policies automatically expire or archive those artifacts within 24 hours of the deletion or archival of the subject image", check_referrers_follow),
    ("restored-image", "A2", "when the image was last restored from Amazon ECR archive to Amazon ECR standard", check_restored_counts_from_activation),
    ("text-length", "A1", "Minimum length of 100. Maximum length of 30720.", check_text_length),
]  # fmt: skip


@pytest.mark.parametrize(("case", "source", "sentence", "check"), CASES, ids=[c[0] for c in CASES])
def test_rule_follows_its_quoted_sentence(case: str, source: str, sentence: str, check) -> None:
    check()
    doc = " ".join(DOC.read_text().split())
    assert f"| {case} | [{source}] | {sentence} |" in doc, f"{case}: the doc does not quote it"


def test_every_row_of_the_doc_table_is_a_case() -> None:
    doc = DOC.read_text()
    table = doc[doc.index("## Sentences each rule rests on") :]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert [row.split(" | ")[0].removeprefix("| ") for row in rows[1:]] == [c[0] for c in CASES]
