"""Snapshot -> warehouse -> billed sizes and the playbook CSV, on a hand-built repository set
whose figures are worked out by hand below (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from fixtures_sql import fail_at

from ecrcost import warehouse
from ecrcost.cli import main
from ecrcost.inventory.model import Blob, Image, Repository, ScanError, Snapshot
from ecrcost.inventory.output import dollars, playbook_csv
from ecrcost.inventory.store import billed_sizes, store_snapshot
from ecrcost.prices import PriceTable
from ecrcost.settings import load_settings

MIB = 1024**2
KIB = 1024
INDEX = "application/vnd.oci.image.index.v1+json"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _blobs(config: str, *layers: tuple[str, int]) -> list[Blob]:
    return [Blob(f"sha256:{config}", KIB, "config")] + [
        Blob(f"sha256:{d}", size, "layer") for d, size in layers
    ]


BASE, A, B, C, D, E = (
    ("base", 100 * MIB),
    ("a", 30 * MIB),
    ("b", 20 * MIB),
    ("c", 40 * MIB),
    (
        "d",
        10 * MIB,
    ),
    ("e", 50 * MIB),
)


def sample_snapshot(manifests_read: bool = True, taken_at: datetime = T0) -> Snapshot:
    def img(digest, tags, size, blobs, **kw):
        return Image(
            digest=f"sha256:{digest}",
            tags=tags,
            size_bytes=size,
            pushed_at=T0.replace(day=kw.pop("day", 1)),
            blobs=blobs if manifests_read else None,
            **kw,
        )

    app = Repository(
        account_id="111111111111",
        region="us-east-1",
        name="app",
        arn="arn:aws:ecr:us-east-1:111111111111:repository/app",
        tags={"team": "web", "env": "prod"},
        lifecycle_policy='{"rules": []}',
        images=[
            img(
                "i1",
                ["v1"],
                130 * MIB + KIB,
                _blobs("c1", BASE, A),
                day=2,
                last_pulled_at=datetime(2026, 2, 20, tzinfo=UTC),
            ),
            img("i2", [], 120 * MIB + KIB, _blobs("c2", BASE, B), day=3),
            # multi-arch index: its size repeats the largest child, its blobs are the children's
            img(
                "idx",
                ["latest"],
                140 * MIB + KIB,
                [],
                day=4,
                manifest_media_type=INDEX,
                child_digests=["sha256:i3", "sha256:i4"],
            ),
            img("i3", [], 140 * MIB + KIB, _blobs("c3", BASE, C), day=4),
            img("i4", [], 110 * MIB + KIB, _blobs("c4", BASE, D), day=4),
            img(
                "i5",
                ["old"],
                50 * MIB + KIB,
                _blobs("c5", E),
                day=1,
                status="ARCHIVED",
                archived_at=datetime(2026, 2, 1, tzinfo=UTC),
            ),
        ],
    )
    bare = Repository(
        account_id="222222222222",
        region="eu-west-1",
        name="bare",
        arn="arn:aws:ecr:eu-west-1:222222222222:repository/bare",
        images=[img("j1", ["x"], 3 * MIB, _blobs("cj", ("j", 3 * MIB - KIB)))],
    )
    return Snapshot(taken_at, "aws", manifests_read, [app, bare])


# Worked out by hand:
APP_SUMMED = (130 + 120 + 140 + 140 + 110) * MIB + 5 * KIB  # ACTIVE rows, index included
APP_DEDUP = (100 + 30 + 20 + 40 + 10) * MIB + 4 * KIB  # unique layers + 4 configs, ACTIVE
APP_ESTIMATE = (130 + 120 + 140 + 110) * MIB + 4 * KIB  # ACTIVE rows without the index
APP_ARCHIVED = 50 * MIB + KIB


def test_billed_sizes_deduplicate_layers_and_count_index_children_once(con):
    sid = store_snapshot(con, sample_snapshot())
    settings = load_settings(env={})
    app, bare = billed_sizes(con, settings, sid)
    assert (app.repository_name, app.size_basis, app.image_count) == ("app", "deduplicated", 6)
    assert (app.untagged_count, app.archived_count) == (3, 1)
    assert app.summed_image_bytes == APP_SUMMED
    assert app.billed_bytes == APP_DEDUP
    assert app.archived_bytes == APP_ARCHIVED
    assert app.monthly_cost == pytest.approx((APP_DEDUP + APP_ARCHIVED) / 1024**3 * 0.10)
    assert (bare.billed_bytes, bare.size_basis) == (3 * MIB, "deduplicated")


def test_without_manifests_the_size_is_an_estimate_without_index_rows(con):
    sid = store_snapshot(con, sample_snapshot(manifests_read=False))
    app, _ = billed_sizes(con, load_settings(env={}), sid)
    assert (app.size_basis, app.billed_bytes) == ("estimated", APP_ESTIMATE)
    assert app.archived_bytes == APP_ARCHIVED
    assert con.execute("SELECT count(*) FROM ecr_image_blobs").fetchone() == (0,)


def test_price_override_per_region_changes_only_that_region(con):
    store_snapshot(con, sample_snapshot())
    prices = PriceTable.from_mapping({"regions": {"eu-west-1": {"storage_per_gb_month": 0.5}}})
    settings = load_settings({"prices": prices}, env={})
    app, bare = billed_sizes(con, settings)  # latest snapshot
    assert bare.monthly_cost == pytest.approx(3 / 1024 * 0.5)
    assert app.monthly_cost == pytest.approx((APP_DEDUP + APP_ARCHIVED) / 1024**3 * 0.10)


def test_rows_are_stamped_and_older_snapshots_kept_and_reload_replaces(con):
    first = store_snapshot(con, sample_snapshot())
    again = store_snapshot(con, sample_snapshot())
    later = store_snapshot(con, sample_snapshot(taken_at=T0.replace(day=2)))
    assert first == again != later
    rows = con.execute(
        "SELECT snapshot_id, taken_at, count(*) FROM ecr_images GROUP BY ALL ORDER BY 2"
    ).fetchall()
    assert rows == [(first, datetime(2026, 3, 1, 12), 7), (later, datetime(2026, 3, 2, 12), 7)]
    assert billed_sizes(con, load_settings(env={}))[0].snapshot_id == later
    policies = con.execute(
        "SELECT repository_name, policy_text FROM ecr_lifecycle_policies "
        "WHERE snapshot_id = ? ORDER BY 1",
        [later],
    ).fetchall()
    assert policies == [("app", '{"rules": []}'), ("bare", None)]
    tags = con.execute(
        "SELECT tag_key, tag_value FROM ecr_repository_tags WHERE snapshot_id = ?", [later]
    ).fetchall()
    assert sorted(tags) == [("env", "prod"), ("team", "web")]


def test_a_failed_store_leaves_nothing_behind(con, monkeypatch):
    fail_at(monkeypatch, "inventory/insert_image_blobs")
    with pytest.raises(RuntimeError):
        store_snapshot(con, sample_snapshot())
    for table in ("ecr_snapshots", "ecr_repositories", "ecr_images"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)


def test_playbook_csv_matches_the_script_format(con):
    sid = store_snapshot(con, sample_snapshot())
    sizes = billed_sizes(con, load_settings(env={}), sid)
    text = playbook_csv(sizes, PriceTable())
    # app: 640 MiB + 5 KiB -> "640 MB"; 0.625005 GiB x $0.10 = 0.0625 -> 0.06 (bc: 0.06)
    assert text == "Repositories,Size,Expected Cost\napp,640 MB,0.06\nbare,3 MB,0.00\n"
    assert dollars(0.125) == "0.13"  # half up where bc would print .12


def test_from_snapshot_cli_loads_a_file_and_prints_detailed_csv(home, tmp_path, capsys):
    snap = sample_snapshot()
    snap.errors.append(
        ScanError("222222222222", "us-west-2", None, "DescribeRepositories", "AccessDenied", "no")
    )
    path = snap.write(tmp_path / "inventory" / "snapshot.json.gz")
    code = main(
        ["inventory", "--from-snapshot", str(path), "--home", str(home), "--csv", "--detailed"]
    )
    out, err = capsys.readouterr()
    assert code == 3
    lines = out.splitlines()
    assert lines[0].startswith("Repositories,Size,Expected Cost,Account,Region,Images,Untagged,")
    assert lines[1] == (
        f"app,640 MB,0.06,111111111111,us-east-1,6,3,{APP_DEDUP},deduplicated,0.02,"
        "2026-03-01T12:00:00Z,2026-03-04T12:00:00Z,2026-02-20T00:00:00Z,true,env=prod;team=web,true"
    )
    assert lines[2].startswith("bare,3 MB,0.00,222222222222,eu-west-1,1,0,3145728,deduplicated,")
    assert lines[2].endswith(",false,,true")
    assert (
        "missing: account 222222222222 region us-west-2: DescribeRepositories failed: "
        "AccessDenied: no" in err
    )
    assert "inventory is partial: 1 part(s) missing" in err
    with warehouse.opened(home / "warehouse.duckdb") as con:
        errors = con.execute("SELECT count(*), min(message) FROM ecr_scan_errors").fetchone()
    assert errors == (1, "no")


@pytest.mark.parametrize("tags", [["v1", ""], ["ok", "two\nlines"]])
def test_a_snapshot_file_with_a_tag_ecr_cannot_hold_is_refused(home, tmp_path, capsys, tags):
    """Empty tags and tags with a line break never come from ECR (the simulator holds an image's
    tags one per line): one line naming the file and the image, exit 2, nothing stored."""
    snap = sample_snapshot()
    snap.repositories[0].images[0].tags = tags
    path = snap.write(tmp_path / "snapshot.json.gz")
    code = main(["inventory", "--from-snapshot", str(path), "--home", str(home)])
    err = capsys.readouterr().err
    assert code == 2
    digest = snap.repositories[0].images[0].digest
    assert f"{path}: snapshot field missing or invalid: image {digest}: an empty tag" in err
    assert len(err.strip().splitlines()) == 1
    assert not (home / "warehouse.duckdb").exists() or warehouse_images(home) == 0


def warehouse_images(home) -> int:
    with warehouse.opened(home / "warehouse.duckdb") as con:
        return con.execute("SELECT count(*) FROM ecr_images").fetchone()[0]


def test_detailed_needs_csv(home, capsys):
    assert main(["inventory", "--detailed", "--home", str(home)]) == 2
    assert "--detailed only applies with --csv" in capsys.readouterr().err


def test_every_image_field_lands_in_its_column_through_a_snapshot_file(con, tmp_path):
    """The images table is staged a column at a time: each field in its own column, times from
    other zones as UTC wall time, absent values NULL."""
    plus2 = timezone(timedelta(hours=2))
    full = Image(
        "sha256:full", ["v1", "latest"], 123, T0, datetime(2026, 3, 2, 14, 0, tzinfo=plus2),
        "application/vnd.oci.image.manifest.v1+json", "application/spdx+json", "sha256:subj",
        "ARCHIVED", datetime(2026, 3, 3, tzinfo=UTC), datetime(2026, 3, 4, tzinfo=UTC),
        child_digests=["sha256:c1", "sha256:c2"],
    )  # fmt: skip
    bare = Image("sha256:bare", [], None, datetime(2026, 1, 1, 23, 30, tzinfo=UTC))
    repos = [
        Repository("111111111111", "eu-west-1", "one", "arn:one", images=[full]),
        Repository("222222222222", "us-east-1", "two", "arn:two", images=[bare]),
    ]
    path = Snapshot(T0, "test", repositories=repos).write(tmp_path / "s.json.gz")
    store_snapshot(con, Snapshot.read(path))
    rows = con.execute(
        "SELECT * EXCLUDE (snapshot_id, taken_at) FROM ecr_images ORDER BY image_digest"
    ).fetchall()
    assert rows == [
        ("222222222222", "us-east-1", "two", "sha256:bare", [], None,
         datetime(2026, 1, 1, 23, 30), None, None, None, None, "ACTIVE", None, None, []),
        ("111111111111", "eu-west-1", "one", "sha256:full", ["v1", "latest"], 123,
         datetime(2026, 3, 1, 12, 0), datetime(2026, 3, 2, 12, 0),
         "application/vnd.oci.image.manifest.v1+json", "application/spdx+json", "sha256:subj",
         "ARCHIVED", datetime(2026, 3, 3), datetime(2026, 3, 4), ["sha256:c1", "sha256:c2"]),
    ]  # fmt: skip
