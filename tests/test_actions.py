"""Policy apply / restore / export and the IAM policy, against moto's server over HTTP.

The inventory tables are filled with SQL inserts (`fill_inventory`); AWS state is read back
with GetLifecyclePolicy to prove each repository ends exactly where it started.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from fixtures_actions import (
    ACCOUNT,
    NEW,
    OLD,
    REGION,
    TAKEN,
    DenyingAccess,
    SimulatedCrash,
    UnreachableAccess,
    create_repo,
    fill_inventory,
    live_policy,
    policy,
    rows,
)

from ecrcost.actions import iam, log
from ecrcost.actions.apply import apply_policy
from ecrcost.actions.backup import BackupSet, entry_file_name, parse_entry_file_name
from ecrcost.actions.delete import Criteria, delete_repositories
from ecrcost.actions.export import export_json, export_terraform, resource_name
from ecrcost.actions.restore import restore_backup
from ecrcost.actions.selection import latest_repositories, select
from ecrcost.aws import AwsAccess
from ecrcost.cli import main
from ecrcost.errors import EcrcostError, UserError
from ecrcost.inventory.collect import collect_inventory
from ecrcost.lifecycle.plan import plan_policy
from ecrcost.settings import load_settings


@pytest.fixture
def settings(exempt_settings):
    return exempt_settings


# Four repositories: one with a policy, one without, one exempt by tag, one exempt by name.
REPOS = {
    "team/app": {"policy": OLD},
    "team/no-policy": {"policy": None},
    "platform/tagged": {"policy": OLD, "tags": {"ecrcost:exempt": "yes"}},
    "legacy/keep": {"policy": None},
}


@pytest.fixture
def world(aws, settings, con):
    """moto holds REPOS; the warehouse's latest snapshot lists them."""
    for name, spec in REPOS.items():
        create_repo(aws, name, spec["policy"], spec.get("tags"))
    fill_inventory(
        con,
        [
            {"name": n, "policy": s["policy"], "tags": s.get("tags", {}),
             "images": [(f"sha256:{i}{n}", 50 * 1024**2, TAKEN - timedelta(days=i), None)
                        for i in range(3)]}
            for n, s in REPOS.items()
        ],
    )  # fmt: skip
    return con


def state(ecr: Any) -> dict[str, str | None]:
    return {name: live_policy(ecr, name) for name in REPOS}


# --- backups --------------------------------------------------------------------------------


def test_entry_file_names_are_safe_and_reversible():
    name = entry_file_name(ACCOUNT, REGION, "team/sub/app.v2-x_y")
    assert "/" not in name
    assert parse_entry_file_name(name) == (ACCOUNT, REGION, "team/sub/app.v2-x_y")


# --- apply and restore ----------------------------------------------------------------------


