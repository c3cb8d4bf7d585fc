"""Benchmark: the playbook base policy over 1,000,000 images in 10,000 repositories.

Target: under 5 s and under 2 GB. Run: `.venv/bin/python bench/simulate.py`
(`--repositories N --images-per-repository M` to change the size; bench/plan.py writes the same
images into a warehouse with `write_warehouse` and times `ecrcost policy plan` against this
simulation). Synthetic, realistic tags:
about 15% untagged, one `latest` per repository, 40% `v1.2.3` releases, the rest branch-sha tags
(`main-1a2b3c4`); 2 shared base layers per repository plus one own layer per image; 30% pulled.
Timed: `simulate()` per repository (evaluation, layer-aware savings and danger flags), not the
building of the synthetic data, twice over the same images: as `LifecycleImage` lists (what
`policy simulate --images` reads; `simulate` turns them into columns first) and as the
simulator's own columns (`ImageColumns`, built untimed: what `policy plan` loads from the
warehouse). Both give the same figures (checked). Peak memory is the process's maximum resident
set size.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ecrcost import warehouse
from ecrcost.fmt import gib, money_per_month
from ecrcost.lifecycle.model import LifecycleImage, columns_of
from ecrcost.lifecycle.policy import load_policy_file
from ecrcost.lifecycle.simulate import simulate
from ecrcost.prices import PriceTable

AT = datetime(2026, 3, 1, tzinfo=UTC)
BRANCHES = ("main", "develop", "feature-login", "fix-cache", "release")


def build(repositories: int, per_repo: int, seed: int = 7) -> list[list[LifecycleImage]]:
    rng = random.Random(seed)
    out = []
    serial = 0
    for r in range(repositories):
        base = ((f"sha256:{r:032x}{0:032x}", 80_000_000), (f"sha256:{r:032x}{1:032x}", 20_000_000))
        images = []
        latest_at = rng.randrange(per_repo)
        for k in range(per_repo):
            serial += 1
            roll = rng.random()
            if roll < 0.15:
                tags: tuple[str, ...] = ()
            elif roll < 0.55:
                tags = (f"v{rng.randrange(4)}.{rng.randrange(20)}.{k}",)
            else:
                tags = (f"{rng.choice(BRANCHES)}-{rng.getrandbits(28):07x}",)
            if k == latest_at:
                tags = (*tags, "latest")
            pushed = AT - timedelta(seconds=rng.randrange(365 * 86400))
            pulled = pushed + timedelta(days=rng.randrange(30)) if rng.random() < 0.3 else None
            size = rng.randrange(1_000_000, 50_000_000)
            images.append(
                LifecycleImage(
                    digest=f"sha256:{serial:064x}",
                    tags=tags,
                    pushed_at=pushed,
                    last_pulled_at=pulled,
                    size_bytes=size + 100_000_000,
                    layers=(*base, (f"sha256:{serial:063x}f", size)),
                )
            )
        out.append(images)
    return out


def write_warehouse(repos: list[list[LifecycleImage]], home: Path) -> None:
    """The synthetic organisation as the inventory would store it (one snapshot, blobs read)."""
    import pyarrow as pa

    taken = AT.replace(tzinfo=None)
    snapshot = {
        "snapshot_id": ["bench"],
        "taken_at": [taken],
        "source": ["bench"],
        "manifests_read": [True],
        "repository_count": [len(repos)],
        "image_count": [sum(map(len, repos))],
        "error_count": [0],
    }
    tables: dict[str, dict[str, list]] = {"ecr_snapshots": snapshot}
    repo_rows: dict[str, list] = {k: [] for k in ("name", "arn")}
    images: dict[str, list] = {
        k: [] for k in ("repo", "digest", "tags", "size", "pushed", "pulled")
    }
    blobs: dict[str, list] = {k: [] for k in ("repo", "image", "blob", "size")}
    for r, repo in enumerate(repos):
        name = f"team-{r % 50}/service-{r}"
        repo_rows["name"].append(name)
        repo_rows["arn"].append(f"arn:aws:ecr:us-east-1:111122223333:repository/{name}")
        for img in repo:
            images["repo"].append(name)
            images["digest"].append(img.digest)
            images["tags"].append(list(img.tags))
            images["size"].append(img.size_bytes)
            images["pushed"].append(img.pushed_at.replace(tzinfo=None))
            images["pulled"].append(img.last_pulled_at and img.last_pulled_at.replace(tzinfo=None))
            for digest, size in img.layers or ():
                blobs["repo"].append(name)
                blobs["image"].append(img.digest)
                blobs["blob"].append(digest)
                blobs["size"].append(size)
    n_repo, n_img, n_blob = len(repos), len(images["digest"]), len(blobs["blob"])
    common = {
        "snapshot_id": "bench",
        "taken_at": taken,
        "account_id": "111122223333",
        "region": "us-east-1",
    }

    def columns(n: int, **cols) -> dict[str, list]:
        return {**{k: [v] * n for k, v in common.items()}, **cols}

    tables["ecr_repositories"] = columns(
        n_repo,
        repository_name=repo_rows["name"],
        repository_arn=repo_rows["arn"],
        repository_uri=[None] * n_repo,
        created_at=[None] * n_repo,
        image_tag_mutability=[None] * n_repo,
        complete=[True] * n_repo,
    )
    tables["ecr_lifecycle_policies"] = columns(
        n_repo, repository_name=repo_rows["name"], policy_text=[None] * n_repo
    )
    tables["ecr_images"] = columns(
        n_img,
        repository_name=images["repo"],
        image_digest=images["digest"],
        image_tags=images["tags"],
        size_bytes=images["size"],
        pushed_at=images["pushed"],
        last_pulled_at=images["pulled"],
        manifest_media_type=[None] * n_img,
        artifact_media_type=[None] * n_img,
        subject_digest=[None] * n_img,
        image_status=["ACTIVE"] * n_img,
        archived_at=[None] * n_img,
        activated_at=[None] * n_img,
        child_digests=[[]] * n_img,
    )
    tables["ecr_image_blobs"] = columns(
        n_blob,
        repository_name=blobs["repo"],
        image_digest=blobs["image"],
        blob_digest=blobs["blob"],
        blob_kind=["layer"] * n_blob,
        size_bytes=blobs["size"],
        media_type=[None] * n_blob,
    )
    with warehouse.opened(home / "warehouse.duckdb") as con:
        for table, data in tables.items():
            schema = con.table(table).arrow().schema  # the warehouse's own column types
            con.from_arrow(pa.Table.from_pydict(data, schema=schema)).insert_into(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repositories", type=int, default=10_000)
    parser.add_argument("--images-per-repository", type=int, default=100)
    args = parser.parse_args()
    _, _, policy = load_policy_file()
    prices = PriceTable()

    started = time.perf_counter()
    repos = build(args.repositories, args.images_per_repository)
    built = time.perf_counter() - started
    # The data is long-lived: keep the cyclic collector from rescanning it during the timing
    # (the plan pauses the collector around its loop for the same reason).
    gc.freeze()

    total = sum(len(r) for r in repos)
    print(f"images: {total:,} in {len(repos):,} repositories (built in {built:.1f} s)")
    # Twice over the same images: as LifecycleImage lists (what `policy simulate --images` reads;
    # simulate() turns them into columns first) and as the simulator's own columns, built
    # untimed (what `policy plan` loads from the warehouse).
    columns = [columns_of(images) for images in repos]
    figures = {}
    for label, inputs in (("simulate", repos), ("simulate on columns", columns)):
        started = time.perf_counter()
        expired = freed = dangers = 0
        dollars = 0.0
        for images in inputs:
            result = simulate(policy, images, AT, prices, "us-east-1")
            expired += result.expired
            freed += result.savings.freed_bytes
            dollars += result.savings.monthly_savings_usd
            dangers += len(result.dangers)
        took = time.perf_counter() - started
        figures[label] = (expired, freed, round(dollars, 6), dangers)
        print(f"{label}: {took:.2f} s ({total / took:,.0f} images/s)")
    if len(set(figures.values())) != 1:
        raise SystemExit(f"the two inputs gave different figures: {figures}")
    print(
        f"expired: {expired:,}; freed: {gib(freed, 1)}; {money_per_month(dollars)}; "
        f"danger flags: {dangers:,} (the same from both inputs)"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"peak RSS: {peak_mb:,.0f} MB (whole process, synthetic data included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
