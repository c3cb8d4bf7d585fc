"""The CLI on the sample organisation, as a user without AWS access would drive it."""

from __future__ import annotations

import json

from ecrcost import warehouse
from ecrcost.cli import main
from ecrcost.inventory.model import Snapshot


def _load_snapshot(sample_org, home) -> Snapshot:
    out, _ = sample_org
    snapshot_file = out / "inventory" / "snapshot.json.gz"
    assert main(["inventory", "--from-snapshot", str(snapshot_file), "--home", str(home)]) == 0
    return Snapshot.read(snapshot_file)


def test_inventory_cli_loads_the_sample_snapshot(sample_org, tmp_path, capsys):
    """An analyst without AWS access works from the snapshot file an engineer produced."""
    out, summary = sample_org
    snapshot_file = out / "inventory" / "snapshot.json.gz"
    home = tmp_path / "home"
    assert (
        main(["inventory", "--from-snapshot", str(snapshot_file), "--csv", "--home", str(home)])
        == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "Repositories,Size,Expected Cost"
    snapshot = Snapshot.read(snapshot_file)
    assert len(lines) - 1 == len(snapshot.repositories) == summary.repositories_at_end
    with warehouse.opened(home / "warehouse.duckdb", read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM ecr_images").fetchall()[0][0]
    assert stored == sum(len(r.images) for r in snapshot.repositories)


def test_policy_plan_and_simulate_on_the_sample(sample_org, tmp_path, capsys):
    home = tmp_path / "home"
    snapshot = _load_snapshot(sample_org, home)
    capsys.readouterr()
    assert main(["policy", "plan", "--format", "json", "--home", str(home)]) == 0
    plan = json.loads(capsys.readouterr().out)
    planned = {(r["account_id"], r["region"], r["repository_name"]) for r in plan["repositories"]}
    assert planned == {(r.account_id, r.region, r.name) for r in snapshot.repositories}
    total = sum(r["monthly_savings_usd"] for r in plan["repositories"] if not r["skipped_reason"])
    assert abs(plan["totals"]["monthly_savings_usd"] - total) < 1e-4  # per-row JSON rounding
    assert plan["totals"]["monthly_savings_usd"] > 0

    name = next(r.name for r in snapshot.repositories if len(r.images) > 25)
    assert (
        main(
            ["policy", "simulate", "--repositories", name, "--format", "json", "--home", str(home)]
        )
        == 0
    )
    simulated = json.loads(capsys.readouterr().out)
    by_key = {(r["account_id"], r["region"], r["repository_name"]): r for r in plan["repositories"]}
    assert simulated["repositories"]
    for repo in simulated["repositories"]:
        key = (repo["account_id"], repo["region"], repo["repository_name"])
        assert key[2] == name
        actions = [i["action"] for i in repo["images"]]
        images = next(
            r.images for r in snapshot.repositories if (r.account_id, r.region, r.name) == key
        )
        assert len(actions) == len(images)
        assert repo["summary"]["expired"] == actions.count("expire") == by_key[key]["expired"]