def test_apply_then_restore_leaves_every_repository_as_it_was(world, aws, settings):
    before = state(aws)
    access = AwsAccess.from_settings(settings)
    result = apply_policy(world, access, settings, plan_policy(world, settings, NEW), actor="me")

    by_name = {o.repository_name: o for o in result.outcomes}
    assert by_name["team/app"].status == by_name["team/no-policy"].status == "done"
    assert by_name["platform/tagged"].status == "skipped"
    assert by_name["platform/tagged"].detail == "carries the exemption tag ecrcost:exempt"
    assert by_name["legacy/keep"].detail == "matches exempt_repositories entry 'legacy/*'"
    after_apply = state(aws)
    assert after_apply["team/app"] == after_apply["team/no-policy"] == NEW
    # Exempt repositories are untouched.
    assert after_apply["platform/tagged"] == OLD and after_apply["legacy/keep"] is None

    backup = BackupSet.open(settings.backups_dir, result.backup_id)
    assert backup.manifest["complete"] is True
    assert backup.read_entry(ACCOUNT, REGION, "team/app")["policy_text"] == OLD
    assert backup.read_entry(ACCOUNT, REGION, "team/no-policy") | {"recorded_at": None} == {
        "account_id": ACCOUNT, "region": REGION, "repository_name": "team/no-policy",
        "had_policy": False, "policy_text": None, "recorded_at": None,
    }  # fmt: skip
    assert backup.read_entry(ACCOUNT, REGION, "platform/tagged") is None
    assert (backup.root / "repositories" / f"{ACCOUNT}.{REGION}.team%2Fapp.json").is_file()

    logged = rows(world)
    app = logged[(log.POLICY_APPLIED, "team/app")]
    assert (app["status"], app["old_policy"], app["new_policy"]) == ("done", OLD, NEW)
    assert (app["actor"], app["backup_id"], app["account_id"]) == ("me", result.backup_id, ACCOUNT)
    assert logged[(log.POLICY_APPLIED, "team/no-policy")]["old_policy"] is None
    assert (log.POLICY_APPLIED, "platform/tagged") not in logged

    undo = restore_backup(world, access, settings, result.backup_id, actor="me")
    assert {o.repository_name: o.status for o in undo.outcomes} == {
        "team/app": "done", "team/no-policy": "done"
    }  # fmt: skip
    assert state(aws) == before  # byte-identical texts, and no policy where there was none
    logged = rows(world)
    restored = logged[(log.POLICY_RESTORED, "team/app")]
    assert (restored["status"], restored["old_policy"], restored["new_policy"]) == (
        "done", NEW, OLD
    )  # fmt: skip
    gone = logged[(log.POLICY_RESTORED, "team/no-policy")]
    assert (gone["old_policy"], gone["new_policy"]) == (NEW, None)

    # A restore is backed up too: restoring it re-applies the policy.
    restore_backup(world, access, settings, undo.backup_id, actor="me")
    assert state(aws) == after_apply


def test_access_denied_on_one_repository_leaves_the_others_done(world, aws, settings):
    access = DenyingAccess("PutLifecyclePolicy", "team/app")
    result = apply_policy(world, access, settings, plan_policy(world, settings, NEW), actor="me")

    assert [o.repository_name for o in result.failed] == ["team/app"]
    assert "AccessDeniedException" in result.failed[0].detail
    assert state(aws)["team/app"] == OLD
    assert state(aws)["team/no-policy"] == NEW
    logged = rows(world)
    failed = logged[(log.POLICY_APPLIED, "team/app")]
    assert failed["status"] == "failed"
    assert failed["detail"] == "PutLifecyclePolicy: AccessDeniedException: not allowed"
    assert failed["old_policy"] == OLD  # the backup was made before the write was refused
    assert logged[(log.POLICY_APPLIED, "team/no-policy")]["status"] == "done"
    assert BackupSet.open(settings.backups_dir, result.backup_id).manifest["complete"] is False


def test_resume_after_a_crash_keeps_the_first_backup(world, aws, settings):
    # Killed between the backup of team/no-policy and its PutLifecyclePolicy.
    crash = DenyingAccess("PutLifecyclePolicy", "team/no-policy", SimulatedCrash)
    with pytest.raises(SimulatedCrash):
        apply_policy(world, crash, settings, plan_policy(world, settings, NEW), actor="me")
    (backup_dir,) = settings.backups_dir.iterdir()
    entry = backup_dir / "repositories" / entry_file_name(ACCOUNT, REGION, "team/no-policy")
    first_bytes = entry.read_bytes()
    assert json.loads(first_bytes)["had_policy"] is False
    assert rows(world)[(log.POLICY_APPLIED, "team/no-policy")]["status"] == "backed_up"
    assert state(aws)["team/app"] == NEW

    # Meanwhile someone puts a policy there: the re-run must not back that up over the first.
    aws.put_lifecycle_policy(repositoryName="team/no-policy", lifecyclePolicyText=OLD)
    again = DenyingAccess("none", "none")
    result = apply_policy(world, again, settings, plan_policy(world, settings, NEW), actor="me")

    assert result.resumed and result.backup_id == backup_dir.name
    assert entry.read_bytes() == first_bytes
    assert {o.repository_name: o.status for o in result.outcomes if o.status != "skipped"} == {
        "team/app": "unchanged", "team/no-policy": "done"
    }  # fmt: skip
    # team/app already carried the policy: recorded done, not re-written.
    puts = [name for op, name in again.calls if op == "PutLifecyclePolicy"]
    assert puts == ["team/no-policy"]
    logged = rows(world)
    assert logged[(log.POLICY_APPLIED, "team/app")]["status"] == "done"
    resumed_row = logged[(log.POLICY_APPLIED, "team/no-policy")]
    assert (resumed_row["status"], resumed_row["old_policy"]) == ("done", None)
    assert len(logged) == 2  # one row per repository and run, moved on, never duplicated

    restore_backup(world, again, settings, result.backup_id, actor="me")
    assert state(aws)["team/no-policy"] is None and state(aws)["team/app"] == OLD


