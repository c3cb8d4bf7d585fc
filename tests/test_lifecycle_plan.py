"""Plan over the warehouse's latest snapshot, and the `ecrcost policy` commands end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ecrcost import warehouse
from ecrcost.cli import main
from ecrcost.lifecycle.candidate import plan_candidate_policy
from ecrcost.lifecycle.plan import load_inventory, plan_policy
from ecrcost.prices import GIB
from ecrcost.resources import base_policy_path
from ecrcost.settings import load_settings

TAKEN = datetime(2026, 3, 1, 6, 0)  # naive UTC, as the warehouse stores it
ACCOUNT, REGION = "111122223333", "us-east-1"
OLD_POLICY = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": "old: keep 50 images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": 50,
                },
                "action": {"type": "expire"},
            }
        ]
    }
)


def add_snapshot(con, snapshot_id: str, taken: datetime, manifests_read: bool = True) -> None:
    con.execute(
        "INSERT INTO ecr_snapshots VALUES (?, ?, 'test', ?, 0, 0, 0)",
        [snapshot_id, taken, manifests_read],
    )


def add_repo(con, snap: str, name: str, policy: str | None = None, tags=(), complete=True):
    con.execute(
        "INSERT INTO ecr_repositories VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?)",
        [
            snap,
            TAKEN,
            ACCOUNT,
            REGION,
            name,
            f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}",
            complete,
        ],
    )
    con.execute(
        "INSERT INTO ecr_lifecycle_policies VALUES (?, ?, ?, ?, ?, ?)",
        [snap, TAKEN, ACCOUNT, REGION, name, policy],
    )
    for key, value in tags:
        con.execute(
            "INSERT INTO ecr_repository_tags VALUES (?, ?, ?, ?, ?, ?, ?)",
            [snap, TAKEN, ACCOUNT, REGION, name, key, value],
        )


def add_image(con, snap, repo, digest, tags, days, layers=(), pulled_days=None, size=None):
    con.execute(
        "INSERT INTO ecr_images VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, "
        "'ACTIVE', NULL, NULL, [])",
        [
            snap,
            TAKEN,
            ACCOUNT,
            REGION,
            repo,
            digest,
            list(tags),
            size if size is not None else sum(s for _, s in layers),
            TAKEN - timedelta(days=days),
            None if pulled_days is None else TAKEN - timedelta(days=pulled_days),
        ],
    )
    for blob, blob_size in layers:
        con.execute(
            "INSERT INTO ecr_image_blobs VALUES (?, ?, ?, ?, ?, ?, ?, 'layer', ?, NULL)",
            [snap, TAKEN, ACCOUNT, REGION, repo, digest, blob, blob_size],
        )


@pytest.fixture(scope="module")
def warehouse_home(tmp_path_factory) -> Path:
    """Built once; the tests only read it."""
    home = tmp_path_factory.mktemp("home")
    con = warehouse.connect(home / "warehouse.duckdb")
    con.execute("BEGIN TRANSACTION")
    # An older snapshot whose rows must be ignored.
    add_snapshot(con, "old", TAKEN - timedelta(days=7))
    add_repo(con, "old", "web")
    for k in range(30):
        add_image(con, "old", "web", f"sha256:old{k}", (), 10 + k, [(f"o{k}", GIB)])
    add_snapshot(con, "s1", TAKEN)
    add_repo(con, "s1", "web", OLD_POLICY)
    # web: 3 untagged (2 go), latest x2 (1 goes), releases v1..v12 (3 go).
    base = ("sha256:base", 2 * GIB)
    for k in range(3):
        add_image(con, "s1", "web", f"sha256:u{k}", (), k + 1, [base, (f"u{k}", GIB)])
    add_image(con, "s1", "web", "sha256:latest-new", ("latest",), 1, [base, ("ln", GIB)])
    add_image(
        con,
        "s1",
        "web",
        "sha256:latest-old",
        ("latest-old", "latest"),
        40,
        [base, ("lo", GIB)],
        pulled_days=2,
    )
    for k in range(1, 13):
        add_image(
            con,
            "s1",
            "web",
            f"sha256:v{k:02d}",
            (f"v1.{k}.0",),
            100 - k,
            [base, (f"v{k}", GIB // 2)],
        )
    add_repo(con, "s1", "payments", None, tags=[("ecrcost:exempt", "true")])
    for k in range(5):
        add_image(con, "s1", "payments", f"sha256:p{k}", (), k + 1, [(f"p{k}", GIB)])
    add_repo(con, "s1", "legacy-api")  # no policy, layers unknown
    for k in range(3):
        add_image(con, "s1", "legacy-api", f"sha256:l{k}", (), k + 1, size=GIB)
    add_repo(con, "s1", "half-scanned", complete=False)
    add_image(con, "s1", "half-scanned", "sha256:h0", (), 1, [("h0", 1)])
    add_image(con, "s1", "half-scanned", "sha256:h1", (), 2, [("h1", 1)])
    con.execute("COMMIT")
    con.close()
    return home


def test_plan_figures_per_repository(warehouse_home: Path) -> None:
    settings = load_settings({"home": str(warehouse_home)}, env={})
    con = warehouse.connect(settings.warehouse_path, read_only=True)
    plan = plan_policy(con, settings, base_policy_path().read_text(), None, None)
    con.close()
    assert plan.snapshot_id == "s1"
    assert plan.evaluated_at == TAKEN.replace(tzinfo=UTC)
    repos = {r.repository_name: r for r in plan.repositories}
    assert sorted(repos) == ["half-scanned", "legacy-api", "payments", "web"]

    web = repos["web"]
    gone = {(i["digest"], i["rule_priority"]) for i in web.images_to_go}
    assert gone == {
        ("sha256:u1", 1),
        ("sha256:u2", 1),
        ("sha256:latest-old", 2),
        ("sha256:v01", 3),
        ("sha256:v02", 3),
        ("sha256:v03", 3),
    }
    # 2 untagged (1 GB each) + latest-old (1 GB) + 3 releases (0.5 GB each); base stays.
    assert web.freed_bytes == 3 * GIB + 3 * (GIB // 2)
    assert web.monthly_savings_usd == pytest.approx(4.5 * 0.10)
    assert web.upper_bound is False
    assert web.current_policy_would_remove == 0
    assert [(d.kind, d.digest) for d in web.dangers] == [("recently_pulled", "sha256:latest-old")]
    assert '-        "countNumber": 50\n' in web.diff and '+        "countNumber": 20\n' in web.diff
    assert web.diff.startswith("--- web (current)\n+++ web (proposed)\n")

    legacy = repos["legacy-api"]
    assert legacy.expired == 2 and legacy.freed_bytes == 2 * GIB and legacy.upper_bound
    assert legacy.diff.startswith("--- legacy-api (current: no policy)\n")
    assert legacy.current_policy_would_remove is None

    payments = repos["payments"]
    assert payments.skipped_reason == "carries the exemption tag ecrcost:exempt"
    assert payments.proposed_policy_text is None and payments.images_to_go == []
    assert [d.kind for d in payments.dangers] == ["exempt_repository"]
    assert repos["half-scanned"].skipped_reason.startswith("its inventory is incomplete")

    totals = plan.totals
    assert totals["repositories_planned"] == 2 and totals["repositories_skipped"] == 2
    assert totals["expired"] == 8
    assert totals["freed_bytes"] == web.freed_bytes + 2 * GIB
    assert totals["monthly_savings_usd"] == pytest.approx(6.5 * 0.10)
    assert totals["upper_bound"] is True


def test_plan_globs_and_settings_exemptions(warehouse_home: Path) -> None:
    settings = load_settings(
        {"home": str(warehouse_home), "exempt_repositories": "legacy-*"}, env={}
    )
    con = warehouse.connect(settings.warehouse_path, read_only=True)
    plan = plan_policy(con, settings, base_policy_path().read_text(), ["*a*"], ["pay*"])
    con.close()
    assert [(r.repository_name, r.skipped_reason) for r in plan.repositories] == [
        ("half-scanned", "its inventory is incomplete (a call failed); re-run the inventory first"),
        ("legacy-api", "matches exempt_repositories entry 'legacy-*'"),
    ]


def test_cli_plan_json_and_table(warehouse_home: Path, capsys) -> None:
    argv = ["policy", "plan", "--home", str(warehouse_home), "--repositories", "web"]
    assert main([*argv, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["evaluated_at"] == "2026-03-01T06:00:00Z"
    assert doc["totals"]["expired"] == 6 and doc["totals"]["freed_bytes"] == 4.5 * GIB
    assert main(["policy", "plan", "--home", str(warehouse_home)]) == 0
    out = capsys.readouterr().out
    assert "skipped: carries the exemption tag ecrcost:exempt" in out
    assert "total at 2026-03-01T06:00:00Z: 2 planned, 2 skipped, 8 expired" in out


def test_cli_simulate_from_warehouse(warehouse_home: Path, capsys) -> None:
    argv = ["policy", "simulate", "--home", str(warehouse_home), "--repositories", "legacy-*"]
    code = main([*argv, "--format", "json", "--at", "2026-03-01T06:00:00Z"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    [repo] = doc["repositories"]
    assert repo["repository_name"] == "legacy-api"
    assert [(i["digest"], i["action"]) for i in repo["images"]] == [
        ("sha256:l0", None),
        ("sha256:l1", "expire"),
        ("sha256:l2", "expire"),
    ]
    assert repo["dangers"] == []
    assert doc["summary"] == {
        "expired": 2,
        "transitioned": 0,
        "freed_bytes": 2 * GIB,
        "monthly_savings_usd": pytest.approx(0.2),
        "in_use": 0,
    }


def test_cli_simulate_flags_exempt_repository(warehouse_home: Path, capsys) -> None:
    args = ["policy", "simulate", "--home", str(warehouse_home), "--repositories", "payments"]
    assert main([*args, "--format", "json"]) == 0
    [repo] = json.loads(capsys.readouterr().out)["repositories"]
    assert repo["dangers"][0] == {
        "kind": "exempt_repository",
        "digest": None,
        "detail": "never planned: carries the exemption tag ecrcost:exempt",
    }
    assert repo["summary"]["expired"] == 4  # the what-if still shows what the policy would do


def test_cli_simulate_images_file(tmp_path: Path, capsys) -> None:
    images = [
        {
            "digest": "sha256:a",
            "tags": ["latest"],
            "pushed_at": "2026-02-27T00:00:00Z",
            "last_pulled_at": None,
            "size_bytes": GIB,
        },
        {
            "digest": "sha256:b",
            "tags": [],
            "pushed_at": "2026-02-20T00:00:00Z",
            "last_pulled_at": "2026-02-28T00:00:00Z",
            "size_bytes": GIB,
            "layers": [{"digest": "x", "size": 100}],
        },
        {
            "digest": "sha256:c",
            "tags": [],
            "pushed_at": "2026-02-10T00:00:00Z",
            "last_pulled_at": None,
            "size_bytes": GIB,
            "layers": [{"digest": "y", "size": 300}],
        },
    ]
    path = tmp_path / "images.json"
    path.write_text(json.dumps(images))
    argv = ["policy", "simulate", "--images", str(path), "--at", "2026-03-01T00:00:00Z"]
    code = main([*argv, "--format", "json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["evaluated_at"] == "2026-03-01T00:00:00Z"
    assert [(i["digest"], i["action"], i["rule_priority"]) for i in doc["images"]] == [
        ("sha256:a", None, None),
        ("sha256:b", None, None),
        ("sha256:c", "expire", 1),
    ]
    summary = doc["summary"]
    assert (summary["expired"], summary["transitioned"], summary["freed_bytes"]) == (1, 0, 300)
    assert summary["monthly_savings_usd"] == pytest.approx(300 / GIB * 0.10, abs=1e-6)


def test_cli_validate_and_bad_input(tmp_path: Path, capsys) -> None:
    assert main(["policy", "validate", str(base_policy_path())]) == 0
    assert "valid lifecycle policy (4 rule(s))" in capsys.readouterr().out
    bad = json.loads(base_policy_path().read_text())
    bad["rules"][0]["selection"]["countNumber"] = 0
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad, indent=2))
    assert main(["policy", "validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == (
        "",
        f"{path}: rule 1: selection.countNumber must be a positive integer (got 0)\n",
    )
    images = tmp_path / "i.json"
    images.write_text("[]")
    assert main(["policy", "simulate", "--policy", str(path), "--images", str(images)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.json: rule 1: selection.countNumber" in err
    images.write_text(json.dumps([{"digest": "d", "tags": [], "pushed_at": "yesterday"}]))
    assert main(["policy", "simulate", "--images", str(images)]) == 2
    assert "image #1 pushed_at: 'yesterday' is not an ISO 8601 time" in capsys.readouterr().err


def test_plan_without_inventory_is_a_user_error(home: Path, capsys) -> None:
    assert main(["policy", "plan", "--home", str(home)]) == 2
    assert "holds no inventory snapshot" in capsys.readouterr().err


def test_load_inventory_layers_manifest_lists_and_statuses(home: Path) -> None:
    con = warehouse.connect(home / "warehouse.duckdb")
    add_snapshot(con, "s", TAKEN, manifests_read=True)
    add_repo(con, "s", "multi")
    add_image(con, "s", "multi", "sha256:amd", (), 3, [("base", 10), ("amd-layer", 5)])
    add_image(con, "s", "multi", "sha256:unread", (), 2, size=7)  # manifest not read
    con.execute(
        "INSERT INTO ecr_images VALUES ('s', ?, ?, ?, 'multi', 'sha256:index', ['v1'], 15, ?, "
        "NULL, NULL, NULL, NULL, 'ACTIVE', NULL, NULL, ['sha256:amd'])",
        [TAKEN, ACCOUNT, REGION, TAKEN - timedelta(days=1)],
    )
    con.execute(
        "INSERT INTO ecr_images VALUES ('s', ?, ?, ?, 'multi', 'sha256:cold', [], 9, ?, NULL, "
        "NULL, NULL, NULL, 'ARCHIVED', ?, NULL, [])",
        [TAKEN, ACCOUNT, REGION, TAKEN - timedelta(days=400), TAKEN - timedelta(days=100)],
    )
    inventory = load_inventory(con, "ecrcost:exempt")
    con.close()
    [repo] = inventory.repositories
    got = {
        # layer sizes: the blob keys are the loader's ids (tests/test_lifecycle_load.py)
        i.digest: (i.storage_class, i.layers and sorted(s for _, s in i.layers), i.child_digests)
        for i in repo.images
    }
    assert [i.digest for i in repo.images] == sorted(got)
    assert got == {
        "sha256:amd": ("standard", [5, 10], ()),
        "sha256:cold": ("archive", None, ()),
        "sha256:index": ("standard", (), ("sha256:amd",)),
        "sha256:unread": ("standard", None, ()),
    }
    cold = next(i for i in repo.images if i.digest == "sha256:cold")
    assert cold.archived_at == (TAKEN - timedelta(days=100)).replace(tzinfo=UTC)


def test_candidate_policy_rows_are_the_plan(warehouse_home: Path, tmp_path: Path) -> None:
    settings = load_settings({"home": str(warehouse_home)}, env={})
    con = warehouse.connect(tmp_path / "copy.duckdb")
    assert plan_candidate_policy(con, settings) == (
        "no inventory snapshot: candidate policy not planned"
    )
    con.close()
    con = warehouse.connect(warehouse_home / "warehouse.duckdb")
    try:
        assert plan_candidate_policy(con, settings) is None
        assert plan_candidate_policy(con, settings) is None  # replaced, not added to
        stored = con.execute(
            "SELECT repository_name, skipped_reason, expired, transitioned, freed_bytes, "
            "monthly_savings_usd, upper_bound, dangers, has_current_policy "
            "FROM candidate_policy_plans WHERE snapshot_id = 's1' ORDER BY repository_name"
        ).fetchall()
        plan = plan_policy(con, settings, base_policy_path().read_text())
        con.execute("DELETE FROM candidate_policy_plans")  # the module's warehouse stays as built
    finally:
        con.close()
    assert stored == sorted(
        (r.repository_name, r.skipped_reason, r.expired, r.transitioned, r.freed_bytes,
         r.monthly_savings_usd, r.upper_bound, len(r.dangers), bool(r.current_policy_text))
        for r in plan.repositories
    )  # fmt: skip
    assert len(stored) == 4


def test_candidate_policy_over_a_chosen_snapshot(warehouse_home: Path) -> None:
    """The report's `--snapshot` reaches the candidate plan: rows land under that snapshot."""
    settings = load_settings({"home": str(warehouse_home)}, env={})
    con = warehouse.connect(warehouse_home / "warehouse.duckdb")
    try:
        assert plan_candidate_policy(con, settings, snapshot_id="old") is None
        stored = con.execute(
            "SELECT snapshot_id, repository_name, expired FROM candidate_policy_plans"
        ).fetchall()
        plan = plan_policy(con, settings, base_policy_path().read_text(), snapshot_id="old")
        con.execute("DELETE FROM candidate_policy_plans")  # the module's warehouse stays as built
    finally:
        con.close()
    assert plan.snapshot_id == "old"
    assert stored == [("old", r.repository_name, r.expired) for r in plan.repositories]
    assert stored and stored[0][2] > 0
