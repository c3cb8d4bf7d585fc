"""Lifecycle policy model and validator: the rules PutLifecyclePolicy enforces, checked locally.

`validate_policy_text` returns every problem (one line each, naming the rule priority and field);
`parse_policy` raises `PolicyError` with the first one; `load_policy_file` reads and parses a
policy file (the playbook base policy by default) for every command. The rules are those of
docs/lifecycle-semantics.md ("What PutLifecyclePolicy rejects"), including the November 2025
archive grammar. Where AWS does not say, we choose the stricter reading and say so here:
- an empty `rules` list is rejected (AWS requires at least one rule to have a policy at all);
- `targetStorageClass` is only accepted with a `transition` action;
- prefix/pattern strings must be non-empty, and a list must not repeat a string.
Tag matching is case-sensitive, as ECR image tags are.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ecrcost.errors import UserError
from ecrcost.resources import base_policy_path

MIN_TEXT_LENGTH = 100
MAX_TEXT_LENGTH = 30_720
MAX_RULES = 50
MAX_WILDCARDS = 4
# AWS: "You cannot configure lifecycle policies that delete images that have been in archive for
# less than 90 days" (the same figure as prices.ARCHIVE_MINIMUM_DAYS, which is about billing).
MIN_DAYS_IN_ARCHIVE = 90
# rulePriority and countNumber are of type Integer [L1]; botocore's ECR model gives
# LifecyclePolicyRulePriority as {"type": "integer", "min": 1}, and an API integer is a signed
# 32-bit value: the largest either may be is 2**31 - 1 (docs/lifecycle-semantics.md).
MAX_API_INTEGER = 2**31 - 1

TAG_STATUSES = ("tagged", "untagged", "any")
STORAGE_CLASSES = ("standard", "archive")
COUNT_TYPES = (
    "imageCountMoreThan",
    "sinceImagePushed",
    "sinceImagePulled",
    "sinceImageTransitioned",
)
ACTIONS = ("expire", "transition")

_UNMAPPABLE = "Could not map policyString into LifecyclePolicy"
_RULE_KEYS = {"rulePriority", "description", "selection", "action"}
_SELECTION_KEYS = {
    "tagStatus",
    "tagPatternList",
    "tagPrefixList",
    "storageClass",
    "countType",
    "countUnit",
    "countNumber",
}
_ACTION_KEYS = {"type", "targetStorageClass"}


class PolicyError(UserError):
    """An invalid lifecycle policy (exit 2); the message names the rule priority and field."""


@dataclass(frozen=True)
class Rule:
    priority: int
    tag_status: str
    count_type: str
    count_number: int
    action: str = "expire"
    tag_prefixes: tuple[str, ...] = ()
    tag_patterns: tuple[str, ...] = ()
    storage_class: str = "standard"
    count_unit: str | None = None
    target_storage_class: str | None = None
    description: str | None = None

    def matches_tags(self, tags: tuple[str, ...] | list[str]) -> bool:
        """Selection by tags (case-sensitive): every prefix/pattern matches some tag."""
        if self.tag_status == "any":
            return True
        if self.tag_status == "untagged":
            return not tags
        if self.tag_prefixes:
            return all(any(t.startswith(p) for t in tags) for p in self.tag_prefixes)
        return all(any(rx.fullmatch(t) for t in tags) for rx in self._pattern_regexes)

    @cached_property
    def _pattern_regexes(self) -> tuple[re.Pattern[str], ...]:
        return tuple(pattern_regex(p) for p in self.tag_patterns)

    def to_json(self) -> dict[str, Any]:
        selection: dict[str, Any] = {"tagStatus": self.tag_status}
        if self.tag_patterns:
            selection["tagPatternList"] = list(self.tag_patterns)
        if self.tag_prefixes:
            selection["tagPrefixList"] = list(self.tag_prefixes)
        if self.storage_class != "standard":
            selection["storageClass"] = self.storage_class
        selection["countType"] = self.count_type
        if self.count_unit:
            selection["countUnit"] = self.count_unit
        selection["countNumber"] = self.count_number
        action: dict[str, Any] = {"type": self.action}
        if self.target_storage_class:
            action["targetStorageClass"] = self.target_storage_class
        out: dict[str, Any] = {"rulePriority": self.priority}
        if self.description is not None:
            out["description"] = self.description
        out.update(selection=selection, action=action)
        return out


@dataclass(frozen=True)
class Policy:
    rules: tuple[Rule, ...]  # sorted by priority, lowest number (evaluated first) first
    text: str

    def pretty(self) -> str:
        return pretty_policy_text(self.text)


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """`*` matches any run of characters (also none); everything else literally."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def pretty_policy_text(text: str) -> str:
    """Policy JSON for readable diffs: rules by priority with their keys in the documented order
    (a valid policy), else sorted keys; two-space indents. Raises ValueError if not JSON."""
    doc = json.loads(text)
    problems, rules = _check(text)
    if problems:
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"
    canonical = {"rules": [r.to_json() for r in sorted(rules, key=lambda r: r.priority)]}
    return json.dumps(canonical, indent=2) + "\n"