def test_a_different_policy_does_not_resume_an_unfinished_run(world, aws, settings):
    crash = DenyingAccess("PutLifecyclePolicy", "team/no-policy", SimulatedCrash)
    with pytest.raises(SimulatedCrash):
        apply_policy(world, crash, settings, plan_policy(world, settings, NEW), actor="me")
    (first,) = settings.backups_dir.iterdir()
    other = apply_policy(world, AwsAccess(), settings, plan_policy(world, settings, policy(7)),
                         actor="me")  # fmt: skip
    assert not other.resumed and other.backup_id != first.name
    with pytest.raises(Exception, match="different policy"):
        nothing = plan_policy(world, settings, policy(8), ["no-such-repository"])
        apply_policy(world, AwsAccess(), settings, nothing, backup_id=first.name, actor="me")


# --- the CLI --------------------------------------------------------------------------------


def write_policy(tmp_path: Path, text: str) -> str:
    path = tmp_path / "policy.json"
    path.write_text(text)
    return str(path)


def test_cli_apply_and_restore(world, aws, settings, tmp_path, capsys):
    before = state(aws)
    home = str(settings.home)
    code = main(["policy", "apply", "--home", home, "--policy", write_policy(tmp_path, NEW),
                 "--repositories", "team/*", "platform/*", "--yes"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "skipped" in out and "platform/tagged" in out and "ecrcost:exempt" in out
    assert state(aws) == {**before, "team/app": NEW, "team/no-policy": NEW}
    backup_id = re.search(r"^backup: (\S+)$", out, re.M).group(1)
    # The planner's predictions are logged with the action.
    app = rows(world)[(log.POLICY_APPLIED, "team/app")]
    assert app["predicted_monthly_savings_usd"] is not None and app["actor"].startswith("arn:")

    code = main(["policy", "restore", "--home", home, "--backup", backup_id, "--yes",
                 "--repositories", "team/app"])  # fmt: skip
    assert code == 0, capsys.readouterr()
    assert state(aws) == {**before, "team/no-policy": NEW}
    code = main(["policy", "restore", "--home", home, "--backup", backup_id, "--yes"])
    assert code == 0, capsys.readouterr()
    assert state(aws) == before


def test_cli_refuses_without_a_terminal_or_with_an_invalid_policy(world, aws, settings, tmp_path,
                                                                   capsys):  # fmt: skip
    before = state(aws)
    home = str(settings.home)
    assert main(["policy", "apply", "--home", home, "--policy", write_policy(tmp_path, NEW)]) == 2
    assert "--yes" in capsys.readouterr().err

    # tagged without a tag list: AWS rejects it, moto would accept it.
    bad = NEW.replace('"tagStatus": "any"', '"tagStatus": "tagged"')
    code = main(["policy", "apply", "--home", home, "--policy", write_policy(tmp_path, bad),
                 "--yes"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "invalid lifecycle policy" in err and len(err.strip().splitlines()) == 1
    assert state(aws) == before
    assert not settings.backups_dir.exists()


def test_cli_apply_partial_failure_exits_3(world, aws, settings, tmp_path, capsys, monkeypatch):
    denying = DenyingAccess("PutLifecyclePolicy", "team/app")
    monkeypatch.setattr(AwsAccess, "from_settings", classmethod(lambda cls, s: denying))
    code = main(["policy", "apply", "--home", str(settings.home), "--yes",
                 "--policy", write_policy(tmp_path, NEW)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 3
    assert "team/app" in captured.err and "AccessDeniedException" in captured.err
    assert state(aws)["team/no-policy"] == NEW and state(aws)["team/app"] == OLD


# --- export ---------------------------------------------------------------------------------

TRICKY = policy(3, "keep ${var.count} images, 100%{ done")


def test_resource_names_are_valid_and_unique():
    taken: set[str] = set()
    names = [resource_name(n, taken) for n in ("team/app", "team_app", "9lives", "a.b-c")]
    assert names == ["team_app", "team_app_2", "r_9lives", "a_b-c"]
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", n) for n in names)


def test_export_terraform_is_valid_hcl_holding_the_exact_policy(world, settings, tmp_path):
    repos = select(latest_repositories(world, settings), None).repos
    hcl = export_terraform(TRICKY, repos)
    blocks = re.findall(
        r'^resource "aws_ecr_lifecycle_policy" "([A-Za-z_][A-Za-z0-9_-]*)" \{\n'
        rf"  provider   = aws\.account_{ACCOUNT}_{REGION}\n"
        r'  repository = "([^"]+)"\n'
        r"  policy = jsonencode\((.*?)\)\n\}$",
        hcl,
        re.M | re.S,
    )
    # Named <account>_<region>_<repository> (a leading digit gets "r_", as Terraform requires).
    assert [(b[0], b[1]) for b in blocks] == [
        (f"r_{ACCOUNT}_{REGION}_team_app", "team/app"),
        (f"r_{ACCOUNT}_{REGION}_team_no-policy", "team/no-policy"),
    ]
    assert hcl.count('provider "aws" {') == 1
    for _, _, body in blocks:
        # Undo HCL's template escapes: what remains is the policy as JSON.
        assert json.loads(body.replace("$${", "${").replace("%%{", "%{")) == json.loads(TRICKY)
    if shutil.which("terraform"):
        (tmp_path / "main.tf").write_text(hcl)
        fmt = subprocess.run(["terraform", "fmt", "-"], input=hcl, capture_output=True, text=True)
        assert fmt.returncode == 0, fmt.stderr
        empty = tmp_path / "console"
        empty.mkdir()
        # The console reads one line per expression (JSON strings hold no raw newline).
        line = blocks[0][2].replace("\n", " ")
        console = subprocess.run(["terraform", "console"], input=f"jsonencode({line})\n",
                                 capture_output=True, text=True, cwd=empty, timeout=60)  # fmt: skip
        assert console.returncode == 0, console.stderr
        assert json.loads(json.loads(console.stdout)) == json.loads(TRICKY)


def test_export_json_round_trips(world, settings, tmp_path, capsys):
    out = tmp_path / "export.json"
    code = main(["policy", "export", "--home", str(settings.home), "--format", "json",
                 "--policy", write_policy(tmp_path, NEW), "--out", str(out)])  # fmt: skip
    assert code == 0
    items = json.loads(out.read_text())
    assert [i["repositoryName"] for i in items] == ["team/app", "team/no-policy"]
    assert all(i["lifecyclePolicyText"] == NEW and i["registryId"] == ACCOUNT for i in items)
    assert "platform/tagged" in capsys.readouterr().err  # skipped, and said why
    repos = select(latest_repositories(world, settings), None).repos
    assert json.loads(export_json(NEW, repos)) == items


# --- IAM ------------------------------------------------------------------------------------


@pytest.fixture
def seen_operations(monkeypatch):
    """Every (service, operation) any botocore client makes during the test."""
    from botocore.client import BaseClient

    seen: set[tuple[str, str]] = set()
    original = BaseClient._make_api_call

    def recording(self: Any, operation_name: str, api_params: dict) -> Any:
        seen.add((self.meta.service_model.service_name, operation_name))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    return seen


def test_iam_policy_allows_every_operation_the_code_makes(world, aws, settings, seen_operations,
                                                          tmp_path):  # fmt: skip
    # Read side: the inventory collector (with manifests).
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + "c" * 64,
            "size": 10,
        },
        "layers": [],
    }
    aws.put_image(repositoryName="team/app", imageManifest=json.dumps(manifest), imageTag="v1")
    seen_operations.clear()
    # One region keeps it fast ("all" would scan moto's every region for DescribeRegions).
    collect_inventory(
        load_settings({"home": str(settings.home), "regions": [REGION]}, env={}), manifests=True
    )
    assert {
        ("ecr", "DescribeRepositories"),
        ("ecr", "DescribeImages"),
        ("resourcegroupstaggingapi", "GetResources"),
        ("ecr", "GetLifecyclePolicy"),
        ("ecr", "BatchGetImage"),
    } <= seen_operations
    read_seen = set(seen_operations)
    # Write side: apply, restore, delete.
    access = AwsAccess.from_settings(settings)
    actor = log.current_actor(access)
    result = apply_policy(world, access, settings, plan_policy(world, settings, NEW), actor=actor)
    restore_backup(world, access, settings, result.backup_id, actor=actor)
    target = [r for r in latest_repositories(world, settings) if r.repository_name == "team/app"]
    delete_repositories(world, access, settings, target, Criteria(), actor=actor)
    assert "team/app" not in {
        r["repositoryName"] for r in aws.describe_repositories()["repositories"]
    }

    everything = load_settings({"cur_location": "s3://bills/cur", "role_name": "ecrcost"}, env={})
    read_doc = iam.policy_document("read", everything)
    apply_doc = iam.policy_document("apply", everything)
    assert {
        ("ecr", "PutLifecyclePolicy"),
        ("ecr", "DeleteLifecyclePolicy"),
        ("ecr", "DeleteRepository"),
        ("ecr", "GetLifecyclePolicy"),
    } <= seen_operations
    for service, op in seen_operations:
        action = iam.iam_action(service, op)
        assert action is not None, f"{service}:{op} is not in iam.OPERATIONS"
        assert action in iam.allowed_actions(apply_doc), action
    for service, op in read_seen:
        assert iam.iam_action(service, op) in iam.allowed_actions(read_doc), op


def test_iam_policy_documents(settings, capsys):
    assert main(["iam-policy", "--mode", "read"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["Version"] == "2012-10-17"
    assert all(re.fullmatch(r"[A-Za-z0-9]+", s["Sid"]) for s in doc["Statement"])
    actions = iam.allowed_actions(doc)
    assert "ecr:DescribeImages" in actions and "ecr:PutLifecyclePolicy" not in actions
    (manifests,) = [s for s in doc["Statement"] if "ecr:BatchGetImage" in s["Action"]]
    assert manifests["Action"] == ["ecr:BatchGetImage"] and "Manifests" in manifests["Sid"]
    # No S3 or AssumeRole grants when the settings make no such calls.
    assert not any(a.startswith("s3:") or a == "sts:AssumeRole" for a in actions)

    doc = iam.policy_document("apply", load_settings({"cur_location": "s3://b/p/x"}, env={}))
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["WriteLifecyclePolicies"]["Action"] == [
        "ecr:PutLifecyclePolicy", "ecr:DeleteLifecyclePolicy"
    ]  # fmt: skip
    assert by_sid["DeleteRepositories"]["Action"] == ["ecr:DeleteRepository"]
    assert by_sid["ReadCostAndUsageReport"]["Resource"] == "arn:aws:s3:::b/p/x/*"
    assert by_sid["ListCostAndUsageReport"]["Condition"] == {
        "StringLike": {"s3:prefix": ["p/x/*", "p/x"]}
    }


# --- apply follows the plan -----------------------------------------------------------------


def test_apply_writes_what_the_plan_planned_and_skips_what_it_skipped(aws, settings, con):
    create_repo(aws, "team/app", OLD)
    create_repo(aws, "team/half", OLD)
    create_repo(aws, "legacy/keep", OLD)
    images = [(f"sha256:{i}", 1024**2, TAKEN - timedelta(days=i), None) for i in range(3)]
    fill_inventory(
        con,
        [
            {"name": "team/app", "policy": OLD, "images": images},
            {"name": "team/half", "policy": OLD, "images": images, "complete": False},
            {"name": "legacy/keep", "policy": OLD, "images": images},
        ],
    )
    plan = plan_policy(con, settings, NEW)
    result = apply_policy(con, AwsAccess(), settings, plan, actor="me")

    planned = {r.repository_name: r.skipped_reason for r in plan.repositories}
    done = {o.repository_name: (o.status, o.detail) for o in result.outcomes}
    assert planned == {
        "legacy/keep": "matches exempt_repositories entry 'legacy/*'",
        "team/app": None,
        "team/half": "its inventory is incomplete (a call failed); re-run the inventory first",
    }
    assert done == {
        "legacy/keep": ("skipped", planned["legacy/keep"]),
        "team/app": ("done", ""),
        "team/half": ("skipped", planned["team/half"]),
    }
    assert (live_policy(aws, "team/app"), live_policy(aws, "team/half")) == (NEW, OLD)
    row = rows(con)[(log.POLICY_APPLIED, "team/app")]
    (app,) = [r for r in plan.repositories if r.repository_name == "team/app"]
    assert (row["predicted_monthly_savings_usd"], row["predicted_freed_bytes"]) == (
        app.monthly_savings_usd,
        app.freed_bytes,
    )
    assert set(rows(con)) == {(log.POLICY_APPLIED, "team/app")}


def test_cli_apply_reaches_other_accounts_through_the_role(
    aws, settings, con, tmp_path, capsys, monkeypatch
):
    """`--role-name R --accounts A`: the write goes to account A as role R (moto's STS hands out
    credentials of the assumed account), not to the caller's own account."""
    member = "210987654321"
    sts = boto3.client("sts", region_name=REGION)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/ecrcost-writer", RoleSessionName="setup"
    )["Credentials"]
    member_ecr = boto3.client(
        "ecr",
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    create_repo(member_ecr, "member/app", OLD)
    images = [(f"sha256:{i}", 1024**2, TAKEN - timedelta(days=i), None) for i in range(3)]
    fill_inventory(con, [{"name": "member/app", "account": member, "images": images}])
    con.close()
    assumed: list[str] = []
    original = AwsAccess.session_for

    def recording(self: AwsAccess, account_id: str | None) -> Any:
        if account_id is not None and self.role_name:
            assumed.append(f"{account_id}:{self.role_name}")
        return original(self, account_id)

    monkeypatch.setattr(AwsAccess, "session_for", recording)
    code = main(["policy", "apply", "--home", str(settings.home), "--yes",
                 "--policy", write_policy(tmp_path, NEW),
                 "--role-name", "ecrcost-writer", "--accounts", member])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"done      {member}/{REGION}/member/app" in out
    assert (
        member_ecr.get_lifecycle_policy(repositoryName="member/app")["lifecyclePolicyText"] == NEW
    )
    assert f"{member}:ecrcost-writer" in assumed
    assert aws.describe_repositories()["repositories"] == []  # nothing in the caller's account


def test_cli_restore_takes_the_shared_repository_globs(world, aws, settings, tmp_path, capsys):
    before = state(aws)
    home = str(settings.home)
    assert main(["policy", "apply", "--home", home, "--yes",
                 "--policy", write_policy(tmp_path, NEW)]) == 0  # fmt: skip
    backup_id = re.search(r"^backup: (\S+)$", capsys.readouterr().out, re.M).group(1)
    code = main(["policy", "restore", "--home", home, "--backup", backup_id, "--yes",
                 "--exclude", "team/app"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "team/app" not in out
    assert state(aws) == {**before, "team/app": NEW}


def test_export_out_naming_a_folder_is_one_line(world, settings, tmp_path, capsys):
    code = main(["policy", "export", "--home", str(settings.home), "--format", "json",
                 "--out", str(tmp_path)])  # fmt: skip
    assert code == 2
    assert capsys.readouterr().err == (
        f"ecrcost: --out {tmp_path}: is a folder; name the file to write\n"
    )


# --- issue 12 item 5: apply and backups under every mishap ----------------------------------


def test_an_apply_over_other_repositories_does_not_resume_an_unfinished_run(world, aws, settings):
    crash = DenyingAccess("PutLifecyclePolicy", "team/no-policy", SimulatedCrash)
    with pytest.raises(SimulatedCrash):
        apply_policy(world, crash, settings, plan_policy(world, settings, NEW), actor="me")
    (first,) = settings.backups_dir.iterdir()

    # Same policy, another selection: a new backup, said so; the failed run stays resumable.
    only_app = plan_policy(world, settings, NEW, ["team/app"])
    other = apply_policy(world, AwsAccess(), settings, only_app, actor="me")
    assert not other.resumed and other.backup_id != first.name
    assert other.notes == [
        f"not resuming unfinished backup {first.name}: it is a run of other repositories "
        "(2 listed, 1 planned now); starting a new backup"
    ]
    assert [(o.repository_name, o.status) for o in other.outcomes] == [("team/app", "unchanged")]
    assert BackupSet.open(settings.backups_dir, first.name).manifest["complete"] is False
    assert BackupSet.open(settings.backups_dir, other.backup_id).manifest["repositories"] == [
        [ACCOUNT, REGION, "team/app"]
    ]
    assert state(aws)["team/no-policy"] is None  # never written by the unrelated run
    with pytest.raises(UserError, match=f"^backup {first.name} was made for other repositories"):
        apply_policy(world, AwsAccess(), settings, only_app, backup_id=first.name, actor="me")

    # The same run again (same policy, same selection): resumed, and said so.
    again = apply_policy(world, AwsAccess(), settings, plan_policy(world, settings, NEW),
                         actor="me")  # fmt: skip
    assert again.resumed and again.backup_id == first.name
    started = BackupSet.open(settings.backups_dir, first.name).manifest["created_at"]
    assert again.notes == [
        f"resuming backup {first.name}: the unfinished apply of this policy on the same 2 "
        f"repositories (started {started})"
    ]
    assert state(aws)["team/no-policy"] == NEW
    assert BackupSet.open(settings.backups_dir, first.name).manifest["complete"] is True


def test_an_apply_that_cannot_reach_aws_makes_no_backup_and_says_nothing_was_done(
    world, aws, settings
):
    access = UnreachableAccess()
    with pytest.raises(EcrcostError) as err:
        apply_policy(world, access, settings, plan_policy(world, settings, NEW), actor="me")
    assert str(err.value) == (
        f"cannot reach AWS in {ACCOUNT}/{REGION}: Could not connect to the endpoint URL: "
        f'"https://api.ecr.{REGION}.amazonaws.com/": nothing was done (no policy written, '
        "no backup made, no log row)"
    )
    assert not isinstance(err.value, UserError) and err.value.exit_code == 1
    assert access.calls == 1  # one probe, not one attempt per repository
    assert not settings.backups_dir.exists() or list(settings.backups_dir.iterdir()) == []
    assert rows(world) == {}
    assert state(aws)["team/app"] == OLD


def test_a_256_character_repository_name_is_applied_and_restored(world, aws, settings):
    long_name = "team/" + "a" * 251
    assert len(long_name) == 256  # the longest name ECR allows
    create_repo(aws, long_name, OLD)
    fill_inventory(world, [{"name": long_name, "policy": OLD}, {"name": "team/app", "policy": OLD}],
                   taken_at=TAKEN + timedelta(hours=1))  # fmt: skip
    result = apply_policy(world, AwsAccess(), settings, plan_policy(world, settings, NEW),
                          actor="me")  # fmt: skip
    assert sorted((o.repository_name, o.status) for o in result.outcomes) == [
        (long_name, "done"), ("team/app", "done")
    ]  # fmt: skip
    assert live_policy(aws, long_name) == NEW
    backup = BackupSet.open(settings.backups_dir, result.backup_id)
    files = sorted(p.name for p in (backup.root / "repositories").iterdir())
    assert max(len(f.encode()) for f in files) <= 200
    cut = entry_file_name(ACCOUNT, REGION, long_name)
    assert cut in files and "~" in cut and len(cut) == 200
    assert backup.read_entry(ACCOUNT, REGION, long_name)["repository_name"] == long_name
    assert backup.read_entry(ACCOUNT, REGION, long_name)["policy_text"] == OLD
    restore_backup(world, AwsAccess(), settings, result.backup_id, actor="me")
    assert live_policy(aws, long_name) == OLD


def test_a_backup_that_cannot_be_written_fails_only_its_repository(
    world, aws, settings, monkeypatch
):
    original = BackupSet.write_entry

    def full_disk(self: BackupSet, record: dict) -> bool:
        if record["repository_name"] == "team/app":
            raise OSError(28, "No space left on device")
        return original(self, record)

    monkeypatch.setattr(BackupSet, "write_entry", full_disk)
    result = apply_policy(world, AwsAccess(), settings, plan_policy(world, settings, NEW),
                          actor="me")  # fmt: skip
    outcomes = {o.repository_name: (o.status, o.detail) for o in result.outcomes}
    assert outcomes["team/app"] == (
        "failed",
        "backup not written, repository left as it was: [Errno 28] No space left on device",
    )
    assert outcomes["team/no-policy"] == ("done", "")
    assert state(aws)["team/app"] == OLD and state(aws)["team/no-policy"] == NEW
    assert BackupSet.open(settings.backups_dir, result.backup_id).manifest["complete"] is False


def test_an_unreachable_region_fails_only_its_own_repositories(world, aws, settings):
    fill_inventory(world, [{"name": "team/app", "policy": OLD},
                           {"name": "team/eu", "policy": OLD, "region": "eu-west-1"}],
                   taken_at=TAKEN + timedelta(hours=1))  # fmt: skip
    access = UnreachableAccess(regions=("eu-west-1",))
    result = apply_policy(world, access, settings, plan_policy(world, settings, NEW), actor="me")
    why = (
        f"cannot reach AWS in {ACCOUNT}/eu-west-1: Could not connect to the endpoint URL: "
        '"https://api.ecr.eu-west-1.amazonaws.com/"'
    )
    assert [(o.repository_name, o.region, o.status, o.detail) for o in result.outcomes] == [
        ("team/eu", "eu-west-1", "failed", why),
        ("team/app", REGION, "done", ""),
    ]
    assert result.notes == [why]
    assert access.calls == 1  # the probe; team/eu is not tried again
    assert state(aws)["team/app"] == NEW
    backup = BackupSet.open(settings.backups_dir, result.backup_id)
    assert backup.read_entry(ACCOUNT, "eu-west-1", "team/eu") is None
    assert backup.read_entry(ACCOUNT, REGION, "team/app")["policy_text"] == OLD
    assert backup.manifest["complete"] is False
    assert set(rows(world)) == {(log.POLICY_APPLIED, "team/app")}
