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

from ecrcost.fmt import iso
from ecrcost.lifecycle.model import Evaluation, LifecycleImage


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
    since = at - timedelta(days=recent_pull_days)
    action_of: dict[str, str | None] | None = None
    out: list[Danger] = []
    for i, action in enumerate(ev.actions):
        if action is None:
            continue
        img, priority = images[i], ev.priorities[i]
        verb = "expires" if action == "expire" else "archives"
        pulled = img.last_pulled_at
        if pulled is not None and pulled >= since:
            out.append(
                Danger(
                    "recently_pulled",
                    f"rule {priority} {verb} {_name(img)}, pulled {iso(pulled)} "
                    f"(within {recent_pull_days} days)",
                    img.digest,
                )
            )
        subject = img.subject_digest
        if subject and action_of is None:
            action_of = dict(zip(ev.digests, ev.actions, strict=True))
        # A referrer archived with its archived subject moves with it: not broken.
        if subject and subject in action_of and action_of[subject] not in ("expire", action):
            out.append(
                Danger(
                    "signature_broken",
                    f"rule {priority} {verb} referrer {_name(img)} while its subject "
                    f"{subject[:19]} stays",
                    img.digest,
                )
            )
        if img.child_digests:
            out.append(
                Danger(
                    "manifest_list_removed",
                    f"rule {priority} {verb} manifest list {_name(img)}; its "
                    f"{len(img.child_digests)} platform image(s) stay untagged until a later run",
                    img.digest,
                )
            )
    return out


def _name(img: LifecycleImage) -> str:
    label = ",".join(img.tags) if img.tags else "untagged"
    return f"{img.digest[:19]} ({label})"
