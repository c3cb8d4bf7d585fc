"""Benchmark: `ecrcost policy plan` over a 1M-image warehouse against the simulation alone.

    .venv/bin/python bench/plan.py [--repositories 10000] [--images-per-repository 100]
                                   [--in-use-share 0.01]

Both are child processes of this run (wall clock around the child, peak resident set size from
`wait4`): (a) `bench/simulate.py`, the simulation of the playbook base policy over the synthetic
images held in memory: its "simulate:" time is the simulation's (building the synthetic images is
not), its peak RSS holds them all;
(b) `python -m ecrcost policy plan` (default policy: the playbook base one) over a warehouse
holding the same images (bench/simulate.py's `build` and `write_warehouse`), output to
/dev/null. `--in-use-share S` also lists that share of images in `ecr_images_in_use`, as the
inventory's in-use collection would, so later figures stay comparable.
Target (issue 15): the plan within 2x the simulation's time, at most 1.5 GB peak. The machine
is shared: compare the ratio, measured in one run.

Since issue 15's second pass `bench/simulate.py` times the simulation twice: over LifecycleImage
lists (what `policy simulate --images` reads; `simulate` turns them into columns first) and over
the simulator's own columns (ImageColumns, what the plan loads from the warehouse). Both ratios
are printed; the columns one is the stricter.

Figures (2026-12-01, 2 cores, a shared VM: the same command swings by 1.5x between runs, so only
ratios from one run compare):
  before (the object loader; the old and the new code alternating in one shell loop, 3 rounds,
  load 1.1-1.6): plan 10.9-13.4 s wall, peak 1.22-1.26 GB (new: 6.3-7.4 s, 1.72 GB before the
  loader let its tables go); simulation of LifecycleImage lists 1.9-2.75 s (new: 2.7-3.1 s, the
  conversion to columns included; on columns 1.9-2.0 s).
  after (`bench/plan.py --in-use-share 0.01`, three runs, load 0.9-2.1): plan 6.97 / 8.22 /
  7.64 s wall, peak 1.33 / 1.34 / 1.28 GB; ratio to the simulation of LifecycleImage lists
  2.15 / 2.16 / 1.70x, to the simulation of columns 3.21 / 2.68 / 2.32x. Output byte for byte
  the old code's (the table, `-o json` and `--diff`).
  The time target is NOT reliably met (met in one run of three against LifecycleImage lists,
  never against the columns); memory is met. What bounds it (cProfile of the whole plan, 8.6 s
  under the profiler, load 2): loading the columns 45% (the two DuckDB queries 12%, sorting,
  the key check and the repositories' runs in Arrow 13%, the Python lists a column at a time
  8.5%, matching the blob rows to their images 7.5%, the split per repository 3%), simulating
  29%, imports 6%, the in-use join, the per-repository plans, printing and freeing 19%. The
  loader hands the simulator a Python list per field (its evaluation is Python): a million
  images' lists cost about as much to build as to simulate, so 2x the columns' simulation needs
  a simulator that reads Arrow arrays directly (vectorised selection and savings), not a faster
  loader.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from simulate import AT, build, write_warehouse  # bench/simulate.py: the synthetic images

from ecrcost import warehouse
from ecrcost.arrowcols import arrow_table_of

SIMULATE = Path(__file__).resolve().parent / "simulate.py"
CPU: dict[str, float] = {}


def run_child(argv: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stdout) of one child process; its CPU seconds (user +
    system, all threads) in `CPU[argv[1]]`."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{argv[1:4]} failed: {proc.stderr.read()[-2000:]}")
        out.seek(0)
        CPU[argv[1]] = usage.ru_utime + usage.ru_stime
        return wall, usage.ru_maxrss / 1024, out.read()


def add_images_in_use(home: Path, share: float, seed: int = 11) -> int:
    """`share` of the snapshot's images as used by an ECS service each (resolved digests)."""
    taken = AT.replace(tzinfo=None)
    with warehouse.opened(home / "warehouse.duckdb") as con:
        rows = con.execute(
            "SELECT account_id, region, repository_name, image_digest FROM ecr_images "
            "WHERE snapshot_id = 'bench' ORDER BY ALL"
        ).fetchall()
        chosen = random.Random(seed).sample(rows, round(len(rows) * share))
        if not chosen:
            return 0
        n = len(chosen)
        staged = arrow_table_of(
            {
                "snapshot_id": ["bench"] * n,
                "taken_at": [taken] * n,
                "source": ["ecs"] * n,
                "used_by": [f"ecs:prod/{r[2]}" for r in chosen],
                "observed_at": [taken] * n,
                "reference": [f"{r[0]}.dkr.ecr.{r[1]}.amazonaws.com/{r[2]}@{r[3]}" for r in chosen],
                "account_id": [r[0] for r in chosen],
                "region": [r[1] for r in chosen],
                "repository_name": [r[2] for r in chosen],
                "image_tag": [None] * n,
                "image_digest": [r[3] for r in chosen],
                "resolution": ["reported"] * n,
            }
        )
        con.register("staged", staged)
        con.execute("INSERT INTO ecr_images_in_use BY NAME SELECT * FROM staged")
        return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repositories", type=int, default=10_000)
    parser.add_argument("--images-per-repository", type=int, default=100)
    parser.add_argument("--in-use-share", type=float, default=0.0)
    parser.add_argument("--build-only", metavar="HOME", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        repos = build(args.repositories, args.images_per_repository)
        write_warehouse(repos, Path(args.build_only))
        in_use = add_images_in_use(Path(args.build_only), args.in_use_share)
        print(sum(map(len, repos)), in_use)
        return 0
    size = ["--repositories", str(args.repositories)]
    size += ["--images-per-repository", str(args.images_per_repository)]

    sim_wall, sim_peak, sim_out = run_child([sys.executable, str(SIMULATE), *size])
    sim_line = next(line for line in sim_out.splitlines() if line.startswith("simulate:"))
    sim_s = float(sim_line.split()[1])  # "simulate: 1.67 s (...)"
    col_line = next(line for line in sim_out.splitlines() if line.startswith("simulate on col"))
    col_s = float(col_line.split()[3])  # "simulate on columns: 1.20 s (...)"

    with tempfile.TemporaryDirectory(prefix="ecrcost-bench-plan-") as home:
        # Built in a child: a child forked from a big parent would count its pages in its
        # peak RSS.
        started = time.perf_counter()
        build_argv = [sys.executable, __file__, "--build-only", home, *size]
        _, _, built_out = run_child([*build_argv, "--in-use-share", str(args.in_use_share)])
        images, in_use = map(int, built_out.split())
        built = time.perf_counter() - started
        plan_argv = [sys.executable, "-m", "ecrcost", "policy", "plan", "--home", home]
        plan_wall, plan_peak, plan_out = run_child(plan_argv)

    print(
        f"warehouse: {images:,} images in {args.repositories:,} repositories, {in_use:,} listed "
        f"in use (built in {built:.1f} s, not timed)"
    )
    print(f"simulation alone (bench/simulate.py): {sim_line}; {col_line}; peak RSS "
          f"{sim_peak:,.0f} MB (whole process {sim_wall:.2f} s with building the images)")  # fmt: skip
    print(f"ecrcost policy plan (whole process, output to a file): {plan_wall:.2f} s wall, "
          f"peak RSS {plan_peak:,.0f} MB; CPU {CPU['-m']:.2f} s; "
          f"{len(plan_out.splitlines()):,} output lines")  # fmt: skip
    ratio, strict = plan_wall / sim_s, plan_wall / col_s
    print(
        f"plan / simulation: {ratio:.2f}x the simulation of LifecycleImage lists, {strict:.2f}x "
        f"the simulation of columns (target <= 2x: {'met' if ratio <= 2 else 'NOT MET'}; "
        f"{'met' if strict <= 2 else 'NOT MET'} against the columns), peak "
        f"{plan_peak / 1024:.2f} GB (target <= 1.5 GB: {'met' if plan_peak <= 1536 else 'NOT MET'})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
