"""Tag key folding: every billing format's spelling of one cost-allocation tag -> one key.

The bill names the same repository tag `Team` differently per format: legacy Parquet
`user_team` (AWS's column rule: `_` before capitals, lower case, so `CostCenter` becomes
`cost_center`), legacy CSV `user:Team`, CUR 2.0 map key `user_team`, FOCUS bare `team`; and
aws-generated keys arrive as `aws_created_by` or `aws:createdBy`. Because Parquet turns case
into underscores, folding case alone cannot match `user:CostCenter` with `user_cost_center`:
the case-insensitive rule also ignores separators (`_`, `-`, `:`, `.`, spaces).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Formats whose user tags carry AWS's `user_` / `aws_` prefix as part of a column or map key;
# "config" (keys the user typed) too, so `--by tag:user_team` works like `--by tag:team`.
_UNDERSCORE_PREFIXED = {"cur-legacy-parquet", "cur2", "cur-legacy-csv", "config"}
_SEPARATORS = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class FoldedKey:
    source: str  # billing format, or "inventory" for repository tags
    raw_key: str
    canonical_key: str
    rule: str  # none | prefix | case | alias


class KeyFolder:
    """Maps raw keys to canonical keys by one configurable rule (see module doc)."""

    def __init__(
        self,
        case_sensitive: bool = False,
        aliases: Mapping[str, str] | None = None,
        report_keys: Iterable[str] = (),
    ) -> None:
        self.case_sensitive = case_sensitive
        self._aliases: dict[str, str] = {}
        self._display: dict[str, str] = {}
        # Configured names are displayed as the user wrote them.
        for name in [*report_keys, *(aliases or {}).values()]:
            stripped = _strip_prefix(name, "config")
            self._display.setdefault(self._identity(stripped), stripped)
        for raw, target in (aliases or {}).items():
            canonical = self._display[self._identity(_strip_prefix(target, "config"))]
            self._aliases[self._identity(raw)] = canonical
            self._aliases[self._identity(_strip_prefix(raw, "config"))] = canonical

    def _identity(self, key: str) -> str:
        if self.case_sensitive:
            return key
        if key.startswith("aws:"):
            return "aws:" + _SEPARATORS.sub("", key[4:].lower())
        return _SEPARATORS.sub("", key.lower())

    def fold(self, raw_key: str, source: str, names: Mapping[str, str] | None = None) -> FoldedKey:
        """Fold one key; `names` (identity -> display) come from `fold_all` for the keys that
        no setting names."""
        stripped = _strip_prefix(raw_key, source)
        ident = self._identity(stripped)
        alias = self._aliases.get(self._identity(raw_key)) or self._aliases.get(ident)
        if alias is not None:
            return FoldedKey(source, raw_key, alias, "alias")
        canonical = self._display.get(ident) or (names or {}).get(ident) or self._name(stripped)
        if canonical == raw_key:
            rule = "none"
        elif canonical == stripped:
            rule = "prefix"
        else:
            rule = "case"
        return FoldedKey(source, raw_key, canonical, rule)

    def fold_all(self, pairs: Iterable[tuple[str, str]]) -> list[FoldedKey]:
        """Fold (source, raw key) pairs so that keys of one identity share one display name:
        the configured one, else the snake_case form that keeps the most word breaks
        (`cost_center` over `costcenter`), ties broken by sort order."""
        candidates: dict[str, set[str]] = {}
        for source, raw in set(pairs):
            stripped = _strip_prefix(raw, source)
            candidates.setdefault(self._identity(stripped), set()).add(self._name(stripped))
        names = {i: min(c, key=lambda n: (-n.count("_"), n)) for i, c in candidates.items()}
        return [self.fold(raw, source, names) for source, raw in sorted(set(pairs))]

    def canonical(self, key: str) -> str:
        """The canonical key a user-typed key (`--by tag:Team`) refers to."""
        return self.fold(key, "config").canonical_key

    def same_key(self, canonical: str, typed: str) -> bool:
        """Whether a key the user typed folds to `canonical` (`cost-center` -> `cost_center`)."""
        return self._identity(canonical) == self._identity(self.canonical(typed))

    def _name(self, stripped: str) -> str:
        if self.case_sensitive:
            return stripped
        if stripped.startswith("aws:"):
            return "aws:" + _snake(stripped[4:])
        return _snake(stripped)


def _snake(key: str) -> str:
    """`CostCenter` / `cost-center` / `COST_CENTER` -> `cost_center` (display only)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key)
    return _SEPARATORS.sub("_", spaced.lower()).strip("_") or key


def _strip_prefix(key: str, source: str) -> str:
    """`user:Team` -> `Team`; `user_team` -> `team` (prefixed formats); `aws_created_by` ->
    `aws:created_by`. FOCUS keys are bare, so a FOCUS key `user_id` stays as it is."""
    if key.startswith("user:"):
        return key[5:]
    if source in _UNDERSCORE_PREFIXED:
        if key.startswith("user_"):
            return key[5:]
        if key.startswith("aws_"):
            return "aws:" + key[4:]
    return key


def folder_from_settings(settings) -> KeyFolder:
    return KeyFolder(settings.tag_case_sensitive, settings.tag_aliases, settings.tag_keys)
