"""The cyclic collector is paused while a snapshot file is read and its rows staged, and is
back on afterwards, also after a bad file (gcpause.collector_paused)."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import pytest

from ecrcost import gcpause
from ecrcost.errors import UserError
from ecrcost.inventory import model, store
from ecrcost.inventory.model import Image, Repository, Snapshot

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_nested_pauses_reenable_only_at_the_outermost_and_never_a_collector_that_was_off():
    assert gc.isenabled()
    with gcpause.collector_paused():
        with gcpause.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gcpause.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(ValueError), gcpause.collector_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_snapshot_is_parsed_and_staged_without_the_collector(con, tmp_path, monkeypatch):
    seen: list[tuple[str, bool]] = []
    image_of, arrow_tables = model.image_of, store._arrow_tables

    def watched_image_of(d):
        seen.append(("image_of", gc.isenabled()))
        return image_of(d)

    def watched_arrow_tables(snapshot):
        seen.append(("_arrow_tables", gc.isenabled()))
        return arrow_tables(snapshot)

    monkeypatch.setattr(model, "image_of", watched_image_of)
    monkeypatch.setattr(store, "_arrow_tables", watched_arrow_tables)
    repo = Repository(
        "111111111111", "eu-west-1", "one", "arn:one", images=[Image("sha256:a", ["v1"], 5, T0)]
    )
    path = Snapshot(T0, "test", repositories=[repo]).write(tmp_path / "s.json.gz")
    snapshot = Snapshot.read(path)
    assert gc.isenabled()
    store.store_snapshot(con, snapshot)
    assert gc.isenabled()
    assert seen == [("image_of", False), ("_arrow_tables", False)]
    assert con.execute("SELECT image_digest, image_tags FROM ecr_images").fetchall() == [
        ("sha256:a", ["v1"])
    ]


def test_a_bad_snapshot_file_leaves_the_collector_on(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "ecrcost-inventory", "version": 1, "repositories": [{}]}')
    with pytest.raises(UserError, match=r"bad\.json: snapshot field missing or invalid"):
        Snapshot.read(path)
    assert gc.isenabled()
