"""`repos delete`: plan, confirmation, exemptions, and a durable record of what is lost written
before each DeleteRepository (moto server over HTTP)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fixtures_actions import (
    ACCOUNT,
    OLD,
    REGION,
    DenyingAccess,
    fill_inventory,
    live_policy,
    rows,
)
from moto.ecr.models import ecr_backends

from ecrcost.actions import log
from ecrcost.actions.backup import BackupSet, entry_file_name
from ecrcost.actions.delete import Criteria, candidates, delete_repositories
from ecrcost.actions.selection import latest_repositories
from ecrcost.cli import main


@pytest.fixture
def settings(exempt_settings):
    return exempt_settings


NOW = datetime.now(UTC).replace(microsecond=0)
OLD_PUSH = NOW - timedelta(days=200)
MIB = 1024**2


def push(ecr: Any, name: str, tag: str, config_size: int, pushed_at: datetime) -> str:
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": f"sha256:{tag[0] * 64}", "size": config_size},
        "layers": [],
    }  # fmt: skip
    image = ecr.put_image(repositoryName=name, imageManifest=json.dumps(manifest), imageTag=tag)
    digest = image["image"]["imageId"]["imageDigest"]
    # moto stamps the push with "now"; age it in the in-process backend the server uses.
    for img in ecr_backends[ACCOUNT][REGION].repositories[name].images:
        if img.get_image_digest() == digest:
            img.image_pushed_at = int(pushed_at.timestamp())
    return digest


@pytest.fixture
def world(aws, settings, con):
    """moto and the snapshot agree, except ci/was-empty, which got an image after it."""
    for name in ("ci/empty", "ci/stale", "ci/busy", "ci/exempt", "ci/was-empty", "legacy/old"):
        aws.create_repository(repositoryName=name)
    aws.tag_resource(
        resourceArn=f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/ci/stale",
        tags=[{"Key": "team", "Value": "ci"}],
    )
    aws.put_lifecycle_policy(repositoryName="ci/stale", lifecyclePolicyText=OLD)
    stale = [push(aws, "ci/stale", t, 300 * MIB, OLD_PUSH) for t in ("v1", "w2")]
    busy = push(aws, "ci/busy", "v1", MIB, NOW - timedelta(days=1))
    legacy = push(aws, "legacy/old", "v1", MIB, OLD_PUSH)
    push(aws, "ci/was-empty", "v1", MIB, NOW)
    created = NOW - timedelta(days=365)
    fill_inventory(
        con,
        [
            {"name": "ci/empty", "created_at": created},
            {"name": "ci/stale", "created_at": created, "tags": {"team": "ci"}, "policy": OLD,
             "images": [(d, 300 * MIB, OLD_PUSH, None) for d in stale]},
            {"name": "ci/busy", "created_at": created,
             "images": [(busy, MIB, NOW - timedelta(days=1), None)]},
            {"name": "ci/exempt", "created_at": created, "tags": {"ecrcost:exempt": ""}},
            {"name": "ci/was-empty", "created_at": created},
            {"name": "legacy/old", "created_at": created,
             "images": [(legacy, MIB, OLD_PUSH, None)]},
        ],
        taken_at=NOW,
    )  # fmt: skip
    return con


def names(ecr: Any) -> set[str]:
    return {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]}


def backup_of(settings: Any) -> BackupSet:
    (folder,) = settings.backups_dir.iterdir()
    return BackupSet.open(settings.backups_dir, folder.name)


def test_delete_empty_records_then_deletes(world, aws, settings, capsys):
    code = main(["repos", "delete", "--empty", "--home", str(settings.home), "--yes"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert names(aws) == {"ci/stale", "ci/busy", "ci/exempt", "ci/was-empty", "legacy/old"}
    assert (
        "skipped 123456789012/us-east-1/ci/exempt: carries the exemption tag ecrcost:exempt" in out
    )
    assert "kept: 1 image(s) now, the snapshot said empty" in out

    backup = backup_of(settings)
    assert backup.kind == "repository_delete"
    record = backup.read_entry(ACCOUNT, REGION, "ci/empty")
    assert (record["images"], record["tags"], record["had_policy"]) == ([], {}, False)
    row = rows(world)[(log.REPOSITORY_DELETED, "ci/empty")]
    assert (row["status"], row["predicted_monthly_savings_usd"]) == ("done", 0.0)
    assert (log.REPOSITORY_DELETED, "ci/was-empty") not in rows(world)


class RecordFirst(DenyingAccess):
    """Checks, at the moment DeleteRepository is sent, that the record and log row exist."""

    def __init__(self, settings: Any, con: Any):
        super().__init__("none", "none")
        self.settings, self.con, self.checked = settings, con, []

    def client(self, service: str, account_id: str | None, region: str | None) -> Any:
        c = super().client(service, account_id, region)

        def before_delete(params: dict, **_: Any) -> None:
            name = params["repositoryName"]
            (folder,) = self.settings.backups_dir.iterdir()
            entry = folder / "repositories" / entry_file_name(ACCOUNT, REGION, name)
            assert json.loads(entry.read_text())["repository_name"] == name
            assert rows(self.con)[(log.REPOSITORY_DELETED, name)]["status"] == "backed_up"
            self.checked.append((name, params.get("force")))

        c.meta.events.register("before-parameter-build.ecr.DeleteRepository", before_delete)
        return c


def test_delete_stale_records_what_is_lost_before_deleting(world, aws, settings):
    repos = [r for r in latest_repositories(world, settings) if r.repository_name != "ci/empty"]
    access = RecordFirst(settings, world)
    result = delete_repositories(world, access, settings, repos_stale(repos), Criteria(
        stale_days=90), actor="me")  # fmt: skip

    assert access.checked == [("ci/stale", True)]  # force only because it holds images
    outcomes = {o.repository_name: (o.status, o.detail) for o in result.outcomes}
    assert outcomes["ci/stale"][0] == "done"
    assert outcomes["legacy/old"] == ("skipped", "matches exempt_repositories entry 'legacy/*'")
    assert outcomes["ci/exempt"] == ("skipped", "carries the exemption tag ecrcost:exempt")
    # Empty in the snapshot (so stale by its creation date) but pushed to since: kept.
    assert outcomes["ci/was-empty"][0] == "skipped" and "is recent" in outcomes["ci/was-empty"][1]
    assert "ci/busy" not in outcomes
    assert names(aws) >= {"ci/busy", "legacy/old"} and "ci/stale" not in names(aws)

    record = backup_of(settings).read_entry(ACCOUNT, REGION, "ci/stale")
    assert record["policy_text"] == OLD and record["tags"] == {"team": "ci"}
    assert record["repository_arn"].endswith(":repository/ci/stale")
    assert sorted(i["image_tags"][0] for i in record["images"]) == ["v1", "w2"]
    for image in record["images"]:
        assert image["image_digest"].startswith("sha256:")
        assert image["size_bytes"] == 300 * MIB
        assert datetime.fromisoformat(image["pushed_at"]) == OLD_PUSH
        assert "last_pulled_at" in image
    row = rows(world)[(log.REPOSITORY_DELETED, "ci/stale")]
    assert row["status"] == "done" and row["old_policy"] == OLD
    assert row["predicted_freed_bytes"] == 600 * MIB
    assert row["predicted_monthly_savings_usd"] == pytest.approx(600 / 1024 * 0.10)


def repos_stale(repos: list) -> list:
    return candidates(repos, Criteria(stale_days=90))


def test_cli_stale_plans_and_fails_partially(world, aws, settings, capsys, monkeypatch):
    home = str(settings.home)
    assert main(["repos", "delete", "--stale", "90", "--home", home]) == 2  # no terminal
    captured = capsys.readouterr()
    assert "ci/stale  2 images  600.0 MiB  $0.06/month" in captured.out
    assert "--yes" in captured.err
    assert "ci/stale" in names(aws)

    denying = DenyingAccess("DeleteRepository", "ci/stale")
    monkeypatch.setattr("ecrcost.aws.AwsAccess.from_settings", classmethod(lambda c, s: denying))
    assert main(["repos", "delete", "--stale", "90", "--home", home, "--yes"]) == 3
    assert "ci/stale" in capsys.readouterr().err
    row = rows(world)[(log.REPOSITORY_DELETED, "ci/stale")]
    assert row["status"] == "failed" and "AccessDeniedException" in row["detail"]
    assert "ci/stale" in names(aws) and live_policy(aws, "ci/stale") == OLD


def test_cli_needs_exactly_one_criterion(world, aws, settings, capsys):
    home = str(settings.home)
    for extra in ([], ["--empty", "--repositories", "ci/*"]):
        assert main(["repos", "delete", "--home", home, "--yes", *extra]) == 2
        assert capsys.readouterr().err == (
            "ecrcost: repos delete: give exactly one of --stale DAYS, --empty, --repositories\n"
        )
    with pytest.raises(SystemExit) as exited:  # argparse: the two are mutually exclusive
        main(["repos", "delete", "--home", home, "--yes", "--stale", "9", "--empty"])
    assert exited.value.code == 2
    assert names(aws) == {"ci/empty", "ci/stale", "ci/busy", "ci/exempt", "ci/was-empty",
                          "legacy/old"}  # fmt: skip