def parse_policy(text: str) -> Policy:
    """The policy in `text`, or PolicyError naming the first problem (and how many others)."""
    problems, rules = _check(text)
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise PolicyError(problems[0] + more)
    return Policy(rules=tuple(sorted(rules, key=lambda r: r.priority)), text=text)


def read_policy_file(path: Path | str | None = None) -> tuple[Path, str]:
    """The text of the policy file `path` (default: the playbook base policy)."""
    path = Path(path) if path else base_policy_path()
    try:
        return path, path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the policy file ({exc})") from None


def load_policy_file(path: Path | str | None = None) -> tuple[Path, str, Policy]:
    """`read_policy_file`, parsed: a policy PutLifecyclePolicy would reject is refused before
    anything runs (moto's and older validators accept invalid policies: this one is the gate),
    in one line naming the file."""
    path, text = read_policy_file(path)
    try:
        return path, text, parse_policy(text)
    except PolicyError as exc:
        raise PolicyError(f"{path}: {exc} (invalid lifecycle policy)") from None


def validate_policy_text(text: str) -> list[str]:
    """Every problem PutLifecyclePolicy would reject `text` for; empty when valid."""
    return _check(text)[0]


def _check(text: str) -> tuple[list[str], list[Rule]]:
    problems: list[str] = []
    if not isinstance(text, str):
        return [f"{_UNMAPPABLE}: the policy must be JSON text"], []
    if len(text) < MIN_TEXT_LENGTH or len(text) > MAX_TEXT_LENGTH:
        problems.append(
            f"policy text is {len(text)} characters; AWS accepts "
            f"{MIN_TEXT_LENGTH} to {MAX_TEXT_LENGTH}"
        )
    try:
        doc = json.loads(text)
    except ValueError as exc:
        return [*problems, f"policy is not valid JSON: {exc}"], []
    if not isinstance(doc, dict) or set(doc) != {"rules"} or not isinstance(doc["rules"], list):
        return [*problems, f'{_UNMAPPABLE}: the top level must be exactly {{"rules": [...]}}'], []
    raw_rules = doc["rules"]
    if not raw_rules:
        problems.append("rules: a policy needs at least one rule")
    if len(raw_rules) > MAX_RULES:
        problems.append(f"rules: {len(raw_rules)} rules; AWS accepts at most {MAX_RULES}")
    rules: list[Rule] = []
    for index, raw in enumerate(raw_rules):
        rule, rule_problems = _rule(raw, index)
        problems.extend(rule_problems)
        if rule is not None:
            rules.append(rule)
    if len(rules) == len(raw_rules):
        problems.extend(_cross_rule_problems(rules))
    return problems, rules


