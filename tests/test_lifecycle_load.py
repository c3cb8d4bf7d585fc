"""The planner's column loader (`lifecycle/model.load_images`) reads a stored snapshot exactly as
the row rule `lifecycle_image` does: times, storage classes, tags, children, subjects, layers."""

from __future__ import annotations

import gc
import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ecrcost import sqlfiles
from ecrcost.cli import main
from ecrcost.inventory.model import Blob, Image, Repository, Snapshot
from ecrcost.inventory.store import store_snapshot
from ecrcost.lifecycle import cli as lifecycle_cli
from ecrcost.lifecycle.model import (
    ARCHIVE,
    STANDARD,
    LifecycleImage,
    columns_of,
    lifecycle_image,
    load_images,
)
from ecrcost.lifecycle.policy import parse_policy
from ecrcost.lifecycle.simulate import simulate
from ecrcost.prices import PriceTable

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


def canonical(images) -> list[tuple[LifecycleImage, list | None]]:
    """Each image without its layers, and its layers as (size, the digests of the images of the
    repository that hold the same blob): blob keys are the loader's own (ids standing for the
    (digest, size) pairs), so what must match is which images share which blob, and its size."""
    images = list(images)
    holders: dict[object, set[str]] = {}
    for i in images:
        for key, _ in i.layers or ():
            holders.setdefault(key, set()).add(i.digest)
    return [
        (
            replace(i, layers=None),
            None
            if i.layers is None
            else sorted((size, tuple(sorted(holders[key]))) for key, size in i.layers),
        )
        for i in images
    ]


@pytest.mark.parametrize("layers", [True, False])
def test_columns_load_as_the_row_rule_reads(con, stored, layers):
    loaded = load_images(con, stored, manifests_read=True, layers=layers)
    expected = row_rule(con, stored, layers)
    assert {k: canonical(v) for k, v in loaded.items()} == {
        k: canonical(v) for k, v in expected.items()
    }
    web = list(loaded[("111122223333", "us-east-1", "web")])
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
        sizes = [sorted(size for _, size in i.layers) for i in (web[0], web[1])]
        assert sizes == [[101, BASE.size_bytes], [102, BASE.size_bytes]]
        base_keys = {next(k for k, s in i.layers if s == BASE.size_bytes) for i in web if i.layers}
        assert len(base_keys) == 1  # the base layer is one blob in all four images
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


def varied_snapshot(seed: int, repositories: int = 6) -> Snapshot:
    """Repositories of every kind of image the simulator distinguishes: tags (none, one, several),
    pulls, archived and activating images, manifest lists with children, referrers, shared base
    layers, unread manifests, one blob that two repositories share, a size-unknown image."""
    rng = random.Random(seed)
    shared = Blob("sha256:" + "c" * 64, 5_000)  # in every repository
    repos = []
    for r in range(repositories):
        base = Blob(f"sha256:{r:062x}aa", 70_000_000 + r)
        repo = Repository("111122223333", ("us-east-1", "eu-west-1")[r % 2], f"team/svc-{r}",
                          f"arn:aws:ecr:us-east-1:111122223333:repository/team/svc-{r}")  # fmt: skip
        images: list[Image] = []
        for k in range(rng.randrange(8, 40)):
            digest = f"sha256:{r:032x}{k:032x}"
            roll = rng.random()
            tags = [] if roll < 0.2 else [f"v1.{k}"] if roll < 0.5 else [f"main-{k}", "latest"]
            status = rng.choice(["ACTIVE"] * 8 + ["ARCHIVED", "ACTIVATING"])
            pushed = TAKEN - timedelta(days=rng.randrange(200), seconds=rng.randrange(86400))
            images.append(
                image(
                    k,
                    digest=digest,
                    tags=tags,
                    pushed_at=pushed,
                    last_pulled_at=pushed + timedelta(days=3) if rng.random() < 0.4 else None,
                    status=status,
                    archived_at=TAKEN - timedelta(days=rng.randrange(1, 200))
                    if status == "ARCHIVED"
                    else None,
                    activated_at=TAKEN - timedelta(hours=2) if status == "ACTIVATING" else None,
                    size_bytes=None if rng.random() < 0.05 else 1000 + k,
                    blobs=None
                    if rng.random() < 0.1
                    else [base, shared, Blob(f"sha256:{r:031x}{k:032x}f", 100 + k)],
                )
            )
        images.append(image(90, digest=f"sha256:{r:032x}{90:032x}", tags=["multi"], blobs=None,
                            child_digests=[images[0].digest, images[1].digest], size_bytes=None))  # fmt: skip
        images.append(image(91, digest=f"sha256:{r:032x}{91:032x}", tags=[], blobs=None,
                            subject_digest=images[2].digest))  # fmt: skip
        repo.images = images
        repos.append(repo)
    return Snapshot(taken_at=TAKEN, source="test", manifests_read=True, repositories=repos)


