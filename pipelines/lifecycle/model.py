"""What the lifecycle simulator works on and produces: images, per-image outcomes, evaluations,
and the storage classes (see docs/lifecycle-semantics.md for the rules behind them).

The warehouse's image rows become simulator input here and only here (`lifecycle_image` for one
row, `load_images` for a snapshot's columns, the same rule), so the planner and the findings read
an inventory the same way. The simulator reads `ImageColumns` (one repository's images, a list
per field); `columns_of` turns `LifecycleImage` lists (images files, tests) into them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import chain, repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any, overload

from ecrcost import sqlfiles
from ecrcost.arrowcols import integers_of
from ecrcost.gcpause import collector_paused
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
_MICROSECOND = timedelta(microseconds=1)
_MICROS_PER_DAY = 86_400_000_000
RepositoryKey = tuple[str, str, str]  # (account id, region, repository name)
_pair_size = itemgetter(1)  # a (digest, size) blob key's size


def micros(value: datetime | None) -> int | None:
    """Microseconds since the epoch of an instant (naive values are UTC), None for None."""
    return None if value is None else (as_utc(value) - _EPOCH) // _MICROSECOND  # type: ignore[operator]


def instant(value: int | None) -> datetime | None:
    """The aware UTC datetime of `micros`' value."""
    return None if value is None else _EPOCH + timedelta(microseconds=value)


def days_in_micros(days: int) -> int:
    return days * _MICROS_PER_DAY


@dataclass(slots=True, eq=False)  # blob ids differ between loads: compare the images
class ImageColumns(Sequence[LifecycleImage]):
    """One repository's images as columns, one list per field, what the simulator reads (a
    million `LifecycleImage`s cost more to build than to simulate). Indexing or iterating gives
    `LifecycleImage`s, built on demand.

    Times are microseconds since the epoch, UTC. Tags are one string per image, its tags joined
    by newlines ("" when untagged): ECR tags hold no newline (the file readers refuse one).
    Layers are blob rows, grouped by image in image order: `blob_owner` (the image's index) and
    `blob_key` (the blob's (digest, size) pair, or an id standing for it: equal keys are the
    same blob), `blob_size_of` giving a key's size; an image whose layers are unknown (manifests
    not read) has `layers_known` False and no rows. `linked`: the indices of the images with
    children or a subject (manifest lists and referrers)."""

    digests: list[str]
    tag_lines: list[str]
    pushed: list[int]
    pulled: list[int | None]
    sizes: list[int | None]
    classes: list[str]
    archived: list[int | None]
    activated: list[int | None]
    children: list[tuple[str, ...]]
    subjects: list[str | None]
    layers_known: list[bool]
    blob_owner: list[int]
    blob_key: list[Hashable]
    blob_size_of: Callable[[Any], int]
    linked: list[int]

    def __len__(self) -> int:
        return len(self.digests)

    @overload
    def __getitem__(self, i: int) -> LifecycleImage: ...
    @overload
    def __getitem__(self, i: slice) -> list[LifecycleImage]: ...
    def __getitem__(self, i: int | slice) -> LifecycleImage | list[LifecycleImage]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        n = len(self.digests)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        return self._image(i, self._rows(i))

    def __iter__(self) -> Iterator[LifecycleImage]:
        return (self._image(i, self._rows(i)) for i in range(len(self.digests)))

    def tags(self, i: int) -> tuple[str, ...]:
        line = self.tag_lines[i]
        return tuple(line.split("\n")) if line else ()

    def effective_pushed(self) -> list[int]:
        """Per image: its last (re)activation, else its push (`LifecycleImage.effective_pushed_at`)."""
        if self.activated.count(None) == len(self.activated):
            return self.pushed
        return [p if a is None else a for p, a in zip(self.pushed, self.activated, strict=True)]

    def effective_pulled(self, pushed: list[int]) -> list[int]:
        """Per image: its last pull, or its effective push (`pushed`, from `effective_pushed`)
        when never pulled since then (`LifecycleImage.effective_pulled_at`)."""
        return [p if u is None or u < p else u for p, u in zip(pushed, self.pulled, strict=True)]

    def image_bytes(self, i: int) -> int:
        """An image's own size: `size_bytes`, else its layers; 0 for a manifest list."""
        if self.children[i]:
            return 0
        size = self.sizes[i]
        if size is not None:
            return size
        return sum(map(self.blob_size_of, map(self.blob_key.__getitem__, self._rows(i))))

    def _rows(self, i: int) -> range:
        """Image i's blob rows (rows are grouped by image, in image order)."""
        return range(bisect_left(self.blob_owner, i), bisect_right(self.blob_owner, i))

    def _layer(self, key: Any) -> tuple[Any, int]:
        """A blob key as a layer: a (digest, size) pair is one already; an id gets its size."""
        return key if isinstance(key, tuple) else (key, self.blob_size_of(key))

    def _image(self, i: int, rows: Sequence[int]) -> LifecycleImage:
        layers = (
            tuple(map(self._layer, map(self.blob_key.__getitem__, rows)))
            if self.layers_known[i]
            else None
        )
        return LifecycleImage(
            self.digests[i],
            self.tags(i),
            instant(self.pushed[i]),  # type: ignore[arg-type]
            instant(self.pulled[i]),
            self.sizes[i],
            self.classes[i],
            instant(self.archived[i]),
            instant(self.activated[i]),
            layers,  # type: ignore[arg-type]
            self.children[i],
            self.subjects[i],
        )


