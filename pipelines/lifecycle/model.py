"""What the lifecycle simulator works on and produces: images, per-image outcomes, evaluations,
and the storage classes (see docs/lifecycle-semantics.md for the rules behind them).

The warehouse's image rows become `LifecycleImage`s here and only here (`lifecycle_image` for one
row, `load_images` for a snapshot's columns, the same rule), so the planner and the findings read
an inventory the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ecrcost import sqlfiles
from ecrcost.arrowcols import arrow_scalar
from ecrcost.utc import as_utc

if TYPE_CHECKING:
    import duckdb

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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BATCH_ROWS = 100_000  # Arrow batches: a million-image snapshot is never all Python rows at once
RepositoryKey = tuple[str, str, str]  # (account id, region, repository name)


def load_images(
    con: duckdb.DuckDBPyConnection, snapshot_id: str, *, manifests_read: bool, layers: bool
) -> dict[RepositoryKey, list[LifecycleImage]]:
    """Every image of a snapshot (`sql/lifecycle/images.sql`) per repository, sorted by digest
    whatever the scan order. `layers=False` leaves the blobs unread (savings become upper bounds).

    Columns come from DuckDB as Arrow batches and turn into Python values a column at a time (C
    loops); the per-image Python work is building the `LifecycleImage`. A blob shared by several
    images (base layers) is one `(digest, size)` object. Same rule as `lifecycle_image`: naive
    times are UTC; with manifests read, a manifest list without blob rows has no layers (its
    children hold them), any other image without blob rows has unknown layers (None)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    params = {"snapshot_id": snapshot_id, "layers": layers}
    newline = arrow_scalar("\n", pa.string())  # a Python str here would import pandas
    reader = sqlfiles.arrow_batches(con, "lifecycle/images", params, _BATCH_ROWS)
    out: dict[RepositoryKey, list[LifecycleImage]] = {}
    blobs: dict[tuple[str, int], tuple[str, int]] = {}
    for batch in reader:
        keys = pc.dictionary_encode(
            pc.binary_join_element_wise(
                batch["account_id"], batch["region"], batch["repository_name"], newline
            )
        )
        lists = [out.setdefault(tuple(k.split("\n")), []) for k in keys.dictionary.to_pylist()]
        children = [tuple(c) for c in batch["child_digests"].to_pylist()]
        known = _blob_lists(batch["blobs"], blobs)
        unread = () if manifests_read else None
        for key, image in zip(
            keys.indices.to_pylist(),
            map(
                LifecycleImage,
                batch["image_digest"].to_pylist(),
                [tuple(t) for t in batch["image_tags"].to_pylist()],
                _utc_times(batch["pushed_at"]),
                _utc_times(batch["last_pulled_at"]),
                batch["size_bytes"].to_pylist(),
                map(storage_class_of, batch["image_status"].to_pylist()),
                _utc_times(batch["archived_at"]),
                _utc_times(batch["activated_at"]),
                [k or (unread if c else None) for k, c in zip(known, children, strict=True)],
                children,
                batch["subject_digest"].to_pylist(),
            ),
            strict=True,
        ):
            lists[key].append(image)
    for images in out.values():
        images.sort(key=_digest_of)
    return out


def _digest_of(image: LifecycleImage) -> str:
    return image.digest


def _utc_times(column: Any) -> list[datetime | None]:
    """Aware UTC datetimes from a naive-UTC Arrow timestamp column (microseconds)."""
    import pyarrow as pa

    micros = column.cast(pa.int64()).to_pylist()
    return [None if m is None else _EPOCH + timedelta(microseconds=m) for m in micros]


def _blob_lists(
    column: Any, shared: dict[tuple[str, int], tuple[str, int]]
) -> list[tuple[tuple[str, int], ...] | None]:
    """Per image its blobs as `(digest, size)` pairs (None: no blob rows), each pair object
    shared through `shared`."""
    import pyarrow.compute as pc

    flat = pc.list_flatten(column)
    digests = pc.dictionary_encode(flat.field("blob_digest"))
    names = digests.dictionary.to_pylist()
    pairs = [
        shared.setdefault(pair, pair)
        for pair in zip(
            map(names.__getitem__, digests.indices.to_pylist()),
            flat.field("size_bytes").to_pylist(),
            strict=True,
        )
    ]
    offsets = column.offsets.to_pylist()
    valid = column.is_valid().to_pylist()
    return [tuple(pairs[offsets[i] : offsets[i + 1]]) if ok else None for i, ok in enumerate(valid)]


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
