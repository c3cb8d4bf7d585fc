"""What the lifecycle simulator works on and produces: images, per-image outcomes, evaluations,
and the storage classes (see docs/lifecycle-semantics.md for the rules behind them).

The warehouse's image rows become `LifecycleImage`s here and only here (`lifecycle_image`), so the
planner and the findings read an inventory the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ecrcost.utc import as_utc

STANDARD, ARCHIVE, ACTIVATING = "standard", "archive", "activating"

# ECR's imageStatus -> the storage class the simulator evaluates an image in. An unknown status
# is treated as in transit (ACTIVATING): no rule acts on it.
STORAGE_OF_STATUS = {"ACTIVE": STANDARD, "ARCHIVED": ARCHIVE, "ACTIVATING": ACTIVATING}


def storage_class_of(image_status: str | None) -> str:
    return STORAGE_OF_STATUS.get(image_status or "", ACTIVATING)


@dataclass(slots=True)
class LifecycleImage:
    """What the simulator needs to know about one image (all times timezone-aware UTC)."""

    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime
    last_pulled_at: datetime | None = None
    size_bytes: int | None = None
    storage_class: str = STANDARD  # standard | archive | activating
    archived_at: datetime | None = None
    last_activated_at: datetime | None = None
    layers: tuple[tuple[str, int], ...] | None = None  # (blob digest, size); None: unknown
    child_digests: tuple[str, ...] = ()  # a manifest list's children
    subject_digest: str | None = None  # a referrer's subject

    @property
    def effective_pushed_at(self) -> datetime:
        return self.last_activated_at or self.pushed_at

    @property
    def effective_pulled_at(self) -> datetime:
        """Last pull, or the (re)activation/push time when never pulled since then."""
        pulled, start = self.last_pulled_at, self.effective_pushed_at
        return pulled if pulled is not None and pulled >= start else start


def lifecycle_image(
    row: tuple | list, layers: tuple[tuple[str, int], ...] | None = None
) -> LifecycleImage:
    """One row of `sql/lifecycle/images.sql` (from image_digest on: digest, tags, size, pushed,
    pulled, status, archived, activated, children, subject) as a `LifecycleImage`."""
    digest, tags, size, pushed, pulled, status, archived, activated, children, subject = row
    return LifecycleImage(
        digest,
        tuple(tags),
        as_utc(pushed),
        as_utc(pulled),
        size,
        storage_class_of(status),
        as_utc(archived),
        as_utc(activated),
        layers,
        tuple(children),
        subject,
    )


@dataclass(slots=True)
class Outcome:
    digest: str
    action: str | None = None  # expire | transition | None
    rule_priority: int | None = None
    via_subject: str | None = None  # expired because this subject image goes
    protected_by: str | None = None  # a manifest list that keeps this image (a rule marked it)


@dataclass
class Evaluation:
    """Per input image (same order): the action and the rule acting; kept as columns because
    one object per image is what a million-image simulation cannot afford."""

    digests: list[str]
    actions: list[str | None]
    priorities: list[int | None]
    via_subject: dict[int, str] = field(default_factory=dict)
    protected_by: dict[int, str] = field(default_factory=dict)

    def outcomes(self) -> list[Outcome]:
        return [
            Outcome(d, a, p, self.via_subject.get(i), self.protected_by.get(i))
            for i, (d, a, p) in enumerate(
                zip(self.digests, self.actions, self.priorities, strict=True)
            )
        ]