def columns_of(images: Sequence[LifecycleImage]) -> ImageColumns:
    """`images` as the simulator's columns (themselves when they are columns already)."""
    if isinstance(images, ImageColumns):
        return images
    layered = [(i, img.layers) for i, img in enumerate(images) if img.layers]
    owners = [i for i, _ in layered]
    layers = [img_layers for _, img_layers in layered]
    children = [img.child_digests for img in images]
    subjects = [img.subject_digest for img in images]
    return ImageColumns(
        digests=[img.digest for img in images],
        tag_lines=["\n".join(img.tags) for img in images],
        pushed=_micros_of([img.pushed_at for img in images]),  # type: ignore[arg-type]
        pulled=_micros_of([img.last_pulled_at for img in images]),
        sizes=[img.size_bytes for img in images],
        classes=[img.storage_class for img in images],
        archived=_micros_of([img.archived_at for img in images]),
        activated=_micros_of([img.last_activated_at for img in images]),
        children=children,
        subjects=subjects,
        layers_known=[img.layers is not None for img in images],
        blob_owner=list(chain.from_iterable(map(repeat, owners, map(len, layers)))),
        blob_key=list(chain.from_iterable(layers)),
        blob_size_of=_pair_size,
        linked=[i for i, (c, s) in enumerate(zip(children, subjects, strict=True)) if c or s],
    )


