"""Which snapshot commands use: the newest complete one; partial and empty ones are named."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ecrcost import cli, warehouse
from ecrcost.errors import UserError
from ecrcost.inventory.model import Image, Repository, ScanError, Snapshot
from ecrcost.inventory.snapshots import choose_snapshot, list_snapshots
from ecrcost.inventory.store import store_snapshot

ACCOUNT = "111111111111"


def snapshot(day: int, regions=("us-east-1",), errors=(), repositories=True) -> Snapshot:
    repos = [
        Repository(
            account_id=ACCOUNT,
            region=region,
            name=f"app-{region}",
            arn=f"arn:aws:ecr:{region}:{ACCOUNT}:repository/app-{region}",
            images=[Image("sha256:a", ["v1"], 10, datetime(2026, 11, 1, tzinfo=UTC))],
        )
        for region in regions
        if repositories
    ]
    return Snapshot(
        taken_at=datetime(2026, 11, day, 12, tzinfo=UTC),
        source="aws",
        repositories=repos,
        errors=[
            ScanError(ACCOUNT, r, None, "DescribeRepositories", "AccessDenied", "no")
            for r in errors
        ],
    )


def test_a_newer_partial_snapshot_does_not_replace_a_complete_one(con):
    complete = store_snapshot(con, snapshot(1, regions=("us-east-1", "eu-west-1")))
    partial = store_snapshot(con, snapshot(2, errors=("eu-west-1",)))
    choice = choose_snapshot(con)
    assert choice.snapshot_id == complete
    assert choice.describe() == (
        f"using snapshot {complete} taken at 2026-11-01T12:00:00Z (complete, 2 repositories)"
    )
    assert choice.notes == (
        f"passed over the newer snapshot {partial} taken at 2026-11-02T12:00:00Z: it is partial "
        f"(missing {ACCOUNT}/eu-west-1/*: DescribeRepositories AccessDenied); "
        f"pass --snapshot {partial} to use it",
    )
    chosen = choose_snapshot(con, partial)
    assert chosen.snapshot_id == partial
    assert chosen.notes[0].startswith(
        f"snapshot {partial} taken at 2026-11-02T12:00:00Z is partial"
    )


def test_an_empty_snapshot_from_a_mistyped_region_is_never_latest(con):
    good = store_snapshot(con, snapshot(1))
    empty = store_snapshot(con, snapshot(3, regions=("us-esat-1",), repositories=False))
    assert choose_snapshot(con).snapshot_id == good
    listed = {s.snapshot_id: s for s in list_snapshots(con)}
    assert listed[empty].state == "empty" and listed[good].state == "complete"
    assert [s.snapshot_id for s in list_snapshots(con)] == [empty, good]  # newest first


def test_without_a_complete_snapshot_the_newest_partial_one_is_used_and_said(con):
    partial = store_snapshot(con, snapshot(2, regions=("us-east-1",), errors=("eu-west-1",)))
    choice = choose_snapshot(con)
    assert choice.snapshot_id == partial
    assert "is partial" in choice.notes[0] and "left out" in choice.notes[0]


def test_scope_and_missing_parts_are_listed(con):
    sid = store_snapshot(con, snapshot(2, regions=("us-east-1",), errors=("eu-west-1",)))
    (info,) = list_snapshots(con)
    assert info.snapshot_id == sid
    assert info.accounts == (ACCOUNT,)
    assert info.regions == ("eu-west-1", "us-east-1")
    assert (info.repository_count, info.image_count, info.state) == (1, 1, "partial")
    assert info.missing == (f"{ACCOUNT}/eu-west-1/*: DescribeRepositories AccessDenied",)


def test_no_snapshot_and_unknown_ids_are_one_line_errors(con):
    with pytest.raises(
        UserError, match=r"no inventory snapshot in the warehouse: run `ecrcost inventory` first"
    ):
        choose_snapshot(con)
    store_snapshot(con, snapshot(1))
    with pytest.raises(UserError, match=r"--snapshot nope: no such snapshot"):
        choose_snapshot(con, "nope")


# ---- `ecrcost snapshots` and what `inventory` says about the snapshot it stored ----------


def _stored_in_home(home, *snapshots) -> list[str]:
    with warehouse.opened(home / "warehouse.duckdb") as c:
        return [store_snapshot(c, s) for s in snapshots]


def test_snapshots_command_lists_every_snapshot_newest_first(home, capsys):
    good, partial, empty = _stored_in_home(
        home,
        snapshot(1, regions=("us-east-1", "eu-west-1")),
        snapshot(2, errors=("eu-west-1",)),
        snapshot(3, regions=("us-esat-1",), repositories=False),
    )
    assert cli.main(["snapshots", "--home", str(home)]) == 0
    w = len(good)
    missing = f"{ACCOUNT}/eu-west-1/*: DescribeRepositories AccessDenied"
    assert capsys.readouterr().out.splitlines() == [
        f"{'SNAPSHOT'.ljust(w)}  TAKEN AT              SOURCE  ACCOUNTS      "
        f"REGIONS              REPOS  IMAGES  STATE     {'MISSING'.ljust(len(missing))}  IN USE",
        f"{empty}  2026-11-03T12:00:00Z  aws{' ' * 44}0       0  empty",
        f"{partial}  2026-11-02T12:00:00Z  aws     {ACCOUNT}  eu-west-1;us-east-1      1       "
        f"1  partial   {ACCOUNT}/eu-west-1/*: DescribeRepositories AccessDenied",
        f"{good}  2026-11-01T12:00:00Z  aws     {ACCOUNT}  eu-west-1;us-east-1      2       "
        "2  complete",
    ]


def test_snapshots_command_json_and_csv(home, capsys):
    (partial,) = _stored_in_home(home, snapshot(2, errors=("eu-west-1", "ap-south-1")))
    assert cli.main(["snapshots", "--home", str(home), "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {
            "snapshot_id": partial,
            "taken_at": "2026-11-02T12:00:00Z",
            "source": "aws",
            "manifests_read": False,
            "accounts": [ACCOUNT],
            "regions": ["ap-south-1", "eu-west-1", "us-east-1"],
            "repositories": 1,
            "images": 1,
            "state": "partial",
            "missing": [
                f"{ACCOUNT}/ap-south-1/*: DescribeRepositories AccessDenied",
                f"{ACCOUNT}/eu-west-1/*: DescribeRepositories AccessDenied",
            ],
            "in_use_sources": [],
        }
    ]
    assert cli.main(["snapshots", "--home", str(home), "--output", "csv"]) == 0
    assert capsys.readouterr().out == (
        "snapshot_id,taken_at,source,accounts,regions,repositories,images,state,missing,in_use\n"
        f"{partial},2026-11-02T12:00:00Z,aws,{ACCOUNT},ap-south-1;eu-west-1;us-east-1,1,1,"
        f"partial,{ACCOUNT}/ap-south-1/*: DescribeRepositories AccessDenied;"
        f"{ACCOUNT}/eu-west-1/*: DescribeRepositories AccessDenied,\n"
    )


def test_snapshots_command_on_an_empty_warehouse(home, capsys):
    assert cli.main(["snapshots", "--home", str(home)]) == 0
    assert capsys.readouterr().out == (
        "no inventory snapshot in the warehouse: run `ecrcost inventory` first\n"
    )
    assert cli.main(["snapshots", "--home", str(home), "-o", "json"]) == 0
    assert capsys.readouterr().out == "[]\n"
    assert not (home / "warehouse.duckdb").exists()  # listing creates nothing


@pytest.mark.parametrize("kind", ["empty", "partial", "complete"])
def test_inventory_says_a_partial_or_empty_snapshot_is_not_used_silently(
    home, tmp_path, capsys, kind
):
    s = {
        "empty": snapshot(3, regions=("us-esat-1",), repositories=False),
        "partial": snapshot(2, errors=("eu-west-1",)),
        "complete": snapshot(1),
    }[kind]
    path = tmp_path / "snap.json"
    s.write(path)
    code = cli.main(["inventory", "--from-snapshot", str(path), "--home", str(home)])
    out = capsys.readouterr().out.splitlines()
    sid = out[0].split()[1]
    tail = (
        ": later commands (policy plan/apply, findings, report) will not use it silently; they "
        f"take the newest complete snapshot. Pass --snapshot {sid} to use this one"
    )
    label = f"snapshot {sid} taken at 2026-11-0{s.taken_at.day}T12:00:00Z"
    if kind == "empty":
        assert code == 0
        assert out[-1] == f"{label} holds no repository{tail}"
    elif kind == "partial":
        assert code == 3
        assert out[-1] == (
            f"{label} is partial (missing {ACCOUNT}/eu-west-1/*: DescribeRepositories "
            f"AccessDenied){tail}"
        )
    else:
        assert code == 0 and not any("silently" in line for line in out)
