"""The write commands' grammar: writes reach each account the way the snapshot read it,
`--dry-run` writes nothing, `--snapshot` chooses (and every command names) the snapshot, Ctrl-C
says what was kept. Over moto's server (HTTP), through `ecrcost.cli.main`."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from fixtures_actions import ACCOUNT, NEW, OLD, REGION, TAKEN, create_repo, fill_inventory, policy

from ecrcost import warehouse
from ecrcost.actions.export import export_terraform
from ecrcost.actions.selection import latest_repositories
from ecrcost.aws import AwsAccess
from ecrcost.cli import main
from ecrcost.inventory.model import AccountAccess, Snapshot

MEMBER = "210987654321"
ROLE = "ecrcost-writer"


@pytest.fixture
def settings(exempt_settings):
    return exempt_settings


def member_ecr() -> Any:
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{MEMBER}:role/{ROLE}", RoleSessionName="setup"
    )["Credentials"]
    return boto3.client(
        "ecr",
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def policy_file(tmp_path: Path, text: str = NEW) -> str:
    path = tmp_path / "policy.json"
    path.write_text(text)
    return str(path)


def live(ecr: Any, name: str) -> str | None:
    try:
        return ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]
    except ecr.exceptions.LifecyclePolicyNotFoundException:
        return None


@pytest.fixture
def api_calls(monkeypatch) -> list[str]:
    """Every AWS API operation the code under test calls from now on."""
    calls: list[str] = []
    original = BaseClient._make_api_call

    def recording(self: Any, operation: str, params: dict) -> Any:
        calls.append(operation)
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    return calls


# --- A: writes reach an account the way the snapshot read it --------------------------------


def test_apply_and_restore_reach_the_member_account_through_the_recorded_role(
    aws, settings, tmp_path, capsys, api_calls
):
    member = member_ecr()
    create_repo(member, "member/app", OLD)
    create_repo(aws, "own/app", OLD)
    home = str(settings.home)
    snapshot_file = tmp_path / "snapshot.json"
    code = main(["inventory", "--home", home, "--regions", REGION, "--out", str(snapshot_file),
                 "--accounts", f"{ACCOUNT},{MEMBER}", "--role-name", ROLE])  # fmt: skip
    assert code == 0, capsys.readouterr()
    assert json.loads(snapshot_file.read_text())["accounts"] == [
        {"account_id": ACCOUNT, "role_name": None, "external_id_used": False},
        {"account_id": MEMBER, "role_name": ROLE, "external_id_used": False},
    ]
    other = tmp_path / "analyst"
    assert main(["inventory", "--home", str(other), "--from-snapshot", str(snapshot_file)]) == 0
    with warehouse.opened(other / "warehouse.duckdb", read_only=True) as con:
        loaded = con.execute(
            "SELECT account_id, role_name FROM ecr_snapshot_access ORDER BY account_id"
        ).fetchall()
    assert loaded == [(ACCOUNT, None), (MEMBER, ROLE)]
    with warehouse.opened(settings.warehouse_path, read_only=True) as con:
        recorded = con.execute(
            "SELECT account_id, role_name, external_id_used FROM ecr_snapshot_access "
            "ORDER BY account_id"
        ).fetchall()
    assert recorded == [(ACCOUNT, None, False), (MEMBER, ROLE, False)]
    capsys.readouterr()

    # No --role-name: the member account is reached as the inventory read it.
    api_calls.clear()
    assert main(["policy", "apply", "--home", home, "--yes",
                 "--policy", policy_file(tmp_path)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert f"done      {MEMBER}/{REGION}/member/app" in out
    assert f"done      {ACCOUNT}/{REGION}/own/app" in out
    assert (live(member, "member/app"), live(aws, "own/app")) == (NEW, NEW)
    assert [r["repositoryName"] for r in aws.describe_repositories()["repositories"]] == [
        "own/app"
    ]  # the member's repository was not looked for in the caller's account
    assert api_calls.count("AssumeRole") == 1  # the member only: own/app used the base session
    backup_id = re.search(r"^backup: (\S+)$", out, re.M).group(1)

    assert main(["policy", "restore", "--home", home, "--yes", "--backup", backup_id]) == 0
    out = capsys.readouterr().out
    assert f"done      {MEMBER}/{REGION}/member/app" in out
    assert (live(member, "member/app"), live(aws, "own/app")) == (OLD, OLD)


def test_a_recorded_external_id_must_be_given_again(aws, settings, con, tmp_path, capsys):
    fill_inventory(con, [{"name": "member/app", "account": MEMBER}])
    con.execute(
        "INSERT INTO ecr_snapshot_access VALUES (?, ?, ?, ?, true)",
        ["snap-20261101000000", TAKEN.replace(tzinfo=None), MEMBER, ROLE],
    )
    con.close()
    code = main(["policy", "apply", "--home", str(settings.home), "--yes",
                 "--policy", policy_file(tmp_path)])  # fmt: skip
    assert code == 2
    assert capsys.readouterr().err == (
        f"ecrcost: account {MEMBER} was read through role {ROLE} with an external id: pass "
        "--external-id (or set ECRCOST_EXTERNAL_ID)\n"
    )
    assert _backups(settings) == []


def test_snapshot_file_keeps_the_account_access_and_reads_files_without_it(tmp_path):
    snap = Snapshot(
        taken_at=TAKEN,
        source="aws",
        accounts=[AccountAccess(ACCOUNT), AccountAccess(MEMBER, ROLE, True)],
    )
    path = snap.write(tmp_path / "s.json")
    doc = json.loads(path.read_text())
    assert doc["version"] == 1
    assert doc["accounts"] == [
        {"account_id": ACCOUNT, "role_name": None, "external_id_used": False},
        {"account_id": MEMBER, "role_name": ROLE, "external_id_used": True},
    ]
    assert Snapshot.read(path).accounts == snap.accounts
    del doc["accounts"]  # a version-1 file written before the field existed
    path.write_text(json.dumps(doc))
    assert Snapshot.read(path).accounts == []


# --- B: --dry-run writes nothing ------------------------------------------------------------


@pytest.fixture
def two_repos(aws, settings, con):
    images = [(f"sha256:{i}", 1024**2, TAKEN - timedelta(days=i), None) for i in range(3)]
    create_repo(aws, "team/app", OLD)
    create_repo(aws, "ci/empty")
    fill_inventory(con, [{"name": "team/app", "policy": OLD, "images": images},
                         {"name": "ci/empty"}])  # fmt: skip
    con.close()
    return aws


def _log_rows(settings: Any) -> int:
    with warehouse.opened(settings.warehouse_path, read_only=True) as con:
        return con.execute("SELECT count(*) FROM policy_actions").fetchone()[0]


def _backups(settings: Any) -> list[str]:
    d = settings.backups_dir
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def test_dry_run_apply_shows_the_plan_and_writes_nothing(
    two_repos, settings, tmp_path, capsys, api_calls
):
    code = main(["policy", "apply", "--home", str(settings.home), "--dry-run",
                 "--policy", policy_file(tmp_path)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"  {ACCOUNT}/{REGION}/team/app  saves $0.00/month" in out
    assert out.rstrip().endswith(
        "dry run: nothing was written (no AWS call, no backup, no log row)"
    )
    assert api_calls == []
    assert (_backups(settings), _log_rows(settings)) == ([], 0)
    assert live(two_repos, "team/app") == OLD


def test_dry_run_restore_and_delete_write_nothing(two_repos, settings, tmp_path, capsys, api_calls):
    home = str(settings.home)
    assert main(["policy", "apply", "--home", home, "--yes",
                 "--policy", policy_file(tmp_path)]) == 0  # fmt: skip
    backup_id = re.search(r"^backup: (\S+)$", capsys.readouterr().out, re.M).group(1)
    backups, rows = _backups(settings), _log_rows(settings)
    api_calls.clear()

    assert main(["policy", "restore", "--home", home, "--backup", backup_id, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"  {ACCOUNT}/{REGION}/team/app  back to the backed-up policy" in out
    assert "dry run: nothing was written" in out

    assert main(["repos", "delete", "--home", home, "--empty", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"  {ACCOUNT}/{REGION}/ci/empty  0 images" in out
    assert "dry run: nothing was written" in out

    assert api_calls == []
    assert (_backups(settings), _log_rows(settings)) == (backups, rows)
    assert live(two_repos, "team/app") == NEW
    assert "ci/empty" in {
        r["repositoryName"] for r in two_repos.describe_repositories()["repositories"]
    }


def test_every_policy_subcommand_has_a_description(capsys):
    for sub in ("validate", "simulate", "plan", "apply", "restore", "export"):
        with pytest.raises(SystemExit):
            main(["policy", sub, "--help"])
        usage = capsys.readouterr().out
        body = usage.split("\n\n")[1]
        assert not body.startswith(("options:", "positional")), (sub, body)


# --- C: the snapshot used is chosen, and named ----------------------------------------------

OLD_SNAP, NEW_SNAP = "snap-20261101000000", "snap-20261102000000"


@pytest.fixture
def newer_partial(aws, settings, con):
    """A complete snapshot, then a newer partial one (one region denied) with another repo."""
    images = [(f"sha256:{i}", 1024**2, TAKEN - timedelta(days=i), None) for i in range(3)]
    fill_inventory(con, [{"name": "team/app", "policy": OLD, "images": images}])
    fill_inventory(con, [{"name": "team/new", "images": images}], TAKEN + timedelta(days=1))
    con.execute("UPDATE ecr_snapshots SET error_count = 1 WHERE snapshot_id = ?", [NEW_SNAP])
    con.execute(
        "INSERT INTO ecr_scan_errors VALUES (?, ?, ?, 'eu-west-1', NULL, "
        "'DescribeRepositories', 'AccessDeniedException', 'denied')",
        [NEW_SNAP, (TAKEN + timedelta(days=1)).replace(tzinfo=None), ACCOUNT],
    )
    con.close()
    return settings


USING_OLD = f"using snapshot {OLD_SNAP} taken at 2026-11-01T00:00:00Z (complete, 1 repositories)"
USING_NEW = f"using snapshot {NEW_SNAP} taken at 2026-11-02T00:00:00Z (partial, 1 repositories)"
PASSED_OVER = (
    f"note: passed over the newer snapshot {NEW_SNAP} taken at 2026-11-02T00:00:00Z: it is "
    f"partial (missing {ACCOUNT}/eu-west-1/*: DescribeRepositories AccessDeniedException); "
    f"pass --snapshot {NEW_SNAP} to use it"
)


@pytest.mark.parametrize(
    "argv, stream",
    [
        (["policy", "plan"], "out"),
        (["policy", "plan", "-o", "json"], "err"),
        (["policy", "simulate", "--repositories", "team/*"], "out"),
        (["policy", "apply", "--dry-run"], "out"),
        (["policy", "export", "--format", "json"], "err"),
        (["repos", "delete", "--repositories", "team/*", "--dry-run"], "out"),
        (["findings"], "err"),
    ],
)
def test_a_newer_partial_snapshot_is_passed_over_and_said(newer_partial, capsys, argv, stream):
    assert main([*argv, "--home", str(newer_partial.home)]) == 0
    captured = capsys.readouterr()
    text = getattr(captured, stream)
    assert text.splitlines()[:2] == [USING_OLD, PASSED_OVER]
    everything = captured.out + captured.err
    assert "team/app" in everything and "team/new" not in everything


@pytest.mark.parametrize(
    "argv",
    [
        ["policy", "plan"],
        ["policy", "apply", "--dry-run"],
        ["repos", "delete", "--repositories", "team/*", "--dry-run"],
    ],
)
def test_snapshot_option_picks_the_partial_one(newer_partial, capsys, argv):
    assert main([*argv, "--home", str(newer_partial.home), "--snapshot", NEW_SNAP]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == USING_NEW
    assert out.splitlines()[1].startswith(f"note: snapshot {NEW_SNAP} taken at 2026-11-02")
    assert "team/new" in out and "team/app" not in out


def test_export_of_the_chosen_snapshot(newer_partial, capsys):
    assert main(["policy", "export", "--home", str(newer_partial.home), "--format", "json",
                 "--snapshot", NEW_SNAP]) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert [r["repositoryName"] for r in json.loads(captured.out)] == ["team/new"]
    assert captured.err.splitlines()[0] == USING_NEW


def test_latest_repositories_of_a_named_snapshot(newer_partial):
    with warehouse.opened(newer_partial.warehouse_path, read_only=True) as con:
        assert [r.repository_name for r in latest_repositories(con, newer_partial)] == ["team/app"]
        named = latest_repositories(con, newer_partial, NEW_SNAP)
    assert [(r.repository_name, r.image_count) for r in named] == [("team/new", 3)]
    assert export_terraform(NEW, named).count('resource "aws_ecr_lifecycle_policy"') == 1


# --- F: Ctrl-C says what was kept -----------------------------------------------------------


def interrupt_at(monkeypatch: Any, operation: str, repository: str) -> None:
    """Ctrl-C (KeyboardInterrupt) when the code calls `operation` on `repository`."""
    original = BaseClient._make_api_call

    def interrupting(self: Any, op: str, params: dict) -> Any:
        if op == operation and params.get("repositoryName") == repository:
            raise KeyboardInterrupt
        return original(self, op, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", interrupting)


def test_ctrl_c_during_apply_exits_130_and_says_what_was_kept(
    aws, settings, con, tmp_path, capsys, monkeypatch
):
    images = [(f"sha256:{i}", 1024**2, TAKEN - timedelta(days=i), None) for i in range(3)]
    for name in ("a/first", "b/second", "c/third"):
        create_repo(aws, name, OLD)
    fill_inventory(con, [{"name": n, "policy": OLD, "images": images}
                         for n in ("a/first", "b/second", "c/third")])  # fmt: skip
    con.close()
    interrupt_at(monkeypatch, "PutLifecyclePolicy", "b/second")
    code = main(["policy", "apply", "--home", str(settings.home), "--yes",
                 "--policy", policy_file(tmp_path)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 130
    assert f"  done      {ACCOUNT}/{REGION}/a/first" in captured.out
    backup_id = next(p.name for p in settings.backups_dir.iterdir())
    assert captured.err.splitlines() == [
        f"interrupted: 1 repositories written and logged before Ctrl-C ({ACCOUNT}/{REGION}/a/first)",
        f"interrupted while at {ACCOUNT}/{REGION}/b/second: its change may or may not have "
        "reached AWS; the backup holds its state from before",
        f"backup: {backup_id}: `ecrcost policy restore --backup {backup_id}` puts these "
        "repositories back",
        "ecrcost: interrupted",
    ]
    assert [live(aws, n) for n in ("a/first", "b/second", "c/third")] == [NEW, OLD, OLD]
    with warehouse.opened(settings.warehouse_path, read_only=True) as con2:
        logged = con2.execute(
            "SELECT repository_name, status FROM policy_actions ORDER BY repository_name"
        ).fetchall()
    assert logged == [("a/first", "done"), ("b/second", "backed_up")]


def test_ctrl_c_during_repos_delete_names_the_backup(aws, settings, con, capsys, monkeypatch):
    for name in ("ci/one", "ci/two"):
        create_repo(aws, name)
    fill_inventory(con, [{"name": "ci/one"}, {"name": "ci/two"}])
    con.close()
    interrupt_at(monkeypatch, "DeleteRepository", "ci/two")
    code = main(["repos", "delete", "--home", str(settings.home), "--yes", "--empty"])
    err = capsys.readouterr().err.splitlines()
    assert code == 130
    backup_id = next(p.name for p in settings.backups_dir.iterdir())
    assert err[0] == (
        f"interrupted: 1 repositories written and logged before Ctrl-C ({ACCOUNT}/{REGION}/ci/one)"
    )
    assert err[2:] == [
        f"backup: {backup_id} records what each deleted repository held",
        "ecrcost: interrupted",
    ]
    assert [r["repositoryName"] for r in aws.describe_repositories()["repositories"]] == ["ci/two"]


# --- E: Terraform export: a provider per account and region ---------------------------------


def test_terraform_export_has_a_provider_per_account_and_region_with_the_role(
    aws, settings, con, tmp_path, capsys
):
    fill_inventory(con, [{"name": "own/app"}, {"name": "team/app.v2", "account": MEMBER}])
    taken = TAKEN.replace(tzinfo=None)
    con.executemany(
        "INSERT INTO ecr_snapshot_access VALUES ('snap-20261101000000', ?, ?, ?, ?)",
        [[taken, ACCOUNT, None, False], [taken, MEMBER, ROLE, True]],
    )
    con.close()
    out = tmp_path / "main.tf"
    assert main(["policy", "export", "--home", str(settings.home), "--format", "terraform",
                 "--policy", policy_file(tmp_path), "--out", str(out)]) == 0  # fmt: skip
    hcl = out.read_text()
    head = hcl.split('resource "aws_ecr_lifecycle_policy"')[0]
    assert head == (
        "# Generated by ecrcost policy export: one provider per account and region.\n\n"
        'variable "external_id" {\n  type      = string\n  sensitive = true\n}\n\n'
        'provider "aws" {\n'
        f'  alias               = "account_{ACCOUNT}_{REGION}"\n'
        f'  region              = "{REGION}"\n'
        f'  allowed_account_ids = ["{ACCOUNT}"]\n'
        "}\n\n"
        'provider "aws" {\n'
        f'  alias               = "account_{MEMBER}_{REGION}"\n'
        f'  region              = "{REGION}"\n'
        f'  allowed_account_ids = ["{MEMBER}"]\n'
        "  assume_role {\n"
        f'    role_arn = "arn:aws:iam::{MEMBER}:role/{ROLE}"\n'
        "    external_id = var.external_id\n"
        "  }\n"
        "}\n\n"
    )
    names = re.findall(r'^resource "aws_ecr_lifecycle_policy" "([^"]+)" \{\n  provider   = (\S+)',
                       hcl, re.M)  # fmt: skip
    assert names == [
        (f"r_{ACCOUNT}_{REGION}_own_app", f"aws.account_{ACCOUNT}_{REGION}"),
        (f"r_{MEMBER}_{REGION}_team_app_v2", f"aws.account_{MEMBER}_{REGION}"),
    ]


def test_iam_policy_takes_the_cur_location_and_role_and_says_what_it_left_out(capsys):
    assert main(["iam-policy"]) == 0
    captured = capsys.readouterr()
    sids = [s["Sid"] for s in json.loads(captured.out)["Statement"]]
    assert "ReadCostAndUsageReport" not in sids and "AssumeMemberAccountRole" not in sids
    assert captured.err.splitlines() == [
        "no --role-name: sts:AssumeRole into member accounts left out",
        "no --cur-location s3://...: s3:ListBucket on the bill left out",
        "no --cur-location s3://...: s3:GetObject on the bill left out",
    ]
    assert main(["iam-policy", "--cur-location", "s3://bills/cur", "--role-name", "Reader"]) == 0
    captured = capsys.readouterr()
    doc = {s["Sid"]: s for s in json.loads(captured.out)["Statement"]}
    assert doc["ReadCostAndUsageReport"]["Resource"] == "arn:aws:s3:::bills/cur/*"
    assert doc["AssumeMemberAccountRole"]["Resource"] == "arn:aws:iam::*:role/Reader"
    assert captured.err == ""


def test_the_role_of_an_account_recorded_then_overridden():
    recorded = {MEMBER: AccountAccess(MEMBER, ROLE, True), ACCOUNT: AccountAccess(ACCOUNT)}
    access = AwsAccess(recorded=recorded)
    access._caller_account = ACCOUNT  # no STS call
    assert [access.role_for(a) for a in (MEMBER, ACCOUNT, "999999999999", None)] == [
        ROLE, None, None, None
    ]  # fmt: skip
    assert access.needs_external_id(MEMBER) and not access.needs_external_id(ACCOUNT)
    override = AwsAccess(role_name="Other", external_id="x", recorded=recorded)
    override._caller_account = ACCOUNT
    assert [override.role_for(a) for a in (MEMBER, ACCOUNT, "999999999999")] == [
        "Other", None, "Other"
    ]  # fmt: skip
    assert not override.needs_external_id(MEMBER)


# --- issue 12 item 5: what apply says before and after --------------------------------------


def test_apply_confirmation_shows_images_and_gib_per_repository_and_what_restore_undoes(
    two_repos, settings, tmp_path, capsys
):
    keep_one = policy_file(tmp_path, policy(1))
    code = main(["policy", "apply", "--home", str(settings.home), "--dry-run",
                 "--policy", keep_one])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    # team/app: three 1 MiB images, the newest kept; ci/empty holds none.
    assert (
        f"  {ACCOUNT}/{REGION}/team/app  saves $0.00/month  expires 2 images (0.002 GiB), "
        "archives 0 images (0.000 GiB)"
    ) in lines
    assert (
        f"  {ACCOUNT}/{REGION}/ci/empty  saves $0.00/month  expires 0 images (0.000 GiB), "
        "archives 0 images (0.000 GiB)"
    ) in lines
    assert (
        "AWS then expires and archives these images within 24 hours. `ecrcost policy restore` "
        "puts back the repositories' lifecycle policies, not expired images: an expired image "
        "is deleted for good."
    ) in lines


def test_apply_that_cannot_reach_aws_exits_1_with_no_backup(
    two_repos, settings, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr("ecrcost.aws.RETRY_ATTEMPTS", 1)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    code = main(["policy", "apply", "--home", str(settings.home), "--yes",
                 "--policy", policy_file(tmp_path)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 1, captured
    assert "the others are done" not in captured.out + captured.err
    assert (
        f"cannot reach AWS in {ACCOUNT}/{REGION}: Could not connect to the endpoint URL: "
        '"http://127.0.0.1:9/": nothing was done (no policy written, no backup made, no log row)'
    ) in captured.err
    assert (_backups(settings), _log_rows(settings)) == ([], 0)
    assert live(two_repos, "team/app") == OLD


def test_apply_where_every_repository_fails_says_none_was_written(
    two_repos, settings, tmp_path, capsys
):
    for name in ("team/app", "ci/empty"):  # gone since the inventory: AWS answers, per repository
        two_repos.delete_repository(repositoryName=name, force=True)
    code = main(["policy", "apply", "--home", str(settings.home), "--yes",
                 "--policy", policy_file(tmp_path)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 3, captured
    assert re.search(
        rf"2 of 2 repositories not written, first {ACCOUNT}/{REGION}/ci/empty: "
        r"GetLifecyclePolicy: RepositoryNotFoundException: .*; no repository was written$",
        captured.err,
        re.M,
    ), captured.err
    assert "the others are done" not in captured.err
