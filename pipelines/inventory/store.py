"""A snapshot into the warehouse (one transaction), and the billed size per repository.

Rows go in as one Arrow table per warehouse table through `sqlfiles.insert_staged` (one
INSERT ... BY NAME per table): thousands of rows a second, no statement per row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from ecrcost import sqlfiles
from ecrcost.arrowcols import arrow_column, arrow_table
from ecrcost.fmt import GIB
from ecrcost.gcpause import collector_paused
from ecrcost.inventory.model import Snapshot
from ecrcost.utc import naive_utc
from ecrcost.warehouse import transaction

if TYPE_CHECKING:
    import duckdb

    from ecrcost.settings import Settings

# What replacing a snapshot deletes, and the insert of each staged table (SQL files named in
# full, so a search for a file name finds its caller).
DELETES = (
    "inventory/delete_snapshots",
    "inventory/delete_repositories",
    "inventory/delete_images",
    "inventory/delete_image_blobs",
    "inventory/delete_lifecycle_policies",
    "inventory/delete_repository_tags",
    "inventory/delete_scan_errors",
    "inventory/delete_snapshot_access",
    "inventory/delete_images_in_use",
    "inventory/delete_in_use_sources",
)
INSERTS = {
    "repositories": "inventory/insert_repositories",
    "images": "inventory/insert_images",
    "image_blobs": "inventory/insert_image_blobs",
    "lifecycle_policies": "inventory/insert_lifecycle_policies",
    "repository_tags": "inventory/insert_repository_tags",
    "scan_errors": "inventory/insert_scan_errors",
}
TABLES = tuple(INSERTS)


def snapshot_id_of(snapshot: Snapshot) -> str:
    """Stable for the same snapshot: loading a file twice replaces it instead of doubling it."""
    taken = snapshot.taken_at.astimezone(UTC)
    seed = f"{taken.isoformat()}|{snapshot.source}|{len(snapshot.repositories)}"
    return f"{taken:%Y%m%dT%H%M%SZ}-{hashlib.sha256(seed.encode()).hexdigest()[:8]}"


def store_snapshot(con: duckdb.DuckDBPyConnection, snapshot: Snapshot) -> str:
    """Write every row of `snapshot` (stamped with its id and time); all or nothing."""
    snapshot_id = snapshot_id_of(snapshot)
    params = {"snapshot_id": snapshot_id, "taken_at": naive_utc(snapshot.taken_at)}
    with collector_paused():  # a tuple per image and a list per column (gcpause.py)
        staged = _arrow_tables(snapshot)
    with transaction(con):
        for delete in DELETES:
            sqlfiles.run(con, delete, {"snapshot_id": snapshot_id})
        sqlfiles.run(
            con,
            "inventory/insert_snapshot",
            {
                **params,
                "source": snapshot.source,
                "manifests_read": snapshot.manifests_read,
                "repository_count": len(snapshot.repositories),
                "image_count": sum(len(r.images) for r in snapshot.repositories),
                "error_count": len(snapshot.errors),
            },
        )
        for name, insert in INSERTS.items():
            sqlfiles.insert_staged(con, insert, staged[name], params)
        sqlfiles.insert_staged(
            con, "inventory/insert_snapshot_access", _access_table(snapshot), params
        )
        images_in_use, in_use_sources = _in_use_tables(snapshot)
        sqlfiles.insert_staged(con, "inventory/insert_images_in_use", images_in_use, params)
        sqlfiles.insert_staged(con, "inventory/insert_in_use_sources", in_use_sources, params)
    return snapshot_id


IN_USE_COLUMNS = (
    "source", "used_by", "observed_at", "reference", "account_id", "region", "repository_name",
    "image_tag", "image_digest", "resolution",
)  # fmt: skip
SOURCE_COLUMNS = ("source", "account_id", "region", "scope", "status", "detail")


def _in_use_tables(snapshot: Snapshot) -> tuple[Any, Any]:
    """The images in use and the in-use sources as Arrow tables (the ImageInUse and
    InUseSource fields are the columns)."""
    import pyarrow as pa

    def table(rows: list[Any], columns: tuple[str, ...]) -> Any:
        arrays = {}
        for c in columns:
            values = [getattr(r, c) for r in rows]
            if c == "observed_at":
                arrays[c] = arrow_column([naive_utc(v) for v in values], pa.timestamp("us"))
            else:
                arrays[c] = arrow_column(values, pa.string())
        return pa.table(arrays)

    return (
        table(snapshot.images_in_use, IN_USE_COLUMNS),
        table(snapshot.in_use_sources, SOURCE_COLUMNS),
    )


def _access_table(snapshot: Snapshot) -> Any:
    import pyarrow as pa

    return pa.table(
        {
            "account_id": arrow_column([a.account_id for a in snapshot.accounts], pa.string()),
            "role_name": arrow_column([a.role_name for a in snapshot.accounts], pa.string()),
            "external_id_used": arrow_column(
                [a.external_id_used for a in snapshot.accounts], pa.bool_()
            ),
        }
    )


def _arrow_tables(snapshot: Snapshot) -> dict[str, Any]:
    import pyarrow as pa

    ts, text, big = pa.timestamp("us"), pa.string(), pa.int64()
    texts = pa.list_(pa.string())
    schemas = {
        "repositories": [
            ("repository_arn", text),
            ("repository_uri", text),
            ("created_at", ts),
            ("image_tag_mutability", text),
            ("complete", pa.bool_()),
        ],
        "images": [
            ("image_digest", text),
            ("image_tags", texts),
            ("size_bytes", big),
            ("pushed_at", ts),
            ("last_pulled_at", ts),
            ("manifest_media_type", text),
            ("artifact_media_type", text),
            ("subject_digest", text),
            ("image_status", text),
            ("archived_at", ts),
            ("activated_at", ts),
            ("child_digests", texts),
        ],
        "image_blobs": [
            ("image_digest", text),
            ("blob_digest", text),
            ("blob_kind", text),
            ("size_bytes", big),
            ("media_type", text),
        ],
        "lifecycle_policies": [("policy_text", text)],
        "repository_tags": [("tag_key", text), ("tag_value", text)],
        "scan_errors": [("operation", text), ("error_code", text), ("message", text)],
    }
    rows: dict[str, list[tuple]] = {name: [] for name in TABLES}
    policy_failed = {
        (e.account_id, e.region, e.repository_name)
        for e in snapshot.errors
        if e.operation == "GetLifecyclePolicy"
    }
    for r in snapshot.repositories:
        key = (r.account_id, r.region, r.name)
        rows["repositories"].append(
            (*key, r.arn, r.uri, naive_utc(r.created_at), r.image_tag_mutability, r.complete)
        )
        if key not in policy_failed:  # no row: unknown, not "no policy"
            rows["lifecycle_policies"].append((*key, r.lifecycle_policy))
        rows["repository_tags"].extend((*key, k, v) for k, v in sorted(r.tags.items()))
        for i in r.images:
            for b in i.blobs or ():
                rows["image_blobs"].append(
                    (*key, i.digest, b.digest, b.kind, b.size_bytes, b.media_type)
                )
    for e in snapshot.errors:
        rows["scan_errors"].append(
            (e.account_id, e.region, e.repository_name, e.operation, e.error_code, e.message)
        )
    head = [("account_id", text), ("region", text), ("repository_name", text)]
    out = {}
    for name in TABLES:
        schema = pa.schema(head + schemas[name])
        columns = list(zip(*rows[name], strict=True)) or [()] * len(schema)
        if name == "images":
            columns = _image_columns(snapshot)
        out[name] = arrow_table(dict(zip(schema.names, columns, strict=True)), schema)
    return out


def _image_columns(snapshot: Snapshot) -> list[list]:
    """The images table's columns (in its schema's order), one list per column: a snapshot
    holds up to millions of images, and a comprehension per column costs less than a tuple per
    image transposed."""
    pairs = [((r.account_id, r.region, r.name), i) for r in snapshot.repositories for i in r.images]
    images = [i for _, i in pairs]

    def when(values):
        return [None if v is None else naive_utc(v) for v in values]

    return [
        *([key[n] for key, _ in pairs] for n in range(3)),
        [i.digest for i in images],
        [i.tags for i in images],
        [i.size_bytes for i in images],
        when(i.pushed_at for i in images),
        when(i.last_pulled_at for i in images),
        [i.manifest_media_type for i in images],
        [i.artifact_media_type for i in images],
        [i.subject_digest for i in images],
        [i.status for i in images],
        when(i.archived_at for i in images),
        when(i.activated_at for i in images),
        [i.child_digests for i in images],
    ]


@dataclass(frozen=True)
class RepositorySize:
    """One row of `sql/inventory/billed_sizes.sql`, priced with the settings' price table."""

    snapshot_id: str
    account_id: str
    region: str
    repository_name: str
    complete: bool
    image_count: int
    untagged_count: int
    archived_count: int
    summed_image_bytes: int  # the playbook script's figure (ACTIVE images, no dedup)
    billed_bytes: int  # standard storage
    archived_bytes: int  # archive storage class
    size_basis: str  # deduplicated | estimated
    monthly_cost: float  # billed_bytes at the storage price + archived_bytes at the archive price

    @property
    def deduplicated(self) -> bool:
        return self.size_basis == "deduplicated"


def billed_sizes(
    con: duckdb.DuckDBPyConnection, settings: Settings, snapshot_id: str | None = None
) -> list[RepositorySize]:
    """Billed bytes and expected monthly cost per repository (latest snapshot by default)."""
    prices = settings.prices
    out = []
    for r in sqlfiles.records(con, "inventory/billed_sizes", {"snapshot_id": snapshot_id}):
        cost = prices.monthly_storage_cost(r["billed_bytes"], r["region"])
        cost += r["archived_bytes"] / GIB * prices.archive(r["region"])
        out.append(
            RepositorySize(
                **{k: int(v) if k.endswith(("_bytes", "_count")) else v for k, v in r.items()},
                monthly_cost=cost,
            )
        )
    return out
