"""Bytes and dollars a simulation frees, following the bill's logic (docs/lifecycle-semantics.md).

- Standard storage is billed per unique blob in a repository: a layer is freed only when no image
  that stays in standard storage (in the same repository) still uses it. A blob is its
  (digest, size) pair (content-addressed, so the same digest always has the same size).
- When an image's layers are unknown (manifests not read), its `size_bytes` is used instead and
  the figure is an UPPER BOUND (shared layers may stay). A manifest list's `size_bytes` is its
  largest child's, and its children hold the layers: the list itself counts as 0 bytes.
- Transition to archive moves an image out of standard storage (its unique layers are freed
  there) and bills its `size_bytes` in archive (AWS does not say archive shares layers; this is
  the conservative reading). At the default prices (archive = standard for the first 150 TB) a
  transition saves nothing per month, or costs when layers were shared; it commits to the
  90-day minimum and a restore fee per GB.
- Expiring an archived image frees its `size_bytes` of archive storage.
All prices come from the PriceTable (settings.prices); none is written here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import not_
from typing import Any

from ecrcost.fmt import gib, money, money_per_month
from ecrcost.lifecycle.model import ACTIVATING, ARCHIVE, STANDARD, LifecycleImage, columns_of
from ecrcost.prices import ARCHIVE_MINIMUM_DAYS, GIB, PriceTable

DAYS_PER_MONTH = 365.25 / 12


@dataclass
class Savings:
    freed_bytes: int = 0  # standard storage freed (expire + transition)
    archive_freed_bytes: int = 0  # archive storage freed (expiring archived images)
    archived_bytes: int = 0  # newly billed in archive by transitions
    standard_usd: float = 0.0  # $/month no longer paid for standard storage
    archive_freed_usd: float = 0.0  # $/month no longer paid for archive storage
    archive_added_usd: float = 0.0  # $/month newly paid for archive storage
    archive_minimum_usd: float = 0.0  # the 90-day minimum the transitions commit to
    restore_usd: float = 0.0  # one restore of everything transitioned
    upper_bound: bool = False  # some layers unknown: real savings may be lower

    @property
    def monthly_savings_usd(self) -> float:
        return self.standard_usd + self.archive_freed_usd - self.archive_added_usd

    def add(self, other: Savings) -> None:
        for name in self.__dataclass_fields__:
            if name == "upper_bound":
                self.upper_bound = self.upper_bound or other.upper_bound
            else:
                setattr(self, name, getattr(self, name) + getattr(other, name))

    def notes(self) -> list[str]:
        out = []
        if self.upper_bound:
            out.append(
                "upper bound: some images' layers are unknown (manifests not read), so their "
                "full size is counted though layers shared with kept images would stay"
            )
        if self.archived_bytes:
            out.append(
                f"transition to archive: {gib(self.archived_bytes, 2)} leave standard storage "
                f"(counted in the freed bytes) and add {money_per_month(self.archive_added_usd)} "
                f"of archive storage; they commit to the {ARCHIVE_MINIMUM_DAYS}-day minimum "
                f"({money(self.archive_minimum_usd)}) and restoring it all would cost "
                f"{money(self.restore_usd)}; archived images cannot be pulled"
            )
        return out


def compute_savings(
    images: Sequence[LifecycleImage],
    actions: Sequence[str | None],
    prices: PriceTable,
    region: str | None,
) -> Savings:
    """What the actions (per image, same order) free in one repository, priced for `region`."""
    cols = columns_of(images)
    out = Savings()
    classes, known, owners, keys = cols.classes, cols.layers_known, cols.blob_owner, cols.blob_key
    kept: Sequence[Any]
    gone: Sequence[Any]
    if classes.count(STANDARD) == len(classes):  # the common case: no flags per image to build
        kept, gone = list(map(not_, actions)), actions  # an action is None or a non-empty string
        leaving_rows: Iterable[Any] = map(actions.__getitem__, owners)
        kept_rows: Iterable[Any] = map(not_, map(actions.__getitem__, owners))
    else:  # kept in standard storage (or in transit), and leaving it (expired or archived)
        pairs = list(zip(classes, actions, strict=True))
        kept = [c != ARCHIVE and (a is None or c == ACTIVATING) for c, a in pairs]
        gone = [c == STANDARD and a is not None for c, a in pairs]
        leaving_rows, kept_rows = map(gone.__getitem__, owners), map(kept.__getitem__, owners)
    for i in compress(range(len(classes)), actions):
        if classes[i] == ARCHIVE:
            if actions[i] == "expire":
                out.archive_freed_bytes += cols.image_bytes(i)
        elif gone[i]:
            if not known[i]:
                out.freed_bytes += cols.image_bytes(i)
                out.upper_bound = out.upper_bound or not cols.children[i]
            if actions[i] == "transition":
                out.archived_bytes += cols.image_bytes(i)
    if any(gone):
        # A blob (its key) is freed when no kept image has a row of it: set algebra in C.
        freed = set(compress(keys, leaving_rows)).difference(compress(keys, kept_rows))
        out.freed_bytes += sum(map(cols.blob_size_of, freed))
        if not all(known) and any(
            k and not n and not c for k, n, c in zip(kept, known, cols.children, strict=True)
        ):
            out.upper_bound = True  # a kept image of unknown layers may share the freed ones
    out.standard_usd = prices.monthly_cost(out.freed_bytes, region=region)
    out.archive_freed_usd = prices.monthly_cost(0, out.archive_freed_bytes, region=region)
    out.archive_added_usd = prices.monthly_cost(0, out.archived_bytes, region=region)
    out.archive_minimum_usd = out.archive_added_usd * ARCHIVE_MINIMUM_DAYS / DAYS_PER_MONTH
    out.restore_usd = out.archived_bytes / GIB * prices.restore(region)
    return out
