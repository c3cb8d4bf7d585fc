"""Benchmark of `ecrcost inventory` against the playbook's method on one moto server. Not a test.

    .venv/bin/python bench/inventory.py [--sizes 100x20,1000x20] [--sample 60]

For each size REPOSxIMAGES, a fresh ThreadedMotoServer is seeded (through moto's backend objects,
to keep seeding quick) with REPOS repositories (half in each of two regions, each with one tag)
x IMAGES images. moto's Resource Groups Tagging API does not list ECR repositories; the tests'
plugin tests/fixtures_tagging.py adds them, as AWS has them. Then, against that same server:
  (a) ecrcost in process (collect + store), with a botocore `before-parameter-build` hook
      counting the API calls it made (per repository and per region), and the whole
      `ecrcost inventory` command as a child process (start-up included: the target's figure);
  (b) the playbook's method: per region one `aws ecr describe-repositories` process, then one
      `aws ecr describe-images --repository-name X` process per repository, run one after the
      other like the script. With --sample N < all repositories, N random repositories are
      timed and the per-repository mean is extrapolated (printed as such).
Targets (issue 15): >= 20x at 100 x 20, >= 40x at 1,000 repositories, whole process; API calls at
most 2 per repository plus, per region, one per 100 repositories (GetResources) and one per
1,000 (DescribeRepositories). Timings are wall clock on a shared machine: compare the ratios.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from ecrcost import warehouse
from ecrcost.aws import AwsAccess
from ecrcost.inventory.collect import collect_inventory
from ecrcost.inventory.store import store_snapshot
from ecrcost.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from fixtures_tagging import add_ecr_to_tagging_api  # noqa: E402  (moto's tagging API + ECR)

BIN = Path(sys.executable).parent
ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")


def seed(repos: int, images: int) -> None:
    from moto.ecr.models import ecr_backends

    for region in REGIONS:
        backend = ecr_backends[ACCOUNT][region]
        for r in range(repos):
            name = f"team{r % 17}/service-{r:04d}"
            repo = backend.create_repository(name, None, None, None, "MUTABLE", [])
            backend.tagger.tag_resource(repo.arn, [{"Key": "team", "Value": f"team{r % 17}"}])
            for i in range(images):
                manifest = {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {
                        "mediaType": "application/vnd.oci.image.config.v1+json",
                        "digest": f"sha256:{r:08x}{i:08x}{'c' * 48}",
                        "size": (i + 1) * 1024 * 1024,
                    },
                    "layers": [
                        {
                            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": f"sha256:{r:08x}{'b' * 56}",  # a base shared by all
                            "size": 80 * 1024 * 1024,
                        },
                        {
                            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": f"sha256:{r:08x}{i:08x}{'a' * 48}",
                            "size": 5 * 1024 * 1024,
                        },
                    ],
                }
                backend.put_image(name, json.dumps(manifest), f"v{i}" if i % 4 else None)


def child_env(endpoint: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECRCOST_"))}
    env.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION=REGIONS[0],
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_ENDPOINT_URL=endpoint,
        AWS_PAGER="",
        ECRCOST_HOME=str(home),
    )
    return env


def run_ecrcost_in_process(regions: str, home: Path) -> dict:
    settings = load_settings({"regions": regions, "home": str(home)}, env={})
    access = AwsAccess.from_settings(settings)
    calls: Counter[tuple[str, str, str]] = Counter()

    def count(params, model, context, **_):  # API parameters, once per call (not per retry)
        name = (
            params.get("repositoryName")
            or params.get("resourceArn", "").rpartition(":repository/")[2]
        )
        calls[(context["client_region"], name, model.name)] += 1

    # every client is created from this session, so they all inherit the hooks
    access.base_session.events.register("before-parameter-build.ecr", count)
    access.base_session.events.register("before-parameter-build.resource-groups-tagging-api", count)
    start = time.perf_counter()
    snapshot = collect_inventory(settings, access=access)
    collected = time.perf_counter() - start
    with warehouse.opened(settings.warehouse_path) as con:
        store_snapshot(con, snapshot)
    total = time.perf_counter() - start
    per_repo: dict[tuple[str, str], Counter[str]] = {}
    per_region: dict[str, Counter[str]] = {}
    for (region, name, op), n in calls.items():
        if name:
            per_repo.setdefault((region, name), Counter())[op] += n
        else:
            per_region.setdefault(region, Counter())[op] += n
    return {
        "snapshot": snapshot,
        "collect_s": collected,
        "total_s": total,
        "calls": calls,
        "per_repo": per_repo,
        "per_region": per_region,
    }


def run_playbook(endpoint: str, env: dict, sizes: dict[tuple[str, str], int], sample: int) -> dict:
    """`sizes`: ecrcost's summed image bytes per (region, repository), checked against the CLI's."""
    aws = str(BIN / "aws")
    common = ["--endpoint-url", endpoint, "--output", "json"]
    list_s, per_repo_s, timed, mismatches = 0.0, [], 0, 0
    rng = random.Random(7)
    names: dict[str, list[str]] = {}
    for region, name in sizes:
        names.setdefault(region, []).append(name)
    for region, repos in names.items():
        start = time.perf_counter()
        out = subprocess.run(
            [aws, "ecr", "describe-repositories", "--region", region, *common],
            env=env,
            capture_output=True,
            check=True,
            text=True,
        )
        list_s += time.perf_counter() - start
        assert len(json.loads(out.stdout)["repositories"]) == len(repos)
        chosen = repos if sample >= len(repos) else rng.sample(repos, sample // len(names))
        for name in chosen:
            start = time.perf_counter()
            out = subprocess.run(
                [aws, "ecr", "describe-images", "--repository-name", name, "--region", region,
                 *common],
                env=env, capture_output=True, check=True, text=True,
            )  # fmt: skip
            per_repo_s.append(time.perf_counter() - start)
            timed += 1
            details = json.loads(out.stdout)["imageDetails"]
            mismatches += sum(d.get("imageSizeInBytes", 0) for d in details) != sizes[region, name]
    total_repos = sum(len(r) for r in names.values())
    mean = sum(per_repo_s) / len(per_repo_s)
    return {
        "list_s": list_s,
        "timed": timed,
        "mean_s": mean,
        "estimated_s": list_s + mean * total_repos,
        "extrapolated": timed < total_repos,
        "mismatches": mismatches,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="100x20,1000x20",
        help="comma-separated REPOSITORIESxIMAGES runs (repositories in total, two regions)",
    )
    parser.add_argument("--sample", type=int, default=60, help="repositories timed for the CLI")
    args = parser.parse_args()

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    add_ecr_to_tagging_api()
    for size in args.sizes.split(","):
        repos, _, images = size.partition("x")
        bench_one(int(repos), int(images), args.sample)
    return 0


def bench_one(total_repos: int, images: int, sample: int) -> None:
    from moto.core.base_backend import BackendDict
    from moto.server import ThreadedMotoServer

    BackendDict.reset()  # each size starts from an empty moto
    server = ThreadedMotoServer(port=0, verbose=False)
    server.start()
    per_region = total_repos // len(REGIONS)
    try:
        port = server.get_host_and_port()[1]
        endpoint = f"http://127.0.0.1:{port}"
        start = time.perf_counter()
        seed(per_region, images)
        print(
            f"\n== {total_repos} repositories x {images} images: seeded {len(REGIONS)} regions x "
            f"{per_region} repositories in {time.perf_counter() - start:.1f} s"
        )
        with tempfile.TemporaryDirectory() as tmp:
            env = child_env(endpoint, Path(tmp) / "cli-home")
            os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
            regions = ",".join(REGIONS)
            mine = run_ecrcost_in_process(regions, Path(tmp) / "home")
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "ecrcost", "inventory", "--regions", regions],
                env=env,
                capture_output=True,
                check=True,
            )
            cli_s = time.perf_counter() - start
            sizes = {
                (r.region, r.name): sum(i.size_bytes or 0 for i in r.images if i.status == "ACTIVE")
                for r in mine["snapshot"].repositories
            }
            playbook = run_playbook(endpoint, env, sizes, sample)
    finally:
        server.stop()
    report(total_repos, images, mine, cli_s, playbook)


def report(total_repos: int, images: int, mine: dict, cli_s: float, playbook: dict) -> None:
    snap = mine["snapshot"]
    repos = len(snap.repositories)
    stored = sum(len(r.images) for r in snap.repositories)
    tagged = sum(1 for r in snap.repositories if r.tags)
    print(
        f"ecrcost in process: {repos} repositories ({tagged} with their tag), {stored} images, "
        f"{len(snap.errors)} errors; collect {mine['collect_s']:.2f} s, collect + store "
        f"{mine['total_s']:.2f} s"
    )
    print(f"ecrcost inventory command (child process, start-up included): {cli_s:.2f} s")
    how = (
        f"EXTRAPOLATED from {playbook['timed']} randomly chosen repositories "
        f"(mean {playbook['mean_s']:.3f} s per describe-images process)"
        if playbook["extrapolated"]
        else f"all {playbook['timed']} repositories timed"
    )
    print(
        f"playbook method (aws CLI, sequential): {playbook['estimated_s']:.1f} s; {how}; "
        f"describe-repositories {playbook['list_s']:.2f} s"
    )
    checked = playbook["timed"] - playbook["mismatches"]
    print(f"summed image sizes equal to the aws CLI's on {checked} of {playbook['timed']} timed")
    target = 20 if total_repos <= 100 else 40
    speedup = playbook["estimated_s"] / cli_s
    print(
        f"speed-up: {speedup:.1f}x over the ecrcost command (target >= {target}x: "
        f"{'met' if speedup >= target else 'NOT MET'}), "
        f"{playbook['estimated_s'] / mine['total_s']:.0f}x in process"
    )
    per_repo, per_region = mine["per_repo"], mine["per_region"]
    worst = Counter()
    for ops in per_repo.values():
        for op, n in ops.items():
            worst[op] = max(worst[op], n)
    per_repo_max = max((sum(ops.values()) for ops in per_repo.values()), default=0)
    region_ok = all(
        ops["GetResources"] <= math.ceil(len(snap.repositories) / len(per_region) / 99)
        and ops["DescribeRepositories"]
        <= math.ceil(len(snap.repositories) / len(per_region) / 1000)
        for ops in per_region.values()
    )
    total = sum(mine["calls"].values())
    ok = per_repo_max <= 2 and len(per_repo) == repos and region_ok
    print(
        f"API calls: {total} in total for {repos} repositories; per repository at most "
        f"{per_repo_max} ({dict(sorted(worst.items()))}); per region "
        f"{ {r: dict(sorted(o.items())) for r, o in sorted(per_region.items())} } "
        f"(target: <= 2 per repository, per region one GetResources per 100 repositories (moto "
        f"pages 99 one-tag repositories) and one DescribeRepositories per 1,000): "
        f"{'met' if ok else 'NOT MET'}"
    )


if __name__ == "__main__":
    sys.exit(main())
