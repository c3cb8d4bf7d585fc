"""`policy plan` prints a page a person reads (one line per repository, --diff for the rest);
`policy simulate --images` reads what `aws ecr describe-images` prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecrcost.cli import main
from ecrcost.errors import UserError
from ecrcost.inventory.model import Snapshot
from ecrcost.lifecycle.images_file import read_images_file
from ecrcost.lifecycle.model import ARCHIVE, STANDARD

KEEP_TWO = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": "keep two",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": 2,
                },
                "action": {"type": "expire"},
            }
        ]
    }
)


@pytest.fixture
def sample_home(sample_org, tmp_path, capsys):
    out, _ = sample_org
    home = tmp_path / "home"
    snapshot_file = out / "inventory" / "snapshot.json.gz"
    assert main(["inventory", "--from-snapshot", str(snapshot_file), "--home", str(home)]) == 0
    capsys.readouterr()
    return home, Snapshot.read(snapshot_file)


def test_plan_prints_one_line_per_repository_and_the_totals(sample_home, capsys):
    home, snapshot = sample_home
    assert main(["policy", "plan", "--home", str(home)]) == 0
    lines = capsys.readouterr().out.splitlines()
    repos = len(snapshot.repositories)
    assert repos == 67  # the sample organisation of conftest's sample_org (seed 11)
    assert len(lines) <= 75
    assert lines[0].startswith("using snapshot ")
    header = lines[1].split()
    assert header == ["repository", "expire", "expire", "GiB", "archive", "archive", "GiB",
                      "$/month", "in", "use", "flags"]  # fmt: skip
    body = lines[2 : 2 + repos]
    labels = [line.split()[0] for line in body]
    assert labels == sorted(f"{r.account_id}/{r.region}/{r.name}" for r in snapshot.repositories)
    rest = lines[2 + repos :]
    if any(line.split()[-1] == "in_use" for line in body):  # the sample's ECS/Lambda images
        assert (
            rest.pop(0) == "! in use: images the policy would expire or archive that workloads use"
        )
    assert rest[0].startswith("total at ")
    assert not any(line.startswith(("==", "---", "+++", "  -")) for line in lines)

    assert main(["policy", "plan", "--home", str(home), "-o", "json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    for line, r in zip(body, plan["repositories"], strict=True):
        cells = line.split()
        if r["skipped_reason"]:
            assert cells[1:6] == ["-"] * 5
            continue
        expire_bytes = sum(i["size_bytes"] or 0 for i in r["images_to_go"]
                           if i["action"] == "expire")  # fmt: skip
        assert cells[1] == str(r["expired"])
        assert cells[2] == f"{expire_bytes / 1024**3:,.2f}"
        assert cells[3] == str(r["transitioned"])
        assert cells[5].rstrip("+") == f"${r['monthly_savings_usd']:,.2f}"
        in_use = [i for i in r["images_to_go"] if i["in_use_by"]]
        assert cells[6] == (f"{len(in_use)}!" if in_use else "0")  # ECS/Lambda use some


def test_plan_diff_prints_the_policy_diff_and_the_images(sample_home, capsys):
    home, _ = sample_home
    assert main(["policy", "plan", "--home", str(home), "--diff", "--repositories", "*"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n== ") == 67
    assert "+++ " in out and "\n  - expire sha256:" in out


def test_plan_at_help_does_not_mention_images(capsys):
    with pytest.raises(SystemExit):
        main(["policy", "plan", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--images" not in text
    assert "--at AT evaluation instant, ISO 8601 (default: the snapshot's taken_at)" in text
    assert "--diff" in text


# --- describe-images input -------------------------------------------------------------------

DETAILS = {
    "imageDetails": [
        {
            "registryId": "123456789012",
            "repositoryName": "team/app",
            "imageDigest": "sha256:" + "a" * 64,
            "imageTags": ["v1"],
            "imageSizeInBytes": 1073741824,
            "imagePushedAt": "2025-01-15T10:20:30.123000+00:00",
            "lastRecordedPullTime": "2025-03-01T00:00:00+00:00",
            "imageManifestMediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactMediaType": "application/vnd.oci.image.config.v1+json",
            "imageStatus": "ACTIVE",
        },
        {
            "registryId": "123456789012",
            "repositoryName": "team/app",
            "imageDigest": "sha256:" + "b" * 64,
            "imageSizeInBytes": 536870912,
            "imagePushedAt": 1736936430.5,
            "imageStatus": "ARCHIVED",
            "lastArchivedAt": 1740000000,
        },
        {
            "imageDigest": "sha256:" + "c" * 64,
            "imageTags": ["v2"],
            "imageSizeInBytes": 10,
            "imagePushedAt": "2025-02-01T00:00:00Z",
        },
    ]
}


def write(tmp_path: Path, doc: object) -> str:
    path = tmp_path / "images.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_describe_images_output_is_read_with_both_timestamp_formats(tmp_path):
    a, b, c = read_images_file(write(tmp_path, DETAILS))
    assert (a.digest, a.tags, a.size_bytes, a.storage_class) == (
        "sha256:" + "a" * 64,
        ("v1",),
        1073741824,
        STANDARD,
    )
    assert a.pushed_at.isoformat() == "2025-01-15T10:20:30.123000+00:00"
    assert a.last_pulled_at.isoformat() == "2025-03-01T00:00:00+00:00"
    assert (b.tags, b.storage_class) == ((), ARCHIVE)
    assert b.pushed_at.isoformat() == "2025-01-15T10:20:30.500000+00:00"
    assert b.archived_at.isoformat() == "2025-02-19T21:20:00+00:00"
    assert c.pushed_at.isoformat() == "2025-02-01T00:00:00+00:00"


def test_simulate_over_describe_images(tmp_path, capsys):
    policy = tmp_path / "keep.json"
    policy.write_text(KEEP_TWO.replace('"countNumber": 2', '"countNumber": 1'))
    assert main(["policy", "simulate", "--policy", str(policy), "--images",
                 write(tmp_path, DETAILS), "--at", "2025-06-01T00:00:00Z", "-o", "json"]) == 0  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    expired = [o["digest"] for o in doc["images"] if o["action"] == "expire"]
    assert expired == ["sha256:" + "a" * 64]  # the newest (c) is kept; b is archived


@pytest.mark.parametrize(
    "change, message",
    [
        ({"imagePushedAt": "yesterday"}, "image sha256:aaa"),
        ({"imagePushedAt": None}, "field imagePushedAt is required"),
        ({"imageSizeInBytes": "big"}, "field imageSizeInBytes must be a non-negative integer"),
        ({"imageStatus": "GONE"}, "field imageStatus must be ACTIVE, ARCHIVED or ACTIVATING"),
        ({"imageTags": "v1"}, "field imageTags must be a list of strings"),
        ({"imageTags": ["v1", "a\nb"]}, "field imageTags: 'a\\nb' is not an image tag"),
        ({"imageTags": [""]}, "field imageTags: '' is not an image tag (1 to 300 characters"),
        ({"imageTags": ["x" * 301]}, "is not an image tag (1 to 300 characters, no line break)"),
        ({"lastRecordedPullTime": True}, "field lastRecordedPullTime must be an ISO 8601 time"),
    ],
)
def test_describe_images_errors_name_the_image_and_field(tmp_path, change, message):
    doc = json.loads(json.dumps(DETAILS))
    doc["imageDetails"][0].update(change)
    with pytest.raises(UserError) as err:
        read_images_file(write(tmp_path, doc))
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith(f"{tmp_path / 'images.json'}: image ")
    assert message in text


def test_simulate_help_documents_both_input_formats(capsys):
    with pytest.raises(SystemExit):
        main(["policy", "simulate", "--help"])
    out = capsys.readouterr().out
    assert "aws ecr describe-images" in out and "imageDetails" in out
    assert "cli_timestamp_format = none" in out and "docs/policy-input.md" in out


def test_snapshot_does_not_apply_to_an_images_file(tmp_path, capsys):
    code = main(["policy", "simulate", "--images", write(tmp_path, DETAILS), "--snapshot", "S1"])
    assert code == 2
    assert capsys.readouterr().err == (
        "ecrcost: --snapshot chooses the inventory of --repositories, not --images\n"
    )
