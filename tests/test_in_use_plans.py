"""Plans, simulations and applies that respect images in use: what `policy plan` and `policy
simulate` mark, the JSON keys, the proposals that keep every in-use image (checked by planning
them again), possibly-in-use scopes, and `policy apply` refusing over HTTP (moto's server)
unless --allow-in-use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures_actions import ACCOUNT, REGION, create_repo, live_policy, rows
from fixtures_in_use import (
    SNAPSHOT,
    all_sources_read,
    digest,
    image,
    in_use,
    inventory,
    keep_newest,
    policy_text,
    source,
)

from ecrcost import warehouse
from ecrcost.cli import main
from ecrcost.lifecycle.plan import plan_policy

KEEP_ONE = policy_text(keep_newest(1))


def web_images() -> list[dict]:
    # Newest first: 4 (untagged), 3, 2, 1; "keep the newest 1" expires 3, 2 and 1.
    return [image(1, ("v1",), 10), image(2, ("v2",), 9), image(3, ("v3",), 8), image(4, (), 7)]


@pytest.fixture
def world(con):
    """web: two of the images the policy expires are in use (ECS, Lambda); api: none."""
    inventory(con, {"web": web_images(), "api": [image(10, ("a",), 3), image(11, ("b",), 2)]})
    all_sources_read(con)
    in_use(con, "web", digest(1), "ecs:prod/web")
    in_use(con, "web", digest(1), "k8s:eks-prod/default/web-7d9")
    in_use(con, "web", digest(2), "lambda:resize:3")
    in_use(con, "api", None, "ecs:prod/api")  # a reference that resolves to no image
    return con


def write(tmp_path: Path, text: str, name: str = "policy.json") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def plan_json(home: Path, policy: str, capsys, *extra: str) -> dict:
    code = main(["policy", "plan", "--home", str(home), "--policy", policy, "-o", "json", *extra])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_plan_json_carries_in_use_by_for_every_image_to_go(world, home, tmp_path, capsys):
    world.close()
    doc = plan_json(home, write(tmp_path, KEEP_ONE), capsys)
    web = next(r for r in doc["repositories"] if r["repository_name"] == "web")
    to_go = {i["digest"]: i for i in web["images_to_go"]}
    assert set(to_go) == {digest(1), digest(2), digest(3)}
    for i in to_go.values():
        assert {"digest", "tags", "action", "rule_priority", "in_use_by"} <= set(i)
        assert (i["action"], i["rule_priority"]) == ("expire", 1)
    assert to_go[digest(1)]["in_use_by"] == ["ecs:prod/web", "k8s:eks-prod/default/web-7d9"]
    assert to_go[digest(1)]["tags"] == ["v1"]
    assert to_go[digest(2)]["in_use_by"] == ["lambda:resize:3"]
    assert to_go[digest(3)]["in_use_by"] == []
    api = next(r for r in doc["repositories"] if r["repository_name"] == "api")
    assert [i["in_use_by"] for i in api["images_to_go"]] == [[]]
    assert (web["in_use"]["images"], api["in_use"]["images"]) == (2, 0)
    assert (doc["totals"]["in_use"], doc["totals"]["repositories_in_use"]) == (2, 1)
    assert doc["in_use"]["collected"] is True and doc["in_use"]["unread"] == []


def test_plan_and_simulate_tables_mark_the_in_use_images(world, home, tmp_path, capsys):
    world.close()
    policy = write(tmp_path, KEEP_ONE)
    assert main(["policy", "plan", "--home", str(home), "--policy", policy]) == 0
    out = capsys.readouterr().out
    web = next(line for line in out.splitlines() if line.endswith("/web") or "/web " in line)
    assert web.split()[-2:] == ["2!", "in_use"]
    api = next(line for line in out.splitlines() if "/api " in line)
    assert api.split()[-1] == "0"
    assert (
        "IN USE: the policy would expire or archive 2 image(s) that workloads use (ECS, Lambda, "
        "Kubernetes, Inspector) or that a source not read may use; `policy apply` refuses these "
        "repositories unless --allow-in-use (repositories: 1)"
    ) in out

    assert main(["policy", "plan", "--home", str(home), "--policy", policy, "--diff"]) == 0
    out = capsys.readouterr().out
    assert f"  - expire {digest(2)[:19]} v2 (rule 1)  IN USE by lambda:resize:3" in out
    assert f"  - expire {digest(3)[:19]} v3 (rule 1)\n" in out
    assert "    rule 1 countNumber 1 -> 4: keeps every in-use image (0 expired, 0 archived)" in out
    assert (
        "    pin 2 image(s) and add the pin rule on top: keeps every in-use image "
        "(1 expired, 0 archived)"
    ) in out

    code = main(["policy", "simulate", "--home", str(home), "--policy", policy,
                 "--repositories", "web"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "expire (rule 1)  IN USE by ecs:prod/web, k8s:eks-prod/default/web-7d9" in out
    assert "  IN USE: the policy would expire or archive 2 image(s)" in out
    code = main(["policy", "simulate", "--home", str(home), "--policy", policy,
                 "--repositories", "web", "-o", "json"])  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    marks = {i["digest"]: i["in_use_by"] for i in doc["repositories"][0]["images"]}
    assert marks[digest(2)] == ["lambda:resize:3"] and marks[digest(4)] == []
    assert doc["summary"]["in_use"] == 2


def test_the_count_proposal_is_the_smallest_that_keeps_every_in_use_image(world, settings):
    plan = plan_policy(world, settings, KEEP_ONE)
    (web,) = plan.in_use_repositories
    count = web.in_use_proposals["count_number"]
    assert count.counts == [{"rule_priority": 1, "count_number": 1, "proposed": 4}]
    assert count.keeps_all and count.still_going == []
    # Planned again with the proposal: nothing in use goes; one less and the oldest one goes.
    again = plan_policy(world, settings, policy_text(keep_newest(4)), ["web"])
    assert again.in_use_repositories == [] and again.totals["in_use"] == 0
    fewer = plan_policy(world, settings, policy_text(keep_newest(3)), ["web"])
    assert [img.digest for img, *_ in fewer.in_use_repositories[0].in_use_to_go] == [digest(1)]


def test_the_pin_proposal_keeps_every_in_use_image_once_the_tags_are_there(world, settings):
    plan = plan_policy(world, settings, KEEP_ONE)
    pinned_text = plan.pin_policy_text
    rules = json.loads(pinned_text)["rules"]
    assert rules[0] == {
        "rulePriority": 1,
        "description": "ecrcost: images carrying a pin tag (in use) are kept",
        "selection": {
            "tagStatus": "tagged",
            "tagPrefixList": ["ecrcost-pin-"],
            "countType": "imageCountMoreThan",
            "countNumber": 2147483647,
        },
        "action": {"type": "expire"},
    }
    assert rules[1]["rulePriority"] == 2  # the user's rule 1 moved below the pin rule
    pin = plan.in_use_repositories[0].in_use_proposals["pin"]
    assert pin.pins == [
        {"digest": digest(1), "tag": "ecrcost-pin-0001cccccccccccc"},
        {"digest": digest(2), "tag": "ecrcost-pin-0002cccccccccccc"},
    ]
    # The tags as `images pin` puts them, then the pinned policy planned over that inventory.
    for p in pin.pins:
        world.execute(
            "UPDATE ecr_images SET image_tags = list_append(image_tags, ?) WHERE image_digest = ?",
            [p["tag"], p["digest"]],
        )
    again = plan_policy(world, settings, pinned_text, ["web"])
    (web,) = again.repositories
    assert web.in_use_by == {} and [i["digest"] for i in web.images_to_go] == [digest(3)]
    # Without the pin rule the tags alone protect nothing.
    assert plan_policy(world, settings, KEEP_ONE, ["web"]).totals["in_use"] == 2


def test_manifest_lists_and_referrers_share_their_images_use(con, settings):
    """A platform image in use keeps its list in use; a subject in use keeps its signature."""
    inventory(
        con,
        {
            "multi": [
                image(1, ("v1",), 10, children=(2, 3)),  # the list: expired by "keep 1"
                image(2, (), 10),
                image(3, (), 10),
                image(4, ("v2",), 1),  # the newest, kept
            ],
            "signed": [
                image(5, ("v1",), 1),  # the subject, in use and kept
                image(6, (), 9, subject=5),  # its signature: untagged, expired by rule 1
            ],
        },
    )
    all_sources_read(con)
    in_use(con, "multi", digest(2), "ecs:prod/multi")  # ECS reported the platform image
    in_use(con, "signed", digest(5), "lambda:sign:1")
    untagged = {
        "rulePriority": 1,
        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                      "countUnit": "days", "countNumber": 1},
        "action": {"type": "expire"},
    }  # fmt: skip
    plan = plan_policy(con, settings, policy_text(untagged, keep_newest(1, 2)))
    # multi: the children are protected while the list stays; the list goes, and with it the
    # platform image ECS runs would be orphaned. signed: rule 2 keeps the subject (the newest
    # image it may act on), rule 1 expires the signature.
    marked = {
        r.repository_name: {img.digest: users for img, _, _, users in r.in_use_to_go}
        for r in plan.in_use_repositories
    }
    assert marked == {
        "multi": {digest(1): ("ecs:prod/multi",)},
        "signed": {digest(6): ("lambda:sign:1",)},
    }


def test_a_source_not_read_makes_its_scope_possibly_in_use(con, settings, home, tmp_path, capsys):
    inventory(con, {"web": web_images()})
    inventory_other_region(con)
    source(con, "ecs", "missing", detail="AccessDeniedException: not allowed")
    source(con, "lambda")
    plan = plan_policy(con, settings, KEEP_ONE)
    by_name = {r.repository_name: r for r in plan.repositories}
    label = f"unknown:ecs {ACCOUNT}/{REGION} not read"
    assert {i["digest"]: i["in_use_by"] for i in by_name["web"].to_json()["images_to_go"]} == {
        digest(n): [label] for n in (1, 2, 3)
    }
    assert by_name["web"].in_use_proposals == {}  # nothing known to pin or to count
    con.close()
    assert main(["policy", "plan", "--home", str(home), "--policy", write(tmp_path, KEEP_ONE),
                 "--diff", "--repositories", "web"]) == 0  # fmt: skip
    assert (
        "    3 of them possibly in use (a source was not read): nothing can keep images nobody "
        "knows of; re-run the inventory once it can read that source"
    ) in capsys.readouterr().out
    con = warehouse.connect(home / "warehouse.duckdb")
    assert by_name["eu"].in_use_by == {}  # another region: ECS was read there
    # A pods file that did not parse covers every repository.
    source(con, "k8s", "missing", account=None, region=None, scope="pods.json",
           detail="not JSON")  # fmt: skip
    plan = plan_policy(con, settings, KEEP_ONE)
    eu = next(r for r in plan.repositories if r.repository_name == "eu")
    assert [i["in_use_by"] for i in eu.to_json()["images_to_go"]] == [
        ["unknown:k8s pods.json not read"]
    ]
    con.close()
    doc = plan_json(home, write(tmp_path, KEEP_ONE), capsys)
    assert doc["in_use"]["unread"] == ["unknown:ecs 123456789012/us-east-1 not read",
                                       "unknown:k8s pods.json not read"]  # fmt: skip


def inventory_other_region(con) -> None:
    taken = con.execute("SELECT taken_at FROM ecr_snapshots").fetchall()[0][0]
    con.execute(
        "INSERT INTO ecr_repositories SELECT snapshot_id, taken_at, account_id, 'eu-west-1', "
        "'eu', repository_arn, repository_uri, created_at, image_tag_mutability, complete "
        "FROM ecr_repositories WHERE repository_name = 'web'"
    )
    for n in (20, 21):
        con.execute(
            "INSERT INTO ecr_images SELECT snapshot_id, taken_at, account_id, 'eu-west-1', 'eu', "
            "?, image_tags, size_bytes, pushed_at - INTERVAL (?) SECOND, last_pulled_at, "
            "manifest_media_type, artifact_media_type, subject_digest, image_status, archived_at, "
            "activated_at, child_digests FROM ecr_images WHERE image_digest = ?",
            [digest(n), n, digest(1)],
        )
    assert taken is not None


def test_a_snapshot_without_in_use_sources_says_so_and_marks_nothing(con, settings):
    inventory(con, {"web": web_images()})
    plan = plan_policy(con, settings, KEEP_ONE)
    assert plan.totals["in_use"] == 0
    assert plan.in_use.notes() == [
        f"images in use: none recorded with snapshot {SNAPSHOT} (taken before ecrcost collected "
        "them); run `ecrcost inventory` to check ECS, Lambda, Kubernetes and Inspector"
    ]


# --- policy apply over HTTP ------------------------------------------------------------------


@pytest.fixture
def live_world(aws, world):
    create_repo(aws, "web")
    create_repo(aws, "api")
    world.close()
    return aws


def test_apply_refuses_the_in_use_repository_and_writes_the_others(
    live_world, home, tmp_path, capsys
):
    ecr = live_world
    policy = write(tmp_path, KEEP_ONE)
    code = main(["policy", "apply", "--home", str(home), "--policy", policy, "--yes"])
    captured = capsys.readouterr()
    assert code == 2, captured
    label = f"{ACCOUNT}/{REGION}/web"
    assert (
        f"  refused {label}: rule 1 would expire {digest(1)} (v1), used by ecs:prod/web, "
        "k8s:eks-prod/default/web-7d9"
    ) in captured.out
    assert f"  refused {label}: rule 1 would expire {digest(2)} (v2), used by lambda:resize:3" in (
        captured.out
    )
    assert f"  done      {ACCOUNT}/{REGION}/api" in captured.out
    assert captured.err == (
        f"ecrcost: 1 repositories refused, first {label}: the policy would expire or archive "
        "images in use (pin them with `ecrcost images pin --in-use`, raise the rule's "
        "countNumber as `policy plan --diff` proposes, or pass --allow-in-use); the other "
        "repositories are written\n"
    )
    assert live_policy(ecr, "web") is None
    assert json.loads(live_policy(ecr, "api")) == json.loads(KEEP_ONE)
    backups = list((home / "backups").iterdir())
    (entry,) = (backups[0] / "repositories").iterdir()
    assert "api" in entry.name  # the refused repository is not part of the run
    with warehouse.opened(home / "warehouse.duckdb", read_only=True) as con:
        assert set(rows(con)) == {("policy_applied", "api")}

    code = main(["policy", "apply", "--home", str(home), "--policy", policy, "--yes",
                 "--allow-in-use"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"  allowed by --allow-in-use {label}: rule 1 would expire {digest(2)} (v2)" in out
    assert json.loads(live_policy(ecr, "web")) == json.loads(KEEP_ONE)
    with warehouse.opened(home / "warehouse.duckdb", read_only=True) as con:
        logged = rows(con)[("policy_applied", "web")]
    assert (logged["status"], logged["detail"]) == (
        "done",
        "--allow-in-use: 2 image(s) in use to go",
    )


def test_apply_refusing_every_repository_writes_nothing(live_world, home, tmp_path, capsys):
    ecr = live_world
    policy = write(tmp_path, KEEP_ONE)
    code = main(["policy", "apply", "--home", str(home), "--policy", policy, "--yes",
                 "--repositories", "web"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.endswith("; nothing was written\n")
    assert live_policy(ecr, "web") is None
    assert not (home / "backups").exists()  # refused before any backup

    code = main(["policy", "apply", "--home", str(home), "--policy", policy, "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0
    assert f"  refused {ACCOUNT}/{REGION}/web: rule 1 would expire {digest(1)}" in out
    assert "1 repositories refused, first" in out and "the real run writes the others" in out
    assert out.rstrip().endswith(
        "dry run: nothing was written (no AWS call, no backup, no log row)"
    )
    assert (live_policy(ecr, "web"), live_policy(ecr, "api")) == (None, None)


def test_a_rule_that_does_not_count_images_can_only_be_pinned(world, settings):
    older_than_a_week = {
        "rulePriority": 1,
        "selection": {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days",
                      "countNumber": 7},
        "action": {"type": "expire"},
    }  # fmt: skip
    plan = plan_policy(world, settings, policy_text(older_than_a_week), ["web"])
    (web,) = plan.in_use_repositories
    count, pin = web.in_use_proposals["count_number"], web.in_use_proposals["pin"]
    assert (count.counts, count.not_by_count, count.keeps_all) == ([], [1], False)
    assert count.still_going == [digest(1), digest(2)]
    # v3 and the untagged image (7 days and 4 s old) still go; the pinned v1 and v2 stay.
    assert pin.keeps_all and pin.expired == 2


def test_no_pin_proposal_when_a_rule_already_selects_the_pin_prefix(world, settings, capsys):
    rule = {
        "rulePriority": 1,
        "selection": {"tagStatus": "tagged", "tagPrefixList": ["ecrcost-pin-"],
                      "countType": "imageCountMoreThan", "countNumber": 1},
        "action": {"type": "expire"},
    }  # fmt: skip
    plan = plan_policy(world, settings, policy_text(rule, keep_newest(1, 2)))
    assert plan.pin_policy_text is None
    assert plan.pin_problem == "a rule already selects the tag prefix 'ecrcost-pin-'"
    assert "pin" not in plan.in_use_repositories[0].in_use_proposals


def test_apply_judges_images_as_aws_will_now_not_at_the_snapshots_time(
    aws, con, home, tmp_path, capsys
):
    """Pushed 5 days before the snapshot: a 20-day rule leaves the image alone at the snapshot's
    time, but AWS evaluates the policy from now on (weeks later), when it is old enough: apply
    judges it now, so the in-use image is refused."""
    inventory(con, {"web": [image(1, ("v1",), 5), image(2, ("v2",), 1)]})
    all_sources_read(con)
    in_use(con, "web", digest(1), "ecs:prod/web")
    create_repo(aws, "web")
    con.close()
    older_than_20_days = {
        "rulePriority": 1,
        "selection": {"tagStatus": "any", "countType": "sinceImagePushed",
                      "countUnit": "days", "countNumber": 20},
        "action": {"type": "expire"},
    }  # fmt: skip
    policy = write(tmp_path, policy_text(older_than_20_days))
    # at the snapshot's time nothing goes
    assert plan_json(home, policy, capsys)["totals"]["expired"] == 0
    code = main(["policy", "apply", "--home", str(home), "--policy", policy, "--yes"])
    captured = capsys.readouterr()
    assert code == 2, captured
    assert f"  refused {ACCOUNT}/{REGION}/web: rule 1 would expire {digest(1)} (v1)" in (
        captured.out
    )
    assert live_policy(aws, "web") is None


def test_apply_refuses_a_snapshot_that_records_no_images_in_use(aws, con, home, tmp_path, capsys):
    inventory(con, {"web": web_images()})  # no in-use source: taken before the collection
    create_repo(aws, "web")
    con.close()
    policy = write(tmp_path, KEEP_ONE)
    code = main(["policy", "apply", "--home", str(home), "--policy", policy, "--yes"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == (
        f"ecrcost: snapshot {SNAPSHOT} records no images in use (taken before ecrcost collected "
        "them): run `ecrcost inventory` first, or pass --allow-in-use to apply without knowing "
        "what ECS, Lambda and Kubernetes run\n"
    )
    assert live_policy(aws, "web") is None and not (home / "backups").exists()
    code = main(["policy", "apply", "--home", str(home), "--policy", policy, "--yes",
                 "--allow-in-use"])  # fmt: skip
    assert code == 0, capsys.readouterr()
    assert json.loads(live_policy(aws, "web")) == json.loads(KEEP_ONE)
