"""Validator: every rejection of docs/lifecycle-semantics.md both ways (rejected, and its valid neighbour)."""

from __future__ import annotations

import json

import pytest

from ecrcost.errors import UserError
from ecrcost.lifecycle.policy import (
    PolicyError,
    parse_policy,
    pretty_policy_text,
    validate_policy_text,
)
from ecrcost.resources import base_policy_path


def rule(priority: int = 1, action: dict | None = None, **selection) -> dict:
    sel = {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5}
    sel.update(selection)
    return {"rulePriority": priority, "selection": sel, "action": action or {"type": "expire"}}


def text(*rules: dict) -> str:
    return json.dumps({"rules": list(rules)}, indent=2)


def tagged(priority: int, prefixes: list[str] | None = None, **kw) -> dict:
    return rule(priority, tagStatus="tagged", tagPrefixList=prefixes or [f"p{priority}"], **kw)


def since(kind: str, days: int, **kw) -> dict:
    return {"countType": kind, "countUnit": "days", "countNumber": days, **kw}


ARCHIVE_EXPIRE = since("sinceImageTransitioned", 90, storageClass="archive")
TRANSITION = {"type": "transition", "targetStorageClass": "archive"}

# (invalid policy text, a valid neighbour, words the message must contain)
CASES = {
    "duplicate priority": (
        text(tagged(3), tagged(3, ["q"])),
        text(tagged(3), tagged(4, ["q"])),
        ["rule 3", "rulePriority"],
    ),
    "priority below 1": (text(rule(0)), text(rule(1)), ["rulePriority"]),
    "countNumber zero": (
        text(rule(7, countNumber=0)),
        text(rule(7, countNumber=1)),
        ["rule 7", "countNumber"],
    ),
    "countNumber negative": (text(rule(2, countNumber=-1)), text(rule(2)), ["countNumber"]),
    "countNumber float": (text(rule(2, countNumber=1.5)), text(rule(2)), ["countNumber"]),
    "countNumber string": (text(rule(2, countNumber="3")), text(rule(2)), ["countNumber"]),
    "countNumber bool": (text(rule(2, countNumber=True)), text(rule(2)), ["countNumber"]),
    "tagged without lists": (
        text(rule(1, tagStatus="tagged")),
        text(tagged(1)),
        ["rule 1", "tagPrefixList"],
    ),
    "both lists": (
        text(rule(1, tagStatus="tagged", tagPrefixList=["a"], tagPatternList=["b*"])),
        text(rule(1, tagStatus="tagged", tagPatternList=["b*"])),
        ["not both"],
    ),
    "prefix list with untagged": (
        text(rule(1, tagStatus="untagged", tagPrefixList=["a"])),
        text(rule(1, tagStatus="untagged")),
        ["untagged", "tagPrefixList"],
    ),
    "pattern list with any": (
        text(rule(1, tagPatternList=["a*"])),
        text(rule(1)),
        ["any", "tagPatternList"],
    ),
    "five wildcards": (
        text(rule(1, tagStatus="tagged", tagPatternList=["*a*b*c*d*"])),
        text(rule(1, tagStatus="tagged", tagPatternList=["*a*b*cd*"])),
        ["wildcards", "tagPatternList"],
    ),
    "countUnit with imageCountMoreThan": (
        text(rule(1, countUnit="days")),
        text(rule(1)),
        ["countUnit", "imageCountMoreThan"],
    ),
    "since without countUnit": (
        text(rule(1, countType="sinceImagePushed")),
        text(rule(1, **since("sinceImagePushed", 5))),
        ["countUnit", "sinceImagePushed"],
    ),
    "countUnit not days": (
        text(rule(1, **since("sinceImagePushed", 5, countUnit="hours"))),
        text(rule(1, **since("sinceImagePushed", 5))),
        ["countUnit"],
    ),
    "any rule not last": (
        text(rule(1), tagged(2)),
        text(tagged(1), rule(2)),
        ["rule 1", "any"],
    ),
    "two untagged rules": (
        text(
            rule(1, tagStatus="untagged"),
            rule(2, tagStatus="untagged", **since("sinceImagePushed", 9)),
        ),
        text(rule(1, tagStatus="untagged"), rule(2, **since("sinceImagePushed", 9))),
        ["rule 2", "untagged"],
    ),
    "repeated prefix set": (
        text(tagged(1, ["a", "b"]), tagged(2, ["b", "a"], countNumber=9)),
        text(tagged(1, ["a", "b"]), tagged(2, ["a"], countNumber=9)),
        ["rule 2", "unique"],
    ),
    "repeated pattern set": (
        text(
            rule(1, tagStatus="tagged", tagPatternList=["x*"]),
            rule(2, tagStatus="tagged", tagPatternList=["x*"]),
        ),
        text(
            rule(1, tagStatus="tagged", tagPatternList=["x*"]),
            rule(2, tagStatus="tagged", tagPrefixList=["x"]),
        ),
        ["rule 2", "pattern"],
    ),
    "sinceImagePulled expire": (
        text(rule(1, **since("sinceImagePulled", 30))),
        text(rule(1, TRANSITION, **since("sinceImagePulled", 30))),
        ["sinceImagePulled", "action.type"],
    ),
    "sinceImageTransitioned in standard": (
        text(rule(1, **since("sinceImageTransitioned", 90))),
        text(rule(1, **ARCHIVE_EXPIRE)),
        ["sinceImageTransitioned", "storageClass"],
    ),
    "sinceImageTransitioned transition": (
        text(rule(1, TRANSITION, **ARCHIVE_EXPIRE)),
        text(rule(1, **ARCHIVE_EXPIRE)),
        ["sinceImageTransitioned", "expire"],
    ),
    "sinceImageTransitioned under 90 days": (
        text(rule(1, **{**ARCHIVE_EXPIRE, "countNumber": 89})),
        text(rule(1, **ARCHIVE_EXPIRE)),
        ["rule 1", "countNumber", "90"],
    ),
    "transition without target": (
        text(rule(1, {"type": "transition"}, **since("sinceImagePushed", 30))),
        text(rule(1, TRANSITION, **since("sinceImagePushed", 30))),
        ["targetStorageClass"],
    ),
    "transition to standard": (
        text(
            rule(
                1,
                {"type": "transition", "targetStorageClass": "standard"},
                **since("sinceImagePushed", 30),
            )
        ),
        text(rule(1, TRANSITION, **since("sinceImagePushed", 30))),
        ["targetStorageClass"],
    ),
    "archive with imageCountMoreThan": (
        text(rule(1, storageClass="archive")),
        text(rule(1, **ARCHIVE_EXPIRE)),
        ["archive", "sinceImageTransitioned"],
    ),
    "unknown top-level key": (
        json.dumps({"rules": [rule(1)], "version": 1}, indent=2),
        text(rule(1)),
        ["Could not map policyString into LifecyclePolicy"],
    ),
    "unknown selection key": (
        text(rule(1, tagStatuss="any")),
        text(rule(1)),
        ["Could not map policyString into LifecyclePolicy", "tagStatuss"],
    ),
    "unknown action type": (
        text(rule(1, {"type": "delete"})),
        text(rule(1)),
        ["action.type"],
    ),
    "unknown countType": (
        text(rule(1, countType="imageCountLessThan")),
        text(rule(1)),
        ["countType"],
    ),
    "not JSON": ("{" + " " * 120, text(rule(1)), ["not valid JSON"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_rejected_and_valid_neighbour(name: str) -> None:
    bad, good, words = CASES[name]
    problems = validate_policy_text(bad)
    assert problems, f"{name}: accepted an invalid policy"
    joined = " | ".join(problems)
    for word in words:
        assert word in joined, (word, problems)
    assert all("\n" not in p for p in problems)
    assert validate_policy_text(good) == [], name
    with pytest.raises(PolicyError) as err:
        parse_policy(bad)
    assert isinstance(err.value, UserError) and err.value.exit_code == 2
    assert str(err.value).startswith(problems[0])


def test_text_length_bounds() -> None:
    minimal = json.dumps({"rules": [rule(1)]}, separators=(",", ":"))
    assert len(minimal) >= 100 and validate_policy_text(minimal) == []
    assert any("characters" in p for p in validate_policy_text('{"rules":[]}'))
    padded = minimal[:-1] + " " * (30_720 - len(minimal)) + "}"
    assert len(padded) == 30_720 and validate_policy_text(padded) == []
    too_long = minimal[:-1] + " " * (30_721 - len(minimal)) + "}"
    assert validate_policy_text(too_long) == [
        "policy text is 30721 characters; AWS accepts 100 to 30720"
    ]


def test_at_most_50_rules() -> None:
    fifty = [tagged(i) for i in range(1, 51)]
    assert validate_policy_text(text(*fifty)) == []
    problems = validate_policy_text(text(*fifty, tagged(51)))
    assert problems == ["rules: 51 rules; AWS accepts at most 50"]


def test_any_rule_is_last_per_storage_class_only() -> None:
    # The standard `any` rule may come before an archive rule: the order is per storage class.
    assert validate_policy_text(text(rule(1), rule(2, **ARCHIVE_EXPIRE))) == []
    # Untagged + any is AWS's own documented pairing; untagged in each storage class is fine.
    both = text(
        rule(1, tagStatus="untagged"),
        rule(2, tagStatus="untagged", **ARCHIVE_EXPIRE),
        rule(3),
    )
    assert validate_policy_text(both) == []
    # The same prefix set may appear once per storage class.
    per_class = text(tagged(1, ["a"]), tagged(2, ["a"], **ARCHIVE_EXPIRE))
    assert validate_policy_text(per_class) == []


def test_archive_grammar_accepted_and_modelled() -> None:
    doc = text(
        rule(
            1,
            TRANSITION,
            tagStatus="tagged",
            tagPatternList=["release-*"],
            **since("sinceImagePulled", 60),
        ),
        rule(2, **since("sinceImagePushed", 365)),
        rule(3, **{**ARCHIVE_EXPIRE, "countNumber": 180}),
    )
    policy = parse_policy(doc)
    assert [r.priority for r in policy.rules] == [1, 2, 3]
    first, _, last = policy.rules
    assert (first.action, first.target_storage_class, first.count_type) == (
        "transition",
        "archive",
        "sinceImagePulled",
    )
    assert (last.storage_class, last.count_number) == ("archive", 180)
    # The model writes the policy back to equivalent JSON.
    assert json.loads(doc)["rules"][0] == first.to_json()


def test_every_problem_is_reported() -> None:
    bad = text(rule(1, countNumber=0, countUnit="days"), rule(1, tagStatus="tagged"))
    problems = validate_policy_text(bad)
    assert len(problems) == 3
    assert "rule 1: selection.countNumber must be a positive integer (got 0)" in problems
    with pytest.raises(PolicyError, match=r"\(and 2 more problem\(s\)\)"):
        parse_policy(bad)


def test_rules_sorted_by_priority_need_not_be_sequential() -> None:
    policy = parse_policy(text(tagged(30), tagged(5, ["q"]), rule(100)))
    assert [r.priority for r in policy.rules] == [5, 30, 100]


def test_base_policy_is_valid_and_as_documented() -> None:
    policy = parse_policy(base_policy_path().read_text())
    summary = [
        (r.priority, r.tag_status, r.tag_patterns, r.tag_prefixes, r.count_number)
        for r in policy.rules
    ]
    assert summary == [
        (1, "untagged", (), (), 1),
        (2, "tagged", ("latest",), (), 1),
        (3, "tagged", (), ("v",), 9),
        (4, "any", (), (), 20),
    ]
    assert all(r.count_type == "imageCountMoreThan" and r.action == "expire" for r in policy.rules)


def test_pretty_text_is_canonical_so_equivalent_policies_do_not_diff() -> None:
    doc = json.loads(base_policy_path().read_text())
    shuffled = {"rules": [dict(reversed(list(r.items()))) for r in reversed(doc["rules"])]}
    assert pretty_policy_text(json.dumps(shuffled)) == pretty_policy_text(
        base_policy_path().read_text()
    )
    first = pretty_policy_text(json.dumps(shuffled)).splitlines()[:4]
    assert first == ["{", '  "rules": [', "    {", '      "rulePriority": 1,']
    # An invalid policy is still shown, with sorted keys.
    assert pretty_policy_text('{"rules": [], "b": 1}') == '{\n  "b": 1,\n  "rules": []\n}\n'


def test_rule_priority_and_count_number_within_the_api_integer() -> None:
    # [L1] "rulePriority Type: Integer"; botocore's ECR model: LifecyclePolicyRulePriority is
    # {"type": "integer", "min": 1}, a signed 32-bit integer, so at most 2**31 - 1 = 2147483647.
    # [L1] countNumber: "Acceptable values are positive integers" of the same Integer type.
    top = 2**31 - 1
    assert validate_policy_text(text(rule(top, countNumber=top))) == []
    assert validate_policy_text(text(rule(top + 1))) == [
        "rule 2147483648: rulePriority 2147483648 is above the API's 2147483647"
    ]
    assert validate_policy_text(text(rule(1, countNumber=top + 1))) == [
        "rule 1: selection.countNumber 2147483648 is above the API's 2147483647"
    ]
    with pytest.raises(PolicyError, match=r"^rule 1: selection.countNumber 10000000000000000000 "):
        parse_policy(text(rule(1, countNumber=10**19)))