POLICY = {
    "rules": [
        {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}},
        {"rulePriority": 2, "selection": {"tagStatus": "tagged", "tagPatternList": ["latest"], "countType": "imageCountMoreThan", "countNumber": 1}, "action": {"type": "expire"}},
        {"rulePriority": 3, "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 20}, "action": {"type": "transition", "targetStorageClass": "archive"}},
        {"rulePriority": 4, "selection": {"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned", "countUnit": "days", "countNumber": 90}, "action": {"type": "expire"}},
        {"rulePriority": 5, "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 60}, "action": {"type": "expire"}},
    ]
}  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_simulating_columns_equals_simulating_the_row_rules_images(con, seed):
    """The planner's path (columns loaded by DuckDB and Arrow) and the row path (every row
    through `lifecycle_image`, blobs as (digest, size) pairs) give the same evaluation, the same
    freed bytes and dollars, and the same danger flags, repository by repository."""
    snapshot_id = store_snapshot(con, varied_snapshot(seed))
    policy = parse_policy(json.dumps(POLICY))
    loaded = load_images(con, snapshot_id, manifests_read=True, layers=True)
    rows = row_rule(con, snapshot_id, layers=True)
    assert loaded.keys() == rows.keys()
    for key, columns in loaded.items():
        by_columns = simulate(policy, columns, TAKEN, PriceTable(), key[1])
        by_rows = simulate(policy, rows[key], TAKEN, PriceTable(), key[1])
        assert by_columns.to_json() == by_rows.to_json()
        assert by_columns.savings == by_rows.savings
        assert by_columns.savings.freed_bytes > 0 and by_columns.expired > 0  # not vacuous
    kinds = {
        d.kind
        for r in rows.values()
        for d in simulate(policy, r, TAKEN, PriceTable(), None).dangers
    }
    assert {"recently_pulled", "manifest_list_removed"} <= kinds


def test_columns_are_the_images_they_came_from():
    images = [i for r in row_rule_free_images() for i in r]
    columns = columns_of(images)
    assert list(columns) == images and len(columns) == len(images)
    assert columns[-1] == images[-1] and columns[1:3] == images[1:3]
    with pytest.raises(IndexError):
        columns[len(images)]
    assert columns_of(columns) is columns


def row_rule_free_images() -> list[list[LifecycleImage]]:
    """LifecycleImages written directly (not through the warehouse), every optional field set
    somewhere: tags with several entries, pulls, archive, activation, children, a subject,
    unknown and empty layers."""
    pushed = TAKEN - timedelta(days=3, microseconds=7)
    return [[
        LifecycleImage("sha256:a", ("v1", "latest"), pushed, pushed + timedelta(hours=1), 10,
                       layers=(("sha256:l1", 4), ("sha256:l2", 6))),
        LifecycleImage("sha256:b", (), pushed, None, None, ARCHIVE, pushed, None, None),
        LifecycleImage("sha256:c", ("x",), pushed, None, 3, "activating", None, TAKEN, ()),
        LifecycleImage("sha256:d", ("multi",), pushed, None, None, child_digests=("sha256:a",),
                       layers=()),
        LifecycleImage("sha256:e", (), pushed, None, 1, subject_digest="sha256:a",
                       layers=(("sha256:l1", 4),)),
    ]]  # fmt: skip


def test_a_key_two_images_share_makes_the_load_take_the_next_salt(con, stored, monkeypatch):
    """Image keys are 64-bit hashes: when two distinct images of the snapshot share one (forced
    here for salt 0), the load is redone with the next salt and reads exactly as usual."""
    usual = load_images(con, stored, manifests_read=True, layers=True)
    load_sql = sqlfiles.load_sql
    salts: list[int] = []
    real_arrow_table = sqlfiles.arrow_table

    def colliding(name: str) -> str:
        text = load_sql(name)
        if name == "lifecycle/image_columns":  # every image of a repository shares a key
            key = (
                "hash(concat_ws(chr(10), $salt, account_id, region, repository_name, image_digest))"
            )
            assert f"{key} AS image_key" in text
            text = text.replace(
                f"{key} AS image_key",
                f"CASE WHEN $salt = 0 THEN hash(repository_name) ELSE {key} END AS image_key",
            )
        return text

    def spy(con, name, params):
        if name == "lifecycle/image_columns":
            salts.append(params["salt"])
        return real_arrow_table(con, name, params)

    monkeypatch.setattr(sqlfiles, "load_sql", colliding)
    monkeypatch.setattr(sqlfiles, "arrow_table", spy)
    again = load_images(con, stored, manifests_read=True, layers=True)
    assert {k: canonical(v) for k, v in again.items()} == {
        k: canonical(v) for k, v in usual.items()
    }
    assert salts == [0, 1]


def test_a_repeated_image_row_is_not_taken_for_a_collision(con, stored):
    """The same image stored twice (a repeat, not two images on one key) loads with the first
    salt: both rows are listed, the blobs go to one of them."""
    con.execute(
        "INSERT INTO ecr_images SELECT * FROM ecr_images WHERE snapshot_id = ? "
        "AND repository_name = 'api'",
        [stored],
    )
    loaded = load_images(con, stored, manifests_read=True, layers=True)
    api = list(loaded[("111122223333", "eu-west-1", "api")])
    assert [i.digest for i in api] == [f"sha256:{7:064x}"] * 2
    assert sorted(i.layers is not None for i in api) == [False, True]


def test_a_salt_changes_every_key_not_only_all_of_them_alike(con, stored):
    """Two images colliding under one salt must not collide under the next: the salt is part of
    the hashed text. (DuckDB's hash of several arguments combines their hashes, so a salt passed
    as one more argument would shift every key alike and keep every collision.)"""
    text = sqlfiles.load_sql("lifecycle/image_columns")
    key = text[text.index("hash(concat_ws") : text.index(" AS image_key")]
    rows = con.execute(
        f"SELECT {key.replace('$salt', '0')}, {key.replace('$salt', '1')} "
        "FROM ecr_images WHERE snapshot_id = ? ORDER BY image_digest",
        [stored],
    ).fetchall()
    a, b = rows[0], rows[1]
    assert a[0] ^ b[0] != a[1] ^ b[1]
    shifted = con.execute(  # what the test guards against: the salt as one more argument
        "SELECT xor(hash('x', 'y', 0), hash('p', 'q', 0)) = xor(hash('x', 'y', 1), hash('p', 'q', 1))"
    ).fetchall()
    assert shifted == [(True,)]
