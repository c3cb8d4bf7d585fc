"""`ecrcost images pin` and `images unpin` over HTTP against moto's server: the pin tag is
added with PutImage (same manifest, same media type, same digest), backed up and logged; the
dry run writes nothing; exempt repositories are skipped; unpin takes the tags off and never
deletes an image (an image whose only tag is its pin tag keeps it)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from fixtures_actions import ACCOUNT, REGION, DenyingAccess, create_repo, rows
from fixtures_in_use import in_use

from ecrcost import warehouse
from ecrcost.actions import iam
from ecrcost.actions.backup import BackupSet
from ecrcost.actions.pin import PinTarget, pin_images, pin_targets
from ecrcost.cli import main


def manifest(n: int) -> str:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": "sha256:" + f"{n:x}" * 64,
                "size": 10 + n,
            },
            "layers": [],
        }
    )


def push(ecr: Any, repo: str, n: int, tag: str | None) -> str:
    # The digest of the manifest bytes, as a registry computes it (moto needs it given).
    digest = "sha256:" + hashlib.sha256(manifest(n).encode()).hexdigest()
    kwargs = {"imageTag": tag} if tag else {}
    ecr.put_image(repositoryName=repo, imageManifest=manifest(n), imageDigest=digest, **kwargs)
    return digest


def tags_of(ecr: Any, repo: str) -> dict[str, list[str]]:
    details = ecr.describe_images(repositoryName=repo)["imageDetails"]
    return {d["imageDigest"]: sorted(d.get("imageTags", [])) for d in details}


@pytest.fixture
def org(aws, home, monkeypatch, capsys):
    """moto: web (v1 in use, an untagged image in use, v3 not), legacy/old (exempt by name, in
    use); the inventory read over HTTP, the in-use rows added to its snapshot."""
    monkeypatch.setenv("ECRCOST_EXEMPT_REPOSITORIES", "legacy/*")
    create_repo(aws, "web")
    create_repo(aws, "legacy/old")
    digests = {
        "v1": push(aws, "web", 1, "v1"),
        "untagged": push(aws, "web", 2, None),
        "v3": push(aws, "web", 3, "v3"),
        "legacy": push(aws, "legacy/old", 4, "old"),
    }
    assert main(["inventory", "--home", str(home), "--regions", REGION]) == 0
    capsys.readouterr()
    with warehouse.opened(home / "warehouse.duckdb") as con:
        snapshot = con.execute("SELECT snapshot_id, taken_at FROM ecr_snapshots").fetchall()[0]
        in_use(con, "web", digests["v1"], "ecs:prod/web", snapshot=snapshot)
        in_use(con, "web", digests["untagged"], "lambda:job:7", snapshot=snapshot)
        in_use(con, "legacy/old", digests["legacy"], "ecs:prod/old", snapshot=snapshot)
    return aws, digests


def pin_tag(digest: str) -> str:
    return "ecrcost-pin-" + digest.removeprefix("sha256:")[:16]


def test_pin_in_use_images_then_unpin_never_deletes_an_image(org, home, capsys):
    ecr, d = org
    before = tags_of(ecr, "web")
    argv = ["images", "pin", "--home", str(home), "--repositories", "*", "--in-use"]

    assert main([*argv, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"  {ACCOUNT}/{REGION}/web  {d['v1']}  + {pin_tag(d['v1'])}" in out
    assert f"  skipped {ACCOUNT}/{REGION}/legacy/old: matches exempt_repositories" in out
    assert "dry run: nothing was written" in out
    assert tags_of(ecr, "web") == before and not (home / "backups").exists()

    assert main([*argv, "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"  done      {ACCOUNT}/{REGION}/web  (2 of 2 image(s) newly pinned)" in out
    assert f"  skipped   {ACCOUNT}/{REGION}/legacy/old" in out
    after = tags_of(ecr, "web")
    assert after == {
        d["v1"]: sorted(["v1", pin_tag(d["v1"])]),
        d["untagged"]: [pin_tag(d["untagged"])],
        d["v3"]: ["v3"],
    }
    assert tags_of(ecr, "legacy/old") == {d["legacy"]: ["old"]}
    # The same manifest and media type under the new tag: the image is the same image.
    got = ecr.batch_get_image(repositoryName="web", imageIds=[{"imageTag": pin_tag(d["v1"])}])
    (img,) = got["images"]
    assert img["imageManifest"] == manifest(1) and img["imageId"]["imageDigest"] == d["v1"]
    assert img["imageManifestMediaType"] == "application/vnd.oci.image.manifest.v1+json"
    backup_id = re.search(r"^backup: (\S+)$", out, re.M).group(1)
    (entry_file,) = (home / "backups" / backup_id / "repositories").iterdir()
    entry = json.loads(entry_file.read_text())
    assert {i["image_digest"]: i["tags_before"] for i in entry["images"]} == {
        d["v1"]: ["v1"],
        d["untagged"]: [],
    }
    with warehouse.opened(home / "warehouse.duckdb", read_only=True) as con:
        logged = rows(con)
    assert logged[("image_pinned", "web")]["status"] == "done"
    assert ("image_pinned", "legacy/old") not in logged

    # Pinning again (the snapshot predates the pins; AWS is read live) adds nothing.
    assert main([*argv, "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"  unchanged {ACCOUNT}/{REGION}/web  (0 of 2 image(s) newly pinned)" in out
    assert tags_of(ecr, "web") == after

    # A pin backup holds no policies: `policy restore` says how to undo it instead.
    assert main(["policy", "restore", "--home", str(home), "--backup", backup_id, "--yes"]) == 2
    assert capsys.readouterr().err == (
        f"ecrcost: backup {backup_id} is a image_pin: it holds no policies to restore; "
        f"`ecrcost images unpin --backup {backup_id}` takes its pin tags off\n"
    )
    assert main(["images", "unpin", "--home", str(home), "--backup", backup_id, "--yes"]) == 0
    out = capsys.readouterr().out
    assert (
        f"the only tag of {d['untagged']}; removing it would delete the image, so it stays" in out
    )
    assert tags_of(ecr, "web") == {
        d["v1"]: ["v1"],
        d["untagged"]: [pin_tag(d["untagged"])],  # kept: the image is not deleted
        d["v3"]: ["v3"],
    }
    with warehouse.opened(home / "warehouse.duckdb", read_only=True) as con:
        assert rows(con)[("image_unpinned", "web")]["detail"].startswith("1 pin tag(s) removed")


def test_unpin_leaves_a_pin_tag_moved_to_another_image(org, home, capsys):
    ecr, d = org
    argv = ["images", "pin", "--home", str(home), "--repositories", "web", "--yes"]
    assert main([*argv, "--digests", d["v1"]]) == 0
    backup_id = re.search(r"^backup: (\S+)$", capsys.readouterr().out, re.M).group(1)
    # Someone re-points the pin tag at v3 (a mutable repository allows it).
    ecr.put_image(repositoryName="web", imageManifest=manifest(3), imageDigest=d["v3"],
                  imageTag=pin_tag(d["v1"]))  # fmt: skip
    assert main(["images", "unpin", "--home", str(home), "--backup", backup_id, "--yes"]) == 0
    assert "now on another image" in capsys.readouterr().out
    assert tags_of(ecr, "web")[d["v3"]] == sorted(["v3", pin_tag(d["v1"])])
    assert tags_of(ecr, "web")[d["v1"]] == ["v1"]


def test_pin_refuses_a_digest_no_selected_repository_holds(org, home, capsys):
    code = main(["images", "pin", "--home", str(home), "--repositories", "web", "--yes",
                 "--digests", "sha256:" + "9" * 64])  # fmt: skip
    assert code == 2
    assert capsys.readouterr().err == (
        f"ecrcost: --digests sha256:{'9' * 64}: no selected repository of snapshot "
        f"{_snapshot(home)} holds it\n"
    )
    assert not (home / "backups").exists()


def test_iam_policy_allows_the_calls_of_pin_and_unpin(org, home, settings, monkeypatch, capsys):
    from botocore.client import BaseClient

    seen: set[tuple[str, str]] = set()
    original = BaseClient._make_api_call

    def recording(self: Any, operation: str, params: dict) -> Any:
        seen.add((self.meta.service_model.service_name, operation))
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    _, d = org
    argv = ["images", "pin", "--home", str(home), "--repositories", "web", "--yes"]
    assert main([*argv, "--digests", d["v1"]]) == 0
    backup_id = re.search(r"^backup: (\S+)$", capsys.readouterr().out, re.M).group(1)
    assert main(["images", "unpin", "--home", str(home), "--backup", backup_id, "--yes"]) == 0
    assert {("ecr", "PutImage"), ("ecr", "BatchGetImage"), ("ecr", "BatchDeleteImage")} <= seen
    allowed = iam.allowed_actions(iam.policy_document("apply", settings))
    for service, operation in seen:
        assert iam.iam_action(service, operation) in allowed, operation
    read = iam.allowed_actions(iam.policy_document("read", settings))
    assert "ecr:PutImage" not in read and "ecr:BatchDeleteImage" not in read


def test_a_denied_put_image_fails_only_that_repository(org, home, settings):
    ecr, d = org
    create_repo(ecr, "api")
    api = push(ecr, "api", 5, "a1")
    snapshot = _snapshot(home)
    with warehouse.opened(home / "warehouse.duckdb") as con:
        targets, _ = pin_targets(con, settings, snapshot, ["web"], None, in_use=True)
        targets.append(PinTarget(ACCOUNT, REGION, "api", ((api, pin_tag(api)),)))
        result = pin_images(con, DenyingAccess("PutImage", "web"), settings, targets, actor="t")
        logged = rows(con)
    by_name = {o.repository_name: o for o in result.outcomes}
    assert by_name["web"].status == "failed"
    assert f"{d['v1']}: PutImage: AccessDeniedException: not allowed" in by_name["web"].detail
    assert by_name["api"].status == "done"
    assert tags_of(ecr, "api") == {api: sorted(["a1", pin_tag(api)])}
    assert tags_of(ecr, "web")[d["v1"]] == ["v1"]
    assert logged[("image_pinned", "web")]["status"] == "failed"
    assert BackupSet.open(settings.backups_dir, result.backup_id).manifest["complete"] is False


def _snapshot(home) -> str:
    with warehouse.opened(home / "warehouse.duckdb", read_only=True) as con:
        return con.execute("SELECT snapshot_id FROM ecr_snapshots").fetchall()[0][0]


def test_a_glob_that_matches_no_repository_is_exit_2(org, home, capsys):
    code = main(["images", "pin", "--home", str(home), "--repositories", "nope/*", "--in-use"])
    assert code == 2
    assert "matches --repositories" in capsys.readouterr().err