def _micros_of(times: list[datetime | None]) -> list[int | None]:
    """`micros` of each aware UTC time (as `LifecycleImage` holds them), a list at a time."""
    if times.count(None) == len(times):
        return times  # type: ignore[return-value]
    return [None if t is None else (t - _EPOCH) // _MICROSECOND for t in times]


_SALTS = 8  # two images sharing a 64-bit key: about a 1e-8 chance a snapshot; eight in a row, none


def load_images(
    con: duckdb.DuckDBPyConnection, snapshot_id: str, *, manifests_read: bool, layers: bool
) -> dict[RepositoryKey, ImageColumns]:
    """Every image of a snapshot (`sql/lifecycle/image_columns.sql`) per repository, as columns
    sorted by digest whatever the scan order. `layers=False` leaves the blobs unread (savings
    become upper bounds).

    DuckDB and Arrow do the per-row work in C, so the Python work is one list per column: images
    are sorted in Arrow, blob rows (`blob_rows.sql`, blobs numbered by DuckDB) are matched to
    their image on a 64-bit key of its identity. The key is exact: a load in which two images
    share one is redone with the next salt. Same rule as `lifecycle_image`: with manifests read,
    a manifest list without blob rows has no layers (its children hold them), any other image
    without blob rows has unknown layers."""
    for salt in range(_SALTS):
        params = {"snapshot_id": snapshot_id, "salt": salt}
        with collector_paused():  # millions of new lists and strings, no cycles (gcpause.py)
            loaded = _load_columns(con, params, manifests_read=manifests_read, layers=layers)
        if loaded is not None:
            return loaded
    raise RuntimeError(f"snapshot {snapshot_id}: no distinct 64-bit image keys in {_SALTS} salts")


def _storage_classes(statuses: Any, order: Any) -> list[str]:
    """`storage_class_of` each status, in `order`: a handful of distinct statuses, each mapped once."""
    import pyarrow.compute as pc

    codes = pc.dictionary_encode(statuses).unify_dictionaries().combine_chunks()
    classes = [storage_class_of(s) for s in codes.dictionary.to_pylist()]
    return list(map(classes.__getitem__, codes.indices.take(order).to_pylist()))


def _load_columns(
    con: duckdb.DuckDBPyConnection, params: dict[str, Any], *, manifests_read: bool, layers: bool
) -> dict[RepositoryKey, ImageColumns] | None:
    """The columns, or None when two distinct images share a key under this salt. Each Arrow
    table and each snapshot-wide list is let go as soon as it is used: a million images' columns
    are most of the plan's memory."""
    import numpy as np
    import pyarrow.compute as pc

    table = sqlfiles.arrow_table(con, "lifecycle/image_columns", params)
    if not table.num_rows:
        return {}
    if _shared_image_keys(con, table["image_key"], params["snapshot_id"]):
        return None
    order = pc.sort_indices(
        table, sort_keys=[("repository_key", "ascending"), ("image_digest", "ascending")]
    )
    # Repositories as runs of the sorted rows, compared as dictionary indices (not strings).
    names = pc.dictionary_encode(table["repository_key"]).unify_dictionaries().combine_chunks()
    runs = pc.run_end_encode(names.indices.take(order))
    ends = integers_of(runs.run_ends).astype(np.int64)
    repositories = [tuple(k.split("\n")) for k in names.dictionary.take(runs.values).to_pylist()]
    starts = ends - np.diff(ends, prepend=0)
    first_of = np.repeat(starts, ends - starts)  # per image (sorted): its repository's first
    columns = _sorted_columns(table, order)
    linked = integers_of(
        pc.indices_nonzero(
            pc.or_(pc.is_valid(table["child_digests"]), pc.is_valid(table["subject_digest"]))
            .take(order)
            .combine_chunks()
        )
    ).astype(np.int64)
    has_rows = np.zeros(len(order), dtype=bool)
    owners, blob_keys, blob_sizes = np.zeros(0, np.int64), np.zeros(0, np.int32), []
    if layers:
        owners, blob_keys, blob_sizes = _blob_rows(con, params, table["image_key"].take(order))
        has_rows[owners] = True
    del table, order, names, runs
    is_list = np.array(list(map(bool, columns["children"])))  # manifest lists
    columns["layers_known"] = (has_rows | (is_list & manifests_read)).tolist()
    bounds = list(zip(starts.tolist(), ends.tolist(), strict=True))
    per_repository = {name: _split(columns.pop(name), bounds) for name in list(columns)}
    row_bounds = _bounds(np.searchsorted(owners, ends))
    per_repository["blob_owner"] = _split((owners - first_of[owners]).tolist(), row_bounds)
    per_repository["blob_key"] = _split(blob_keys.tolist(), row_bounds)
    del owners, blob_keys
    link_bounds = _bounds(np.searchsorted(linked, ends))
    per_repository["linked"] = _split((linked - first_of[linked]).tolist(), link_bounds)
    size_of = blob_sizes.__getitem__
    return {
        key: ImageColumns(
            **{name: parts[r] for name, parts in per_repository.items()}, blob_size_of=size_of
        )
        for r, key in enumerate(repositories)
    }


def _shared_image_keys(con: duckdb.DuckDBPyConnection, image_keys: Any, snapshot_id: str) -> bool:
    """Whether two distinct images of the snapshot have the same key (a repeated row is one
    image: `sql/lifecycle/distinct_images.sql` counts them only when keys repeat)."""
    import numpy as np

    keys = integers_of(image_keys.combine_chunks())
    ordered = np.sort(keys)
    if not (ordered[1:] == ordered[:-1]).any():
        return False
    params = {"snapshot_id": snapshot_id}
    distinct = sqlfiles.run(con, "lifecycle/distinct_images", params).fetchall()[0][0]
    return len(np.unique(keys)) < distinct


def _sorted_columns(table: Any, order: Any) -> dict[str, list[Any]]:
    """The image columns as Python lists, in `order` (repository, then digest)."""
    import pyarrow as pa

    positions = order.to_pylist()

    def column(name: str) -> list[Any]:
        values = table[name]
        if values.null_count == len(values):
            return [None] * len(values)
        if pa.types.is_integer(values.type):
            return values.take(order).to_pylist()
        python = values.to_pylist()  # strings: reordered in Python, cheaper than in Arrow here
        return list(map(python.__getitem__, positions))

    return {
        "digests": column("image_digest"),
        "tag_lines": column("tag_lines"),
        "pushed": column("pushed"),
        "pulled": column("pulled"),
        "sizes": column("size_bytes"),
        "classes": _storage_classes(table["image_status"], order),
        "archived": column("archived"),
        "activated": column("activated"),
        "children": [() if c is None else tuple(c) for c in column("child_digests")],
        "subjects": column("subject_digest"),
    }


def _blob_rows(
    con: duckdb.DuckDBPyConnection, params: dict[str, Any], image_keys: Any
) -> tuple[Any, Any, list[int]]:
    """(image of each (blob, image) row, its blob id, each blob id's size), the rows sorted by
    image; images are their place in `image_keys`. Blob ids number the rows of
    `sql/lifecycle/blob_rows.sql` (one per distinct (digest, size) pair)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    blobs = sqlfiles.arrow_table(con, "lifecycle/blob_rows", params)
    holders = blobs["image_keys"].combine_chunks()
    row_ids = np.repeat(  # the blob id of each (blob, image) row
        np.arange(len(holders), dtype=np.int32), integers_of(pc.list_value_length(holders))
    )
    # Rows of images not in the snapshot (none, unless the warehouse was edited) are dropped.
    owner = pc.index_in(pc.list_flatten(holders), value_set=image_keys)
    matched = integers_of(pc.is_valid(owner).cast(pa.int8())).astype(bool)
    owner_of_row = integers_of(pc.drop_null(owner)).astype(np.int64)
    by_owner = np.argsort(owner_of_row, kind="stable")
    return owner_of_row[by_owner], row_ids[matched][by_owner], blobs["size_bytes"].to_pylist()


def _bounds(ends: Any) -> list[tuple[int, int]]:
    ends = ends.tolist()
    return list(zip([0, *ends[:-1]], ends, strict=True))


def _split(values: list[Any], bounds: list[tuple[int, int]]) -> list[list[Any]]:
    return [values[start:end] for start, end in bounds]


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
