"""The planner's column loader (`lifecycle/model.load_images`) reads a stored snapshot exactly as
the row rule `lifecycle_image` does: times, storage classes, tags, children, subjects, layers."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

import pytest

from ecrcost import sqlfiles
from ecrcost.cli import main
from ecrcost.inventory.model import Blob, Image, Repository, Snapshot
from ecrcost.inventory.store import store_snapshot
from ecrcost.lifecycle import cli as lifecycle_cli
from ecrcost.lifecycle.model import ARCHIVE, STANDARD, LifecycleImage, lifecycle_image, load_images

TAKEN = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
BASE = Blob("sha256:" + "b" * 64, 80_000_000)


def image(n: int, **kw) -> Image:
    fields = {
        "digest": f"sha256:{n:064x}",
        "tags": [f"v{n}"],
        "size_bytes": 1000 + n,
        "pushed_at": TAKEN - timedelta(days=n, microseconds=n),
        "blobs": [BASE, Blob(f"sha256:{n:063x}f", 100 + n)],
    }
    return Image(**{**fields, **kw})


def snapshot() -> Snapshot:
    index_children = [f"sha256:{1:064x}", f"sha256:{2:064x}"]
    web = Repository("111122223333", "us-east-1", "web", "arn:aws:ecr:us-east-1:1:repository/web")
    web.images = [
        image(3, tags=[], last_pulled_at=TAKEN - timedelta(hours=1)),  # untagged, pulled
        image(1),
        image(2, status="ARCHIVED", archived_at=TAKEN - timedelta(days=1)),
        image(4, tags=["latest"], blobs=None, child_digests=index_children, size_bytes=None),
        image(5, blobs=None, subject_digest=f"sha256:{1:064x}"),  # a referrer, manifest unread
        image(6, status="ACTIVATING", activated_at=TAKEN - timedelta(minutes=5)),
    ]
    api = Repository("111122223333", "eu-west-1", "api", "arn:aws:ecr:eu-west-1:1:repository/api")
    api.images = [image(7, tags=["1.0", "stable"])]
    return Snapshot(taken_at=TAKEN, source="test", manifests_read=True, repositories=[web, api])


@pytest.fixture
def stored(con) -> str:
    return store_snapshot(con, snapshot())


def row_rule(con, snapshot_id: str, layers: bool) -> dict[tuple, list[LifecycleImage]]:
    """The reference: every row through `lifecycle_image`, layers as the blob rows say."""
    blobs: dict[tuple, list] = {}
    rows = con.execute(
        "SELECT account_id, region, repository_name, image_digest, blob_digest, size_bytes "
        "FROM ecr_image_blobs WHERE snapshot_id = ?",
        [snapshot_id],
    ).fetchall()
    for *key, digest, blob, size in rows:
        blobs.setdefault((*key, digest), []).append((blob, size))
    out: dict[tuple, list[LifecycleImage]] = {}
    images = con.execute(
        "SELECT account_id, region, repository_name, image_digest, image_tags, size_bytes, "
        "pushed_at, last_pulled_at, image_status, archived_at, activated_at, child_digests, "
        "subject_digest FROM ecr_images WHERE snapshot_id = ? ORDER BY image_digest",
        [snapshot_id],
    ).fetchall()
    for row in images:
        known = blobs.get(tuple(row[:4])) if layers else None
        children = row[11]
        layer_rule = tuple(sorted(known)) if known else (() if children else None)
        out.setdefault(tuple(row[:3]), []).append(lifecycle_image(row[3:], layer_rule))
    return out


def sorted_layers(images: list[LifecycleImage]) -> list[LifecycleImage]:
    for i in images:
        if i.layers:
            i.layers = tuple(sorted(i.layers))  # blob order within an image carries no meaning
    return images


@pytest.mark.parametrize("layers", [True, False])
def test_columns_load_as_the_row_rule_reads(con, stored, layers):
    loaded = load_images(con, stored, manifests_read=True, layers=layers)
    expected = row_rule(con, stored, layers)
    assert {k: sorted_layers(v) for k, v in loaded.items()} == expected
    web = loaded[("111122223333", "us-east-1", "web")]
    assert [i.digest[-1] for i in web] == ["1", "2", "3", "4", "5", "6"]  # sorted by digest
    first = web[0]
    assert first.pushed_at == TAKEN - timedelta(days=1, microseconds=1)  # to the microsecond
    assert first.pushed_at.tzinfo is UTC and first.last_pulled_at is None
    assert (web[1].storage_class, web[1].archived_at) == (ARCHIVE, TAKEN - timedelta(days=1))
    assert web[2].tags == () and web[2].last_pulled_at == TAKEN - timedelta(hours=1)
    assert (web[3].child_digests, web[3].layers, web[3].size_bytes) == (
        (f"sha256:{1:064x}", f"sha256:{2:064x}"),
        (),  # a manifest list: no layers of its own
        None,
    )
    assert web[4].layers is None and web[4].subject_digest == f"sha256:{1:064x}"  # unknown
    assert web[5].last_activated_at == TAKEN - timedelta(minutes=5)
    if layers:
        assert set(web[0].layers) == {(BASE.digest, BASE.size_bytes), (f"sha256:{1:063x}f", 101)}
        shared = [next(p for p in i.layers if p[0] == BASE.digest) for i in web if i.layers]
        assert len(shared) == 4 and all(p is shared[0] for p in shared)  # one object
    else:
        assert all(i.layers in (None, ()) for i in web)
    assert loaded[("111122223333", "eu-west-1", "api")][0].tags == ("1.0", "stable")
    assert web[0].storage_class == STANDARD


def test_manifests_unread_leave_every_layer_unknown(con):
    snap = snapshot()
    snap.manifests_read = False
    for repo in snap.repositories:
        for i in repo.images:
            i.blobs = None
    snapshot_id = store_snapshot(con, snap)
    loaded = load_images(con, snapshot_id, manifests_read=False, layers=True)
    assert {i.layers for images in loaded.values() for i in images} == {None}
    assert sqlfiles.run(con, "lifecycle/snapshot", {"snapshot_id": snapshot_id}).fetchall()


def test_plan_prints_before_the_collector_runs_again(con, stored, home, monkeypatch, capsys):
    """`policy plan` keeps the cyclic collector paused until the plan is printed and freed
    (re-enabled while a million-image plan lives, the next allocation walks it all: about 1 s),
    then turns it back on."""
    con.close()  # the command opens the warehouse read-only itself
    seen: list[bool] = []
    print_lines = lifecycle_cli._print_plan_lines
    monkeypatch.setattr(
        lifecycle_cli,
        "_print_plan_lines",
        lambda plan: [seen.append(gc.isenabled()), print_lines(plan)],
    )
    assert gc.isenabled()
    assert main(["policy", "plan", "--home", str(home)]) == 0
    assert seen == [False]
    assert gc.isenabled()
    out = capsys.readouterr().out
    assert "111122223333/us-east-1/web" in out and "total at 2026-03-01T06:00:00Z: 2 planned" in out
