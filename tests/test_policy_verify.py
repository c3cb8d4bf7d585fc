"""`ecrcost policy verify`: AWS's lifecycle policy preview (a local endpoint with AWS's response
shapes, every other call passed on to moto's server: moto has no previews) compared image by
image with the simulation: agreement on AWS's own worked example, pages of 100, every
disagreement with both answers, a preview already running, a failed preview as `missing:`."""

from __future__ import annotations

import json

import pytest
from fixtures_actions import ACCOUNT, REGION
from fixtures_in_use import digest, image, inventory, policy_text
from fixtures_preview import PreviewServer, result

from ecrcost.actions import iam
from ecrcost.aws import AwsAccess
from ecrcost.cli import main
from ecrcost.lifecycle.verify import Waits, verify_policy


def prefix_rule(priority: int, prefix: str) -> dict:
    return {
        "rulePriority": priority,
        "selection": {"tagStatus": "tagged", "tagPrefixList": [prefix],
                      "countType": "imageCountMoreThan", "countNumber": 1},
        "action": {"type": "expire"},
    }  # fmt: skip


# The worked example of "Lifecycle policy evaluation rules" (docs/lifecycle-semantics.md,
# Evaluation 4): rule 1 `prod` keep 1, rule 2 `beta` keep 1: only A is expired.
POLICY = policy_text(prefix_rule(1, "prod"), prefix_rule(2, "beta"))
A = image(1, ("beta-1", "prod-1"), 10)
B = image(2, ("beta-2", "prod-2"), 9)
C = image(3, ("beta-3",), 8)


def aws_result(img: dict, action: str, priority: int) -> dict:
    return result(img["digest"], img["tags"], action, priority, img["pushed"])


@pytest.fixture
def preview(moto_reset, monkeypatch):
    with PreviewServer(moto_reset) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
        yield server.state


@pytest.fixture
def world(con, preview):
    big = [image(100 + k, (f"beta-{k}",), 200 - k) for k in range(150)]
    inventory(con, {"example": [A, B, C], "differs": [A, B, C], "big": big})
    preview.answers = {
        "example": [aws_result(A, "EXPIRE", 1)],
        # AWS's answer as if rule 2 could act on B: B expired too, and D pushed since.
        "differs": [
            aws_result(A, "EXPIRE", 1),
            aws_result(B, "EXPIRE", 2),
            result(digest(9), ["beta-9"], "EXPIRE", 2, A["pushed"]),
        ],
        # Newest first, rule 2 keeps big's newest image (k = 149): 149 results, two pages.
        "big": [aws_result(img, "EXPIRE", 2) for img in big[:149]],
    }
    return con


def run(con, settings, *globs: str):
    return verify_policy(
        con, settings, AwsAccess(), POLICY, list(globs), None, A["pushed"],
        waits=Waits(first=0.01, longest=0.01, bound=5), sleep=lambda s: None,
    )  # fmt: skip


def test_agreement_on_aws_worked_example_and_across_pages(world, settings, preview):
    found = run(world, settings, "example", "big")
    by_name = {r.repository_name: r for r in found.repositories}
    assert (by_name["example"].status, by_name["example"].compared) == ("compared", 3)
    assert by_name["example"].agreed == 3 and by_name["example"].disagreements == []
    assert (by_name["big"].compared, by_name["big"].agreed) == (150, 150)
    assert found.totals == {
        "repositories": 2,
        "failed": 0,
        "skipped": 0,
        "images_compared": 153,
        "agreed": 153,
        "disagreements": 0,
        "agreement_rate": 1.0,
    }
    gets = [c for c in preview.calls if c == ("GetLifecyclePolicyPreview", "big")]
    assert len(gets) == 3  # one poll IN_PROGRESS, the first page, the second page


def test_every_disagreement_is_listed_with_both_answers(world, settings):
    (check,) = run(world, settings, "differs").repositories
    assert (check.compared, check.agreed) == (4, 2)
    assert check.disagreements == [
        {
            "digest": B["digest"],
            "tags": ["beta-2", "prod-2"],
            "local": {"action": None, "rule_priority": None},
            "aws": {"action": "expire", "rule_priority": 2},
        },
        {
            "digest": digest(9),
            "tags": ["beta-9"],
            "local": None,
            "aws": {"action": "expire", "rule_priority": 2},
            "note": "not in the snapshot (pushed since?)",
        },
    ]


def test_a_preview_already_running_is_waited_for_then_ours_starts(world, settings, preview):
    preview.busy.add("example")
    preview.throttled.add("example")  # and AWS's rate limit once: the client retries it
    (check,) = run(world, settings, "example").repositories
    assert (check.status, check.agreed) == ("compared", 3)
    starts = [c for c in preview.calls if c == ("StartLifecyclePolicyPreview", "example")]
    assert len(starts) == 3  # throttled, refused while the other one ran, ours


def test_cli_lists_disagreements_and_missing_previews(world, home, tmp_path, preview, capsys):
    preview.failed.add("big")
    world.close()
    path = tmp_path / "policy.json"
    path.write_text(POLICY)
    argv = ["policy", "verify", "--home", str(home), "--policy", str(path), "--repositories"]
    assert main([*argv, "example"]) == 0
    out = capsys.readouterr().out
    assert f"  compared {ACCOUNT}/{REGION}/example: 3 of 3 images agree" in out
    assert "agreement: 3 of 3 images (100.00%) in 1 repositories" in out

    code = main([*argv, "differs", "big", "-o", "json"])
    captured = capsys.readouterr()
    assert code == 3
    doc = json.loads(captured.out)
    assert doc["totals"]["agreement_rate"] == 0.5 and doc["totals"]["failed"] == 1
    assert f"missing: {ACCOUNT}/{REGION}/big: the preview ended FAILED" in captured.err

    assert main([*argv, "differs"]) == 1
    captured = capsys.readouterr()
    assert f"    {B['digest']} (beta-2,prod-2): ecrcost keep, AWS expire (rule 2)" in captured.out
    assert f"    {digest(9)} (beta-9): ecrcost not in the snapshot, AWS expire (rule 2)" in (
        captured.out
    )
    assert captured.err.endswith(
        "ecrcost: AWS's preview and the simulation disagree on 2 of 4 images (listed above)\n"
    )


def test_previews_need_only_the_read_mode_of_iam_policy(world, settings, preview):

    run(world, settings, "example")
    read = iam.allowed_actions(iam.policy_document("read", settings))
    for operation in {op for op, _ in preview.calls}:
        assert iam.iam_action("ecr", operation) in read, operation


def test_cli_refuses_a_bad_wait(world, home, capsys):
    world.close()
    code = main(["policy", "verify", "--home", str(home), "--repositories", "*",
                 "--wait-seconds", "0"])  # fmt: skip
    assert code == 2
    assert capsys.readouterr().err.endswith("give a positive number of seconds\n")