def _rule(raw: Any, index: int) -> tuple[Rule | None, list[str]]:
    """One rule's own problems (the rule is None when it cannot be built)."""
    where = f"rule #{index + 1}"
    if not isinstance(raw, dict):
        return None, [f"{_UNMAPPABLE}: {where} is not an object"]
    priority = raw.get("rulePriority")
    if _is_int(priority):
        where = f"rule {priority}"
    out: list[str] = []
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        out.append(f"{_UNMAPPABLE}: {where} has unknown field(s) {', '.join(sorted(unknown))}")
    if not _is_int(priority) or priority < 1:
        out.append(f"{where}: rulePriority must be an integer of at least 1 (got {priority!r})")
    elif priority > MAX_API_INTEGER:
        out.append(f"{where}: rulePriority {priority} is above the API's {MAX_API_INTEGER}")
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        out.append(f"{where}: description must be a string")
    selection, action = raw.get("selection"), raw.get("action")
    if not isinstance(selection, dict):
        return None, [*out, f"{where}: selection is missing or not an object"]
    if not isinstance(action, dict):
        return None, [*out, f"{where}: action is missing or not an object"]
    for name, obj, keys in (
        ("selection", selection, _SELECTION_KEYS),
        ("action", action, _ACTION_KEYS),
    ):
        bad = set(obj) - keys
        if bad:
            out.append(
                f"{_UNMAPPABLE}: {where} {name} has unknown field(s) {', '.join(sorted(bad))}"
            )

    tag_status = selection.get("tagStatus")
    storage_class = selection.get("storageClass", "standard")
    count_type = selection.get("countType")
    count_unit = selection.get("countUnit")
    count_number = selection.get("countNumber")
    action_type = action.get("type")
    target = action.get("targetStorageClass")
    for field_name, value, allowed in (
        ("selection.tagStatus", tag_status, TAG_STATUSES),
        ("selection.storageClass", storage_class, STORAGE_CLASSES),
        ("selection.countType", count_type, COUNT_TYPES),
        ("action.type", action_type, ACTIONS),
    ):
        if value not in allowed:
            out.append(f"{where}: {field_name} must be one of {', '.join(allowed)} (got {value!r})")
    prefixes, prefix_problems = _string_list(selection, "tagPrefixList", where)
    patterns, pattern_problems = _string_list(selection, "tagPatternList", where)
    out += prefix_problems + pattern_problems

    # Tag lists.
    has_lists = "tagPrefixList" in selection or "tagPatternList" in selection
    if tag_status == "tagged" and not (prefixes or patterns):
        out.append(f"{where}: tagStatus tagged needs selection.tagPrefixList or tagPatternList")
    if "tagPrefixList" in selection and "tagPatternList" in selection:
        out.append(f"{where}: use selection.tagPrefixList or tagPatternList, not both")
    if tag_status in ("untagged", "any") and has_lists:
        out.append(f"{where}: tagStatus {tag_status} takes no tagPrefixList/tagPatternList")
    for pattern in patterns:
        if pattern.count("*") > MAX_WILDCARDS:
            out.append(
                f"{where}: selection.tagPatternList entry {pattern!r} has "
                f"{pattern.count('*')} wildcards; at most {MAX_WILDCARDS}"
            )

    # Counting.
    if not _is_int(count_number) or count_number <= 0:
        out.append(
            f"{where}: selection.countNumber must be a positive integer (got {count_number!r})"
        )
    elif count_number > MAX_API_INTEGER:
        out.append(
            f"{where}: selection.countNumber {count_number} is above the API's {MAX_API_INTEGER}"
        )
    if count_type == "imageCountMoreThan" and "countUnit" in selection:
        out.append(f"{where}: selection.countUnit is not allowed with imageCountMoreThan")
    if count_type in COUNT_TYPES[1:] and count_unit != "days":
        out.append(f'{where}: selection.countUnit must be "days" with {count_type}')
    if count_type == "sinceImagePulled" and action_type == "expire":
        out.append(f"{where}: sinceImagePulled can only transition, not expire (action.type)")
    if count_type == "sinceImageTransitioned":
        if storage_class != "archive":
            out.append(f'{where}: sinceImageTransitioned needs selection.storageClass "archive"')
        if action_type != "expire":
            out.append(f"{where}: sinceImageTransitioned can only expire (action.type)")
        if _is_int(count_number) and 0 < count_number < MIN_DAYS_IN_ARCHIVE:
            out.append(
                f"{where}: selection.countNumber {count_number} is below the "
                f"{MIN_DAYS_IN_ARCHIVE}-day archive minimum for sinceImageTransitioned"
            )
    if storage_class == "archive" and count_type in COUNT_TYPES[:3]:
        out.append(f"{where}: storageClass archive only takes countType sinceImageTransitioned")

    # Action.
    if action_type == "transition" and target != "archive":
        out.append(f'{where}: transition needs action.targetStorageClass "archive"')
    if action_type == "expire" and "targetStorageClass" in action:
        out.append(f"{where}: action.targetStorageClass is only for transition")

    if out:
        return None, out
    return (
        Rule(
            priority=priority,
            tag_status=tag_status,
            count_type=count_type,
            count_number=count_number,
            action=action_type,
            tag_prefixes=tuple(prefixes),
            tag_patterns=tuple(patterns),
            storage_class=storage_class,
            count_unit=count_unit,
            target_storage_class=target,
            description=description,
        ),
        [],
    )


def _string_list(selection: dict, key: str, where: str) -> tuple[list[str], list[str]]:
    if key not in selection:
        return [], []
    value = selection[key]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        return [], [f"{where}: selection.{key} must be a non-empty list of non-empty strings"]
    if len(set(value)) != len(value):
        return [], [f"{where}: selection.{key} repeats a string"]
    return value, []


def _cross_rule_problems(rules: list[Rule]) -> list[str]:
    out: list[str] = []
    seen: set[int] = set()
    for rule in rules:
        if rule.priority in seen:
            out.append(f"rule {rule.priority}: rulePriority {rule.priority} is used twice")
        seen.add(rule.priority)
    for storage_class in STORAGE_CLASSES:
        group = sorted(
            (r for r in rules if r.storage_class == storage_class), key=lambda r: r.priority
        )
        if not group:
            continue
        last = group[-1].priority
        for rule in group:
            if rule.tag_status == "any" and rule.priority != last:
                out.append(
                    f"rule {rule.priority}: a tagStatus any rule must have the highest "
                    f"rulePriority of the {storage_class} rules (rule {last} is higher)"
                )
        untagged = [r.priority for r in group if r.tag_status == "untagged"]
        if len(untagged) > 1:
            out.append(
                f"rule {untagged[1]}: only one rule per storage class may select untagged images "
                f"(rule {untagged[0]} already does, {storage_class})"
            )
        sets: dict[tuple[str, frozenset[str]], int] = {}
        for rule in group:
            if rule.tag_status != "tagged":
                continue
            key = (
                ("prefix", frozenset(rule.tag_prefixes))
                if rule.tag_prefixes
                else (
                    "pattern",
                    frozenset(rule.tag_patterns),
                )
            )
            if key in sets:
                out.append(
                    f"rule {rule.priority}: its tag {key[0]} list repeats rule {sets[key]}'s "
                    f"({storage_class}); tag lists must be unique per storage class"
                )
            sets.setdefault(key, rule.priority)
    return out


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
