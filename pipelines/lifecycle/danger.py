"""Danger flags on a simulation: what a policy would remove that something may still need.

- recently_pulled: an image the policy expires or archives (archived images cannot be pulled)
  was pulled within the last N days (settings.recent_pull_days, default 30) before the instant.
- signature_broken: a referrer (signature, SBOM, attestation) would go while its subject stays.
- manifest_list_removed: a manifest list would go; its platform images stay (protected only while
  the list stays) as untagged orphans, and pulls of the list's tags or digest fail.
- exempt_repository (repository level, set by the plan): never planned, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import compress

from ecrcost.fmt import iso
from ecrcost.lifecycle.model import (
    Evaluation,
    ImageColumns,
    LifecycleImage,
    columns_of,
    instant,
    micros,
)


@dataclass(frozen=True)
class Danger:
    kind: str  # recently_pulled | signature_broken | manifest_list_removed | exempt_repository
    detail: str
    digest: str | None = None

    def to_json(self) -> dict:
        return {"kind": self.kind, "digest": self.digest, "detail": self.detail}


def danger_flags(
    images: Sequence[LifecycleImage],
    ev: Evaluation,
    at: datetime,
    recent_pull_days: int,
) -> list[Danger]:
    """Flags for one repository's simulation, in image order."""
    cols = columns_of(images)
    since = micros(at - timedelta(days=recent_pull_days))
    linked = set(cols.linked)  # referrers and manifest lists: the other two flags
    pulled = cols.pulled
    action_of: dict[str, str | None] | None = None
    out: list[Danger] = []
    for i in compress(range(len(ev.actions)), ev.actions):
        when = pulled[i]
        if (when is None or when < since) and i not in linked:  # type: ignore[operator]
            continue  # the common case: nothing to flag
        action, priority = ev.actions[i], ev.priorities[i]
        verb = "expires" if action == "expire" else "archives"
        if when is not None and when >= since:  # type: ignore[operator]
            out.append(
                Danger(
                    "recently_pulled",
                    f"rule {priority} {verb} {_name(cols, i)}, pulled {iso(instant(when))} "
                    f"(within {recent_pull_days} days)",
                    cols.digests[i],
                )
            )
        subject = cols.subjects[i]
        if subject and action_of is None:
            action_of = dict(zip(ev.digests, ev.actions, strict=True))
        # A referrer archived with its archived subject moves with it: not broken.
        if subject and subject in action_of and action_of[subject] not in ("expire", action):
            out.append(
                Danger(
                    "signature_broken",
                    f"rule {priority} {verb} referrer {_name(cols, i)} while its subject "
                    f"{subject[:19]} stays",
                    cols.digests[i],
                )
            )
        if cols.children[i]:
            out.append(
                Danger(
                    "manifest_list_removed",
                    f"rule {priority} {verb} manifest list {_name(cols, i)}; its "
                    f"{len(cols.children[i])} platform image(s) stay untagged until a later run",
                    cols.digests[i],
                )
            )
    return out


def _name(cols: ImageColumns, i: int) -> str:
    label = cols.tag_lines[i].replace("\n", ",") or "untagged"
    return f"{cols.digests[i][:19]} ({label})"
