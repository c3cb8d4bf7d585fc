"""What the lifecycle simulator works on and produces: images, per-image outcomes, evaluations,
and the storage classes (see docs/lifecycle-semantics.md for the rules behind them).

The warehouse's image rows become `LifecycleImage`s here and only here (`lifecycle_image` for one
row, `load_images` for a snapshot's columns, the same rule), so the planner and the findings read
an inventory the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat
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

    params = {"snapshot_id": snapshot_id}
    newline = arrow_scalar("\n", pa.string())  # a Python str here would import pandas
    blobs = _image_blobs(con, params, newline) if layers else {}
    unread = () if manifests_read else None
    out: dict[RepositoryKey, list[LifecycleImage]] = {}
    for batch in sqlfiles.arrow_batches(con, "lifecycle/images", params, _BATCH_ROWS):
        repos = pc.dictionary_encode(batch["repository_key"])
        lists = [out.setdefault(tuple(k.split("\n")), []) for k in repos.dictionary.to_pylist()]
        image_keys = pc.binary_join_element_wise(
            batch["repository_key"], batch["image_digest"], newline
        ).to_pylist()
        children = list(map(tuple, batch["child_digests"].to_pylist()))
        images = map(
            LifecycleImage,
            batch["image_digest"].to_pylist(),
            map(tuple, batch["image_tags"].to_pylist()),
            _utc_times(batch["pushed_at"]),
            _utc_times(batch["last_pulled_at"]),
            batch["size_bytes"].to_pylist(),
            map(STORAGE_OF_STATUS.get, batch["image_status"].to_pylist(), repeat(ACTIVATING)),
            _utc_times(batch["archived_at"]),
            _utc_times(batch["activated_at"]),
            # no blob rows: unknown, or none of its own for a manifest list (manifests read)
            [
                blobs.pop(k, None) or (unread if c else None)
                for k, c in zip(image_keys, children, strict=True)
            ],
            children,
            batch["subject_digest"].to_pylist(),
        )
        for repo, image in zip(repos.indices.to_pylist(), images, strict=True):
            lists[repo].append(image)
    for images in out.values():
        images.sort(key=_digest_of)
    return out


def _digest_of(image: LifecycleImage) -> str:
    return image.digest


def _utc_times(column: Any) -> list[datetime | None]:
    """Aware UTC datetimes from a naive-UTC Arrow timestamp column (microseconds)."""
    import pyarrow as pa

    if column.null_count == len(column):
        return [None] * len(column)
    micros = column.cast(pa.int64()).to_pylist()
    return [None if m is None else _EPOCH + timedelta(microseconds=m) for m in micros]


def _image_blobs(
    con: duckdb.DuckDBPyConnection, params: dict[str, Any], separator: Any
) -> dict[str, tuple[tuple[str, int], ...]]:
    """Blobs per image key (`sql/lifecycle/image_blobs.sql`), as `(digest, size)` pairs, each
    distinct pair one object (base layers repeat in every image of a repository). Grouped a
    batch at a time in Arrow: the Python work is per image, not per blob row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    shared: dict[tuple[str, int], tuple[str, int]] = {}
    out: dict[str, tuple[tuple[str, int], ...]] = {}
    for batch in sqlfiles.arrow_batches(con, "lifecycle/image_blobs", params, _BATCH_ROWS):
        images = pc.dictionary_encode(batch["image_key"])
        pair_keys = pc.dictionary_encode(
            pc.binary_join_element_wise(
                batch["blob_digest"], batch["size_bytes"].cast(pa.string()), separator
            )
        )
        distinct = []
        for key in pair_keys.dictionary.to_pylist():
            digest, _, size = key.rpartition("\n")
            pair = (digest, int(size))
            distinct.append(shared.setdefault(pair, pair))
        rows = pc.sort_indices(images.indices)  # stable: rows grouped by image, in order
        pairs = list(map(distinct.__getitem__, pc.take(pair_keys.indices, rows).to_pylist()))
        # every image of the dictionary has rows: run i of the sorted indices is image i
        ends = pc.run_end_encode(pc.take(images.indices, rows)).run_ends.to_pylist()
        for key, found in zip(
            images.dictionary.to_pylist(),
            map(tuple, map(pairs.__getitem__, map(slice, [0, *ends[:-1]], ends))),
            strict=True,
        ):
            earlier = out.get(key)  # an image's blobs may span two batches
            out[key] = found if earlier is None else earlier + found
    return out


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
