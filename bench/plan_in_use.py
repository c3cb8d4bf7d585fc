"""Benchmark: `plan_policy` over 1,000,000 images (10,000 repositories) without and with an
in-use set of 1% of the images (ECS users recorded with the snapshot, every source read).

Run: `.venv/bin/python bench/plan_in_use.py` (`--repositories N --images-per-repository M`).
The organisation is bench/simulate.py's; each plan runs in a fresh process (load + simulate +
the in-use join), timed and measured there, then the proposals that keep the in-use images
(computed on demand: what `plan -o json` and `plan --diff` print) are timed on their own (peak RSS: the process's maximum
resident set size). Both runs happen in the same script run, so their ratio is what to compare
when the machine is busy.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from simulate import build, write_warehouse

from ecrcost import warehouse
from ecrcost.lifecycle.plan import plan_policy
from ecrcost.lifecycle.policy import load_policy_file
from ecrcost.settings import load_settings

# 1% of the images, chosen by their digest (the same ones every run); every source read.
IN_USE = """
INSERT INTO ecr_images_in_use
SELECT snapshot_id, taken_at, 'ecs', 'ecs:prod/' || repository_name, taken_at,
    repository_name || '@' || image_digest, account_id, region, repository_name, NULL,
    image_digest, 'reported'
FROM ecr_images WHERE hash(image_digest) % 100 = 0
"""
SOURCES = """
INSERT INTO ecr_in_use_sources
SELECT DISTINCT snapshot_id, taken_at, 'ecs', account_id, region, account_id || '/' || region,
    'read', NULL
FROM ecr_images
"""


def plan_only(home: Path) -> int:
    settings = load_settings({"home": str(home)}, env={})
    _, text, _ = load_policy_file()
    started = time.perf_counter()
    with warehouse.opened(settings.warehouse_path, read_only=True) as con:
        plan = plan_policy(con, settings, text)
    took = time.perf_counter() - started
    started = time.perf_counter()
    proposals = sum(len(r.in_use_proposals) for r in plan.in_use_repositories)
    proposing = time.perf_counter() - started
    t = plan.totals
    print(
        json.dumps(
            {
                "seconds": took,
                "proposal_seconds": proposing,
                "proposals": proposals,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "expired": t["expired"],
                "in_use": t["in_use"],
                "repositories_in_use": t["repositories_in_use"],
            }
        )
    )
    return 0


def fresh_plan(home: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--plan-only", str(home)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repositories", type=int, default=10_000)
    parser.add_argument("--images-per-repository", type=int, default=100)
    parser.add_argument("--plan-only", metavar="HOME", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plan_only:
        return plan_only(Path(args.plan_only))
    with tempfile.TemporaryDirectory(prefix="ecrcost-bench-") as tmp:
        home = Path(tmp)
        write_warehouse(build(args.repositories, args.images_per_repository), home)
        without = fresh_plan(home)
        with warehouse.opened(home / "warehouse.duckdb") as con:
            con.execute(IN_USE)
            con.execute(SOURCES)
            rows = con.execute("SELECT count(*) FROM ecr_images_in_use").fetchall()[0][0]
        with_in_use = fresh_plan(home)
    n = args.repositories * args.images_per_repository
    for label, r in (("without the in-use set", without), (f"with {rows:,} in use", with_in_use)):
        print(
            f"plan of {n:,} images {label}: {r['seconds']:.2f} s, peak RSS {r['peak_mb']:,.0f} MB;"
            f" {r['expired']:,} expired, {r['in_use']:,} in use to go in "
            f"{r['repositories_in_use']:,} repositories"
        )
    print(
        f"then the proposals (`plan -o json`, `--diff`): {with_in_use['proposals']:,} in "
        f"{with_in_use['proposal_seconds']:.2f} s more"
    )
    print(
        f"ratio with/without: time {with_in_use['seconds'] / without['seconds']:.2f}, "
        f"peak memory {with_in_use['peak_mb'] / without['peak_mb']:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
