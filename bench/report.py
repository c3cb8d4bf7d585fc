"""Benchmark: render the monthly report of a 10,000-repository organisation; prints the render
time and the HTML's size (goal: under 2 s and 5 MB; long tables show `report_top_n` rows).

    .venv/bin/python bench/report.py [--repos 10000] [--months 3] [--images 4] [--top-n 25]

The bill is bench/attribution.py's generator (one row per repository a day), the inventory a
snapshot of the same repositories with `--images` images each (half untagged, no policy), then
everything the report reads is built (`prepare_report`: marts, realized savings, findings, the
candidate policy), timed apart. Only `render_report` is the figure the goal is about; it is
timed three times (the first compiles the templates). Wall time depends on what else runs on
the machine: compare figures of one run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from attribution import bench_sql

from ecrcost.billing.groups import replace_line_groups
from ecrcost.inventory.model import Image, Repository, Snapshot
from ecrcost.inventory.store import store_snapshot
from ecrcost.periods import Period
from ecrcost.reports import prepare_report, render_report
from ecrcost.settings import load_settings
from ecrcost.warehouse import connect, transaction

START = "2025-01-01"


def snapshot(repos: int, images: int, taken: datetime) -> Snapshot:
    """The generator's repositories (bench/sql/generate_lines.sql names them), each with
    `images` images of 200 MiB, every other one untagged."""
    out = []
    for r in range(repos):
        account, region = str(100000000000 + r % 20), ["us-east-1", "eu-west-1", "us-west-2"][r % 3]
        name = f"svc-{r % 97}/repo-{r}"
        out.append(
            Repository(
                account,
                region,
                name,
                f"arn:aws:ecr:{region}:{account}:repository/{name}",
                images=[
                    Image(
                        digest=f"sha256:{r:032x}{i:032x}",
                        tags=[] if i % 2 else [f"v{i}"],
                        size_bytes=200 * 1024**2,
                        pushed_at=taken - timedelta(days=3 * i + 1),
                    )
                    for i in range(images)
                ],
            )
        )
    return Snapshot(taken, "bench", repositories=out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--top-n", type=int, default=25)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ecrcost-bench-") as tmp:
        path = Path(tmp) / "warehouse.duckdb"
        con = connect(path)
        settings = replace(load_settings({"home": tmp}, env={}), report_top_n=args.top_n)
        t0 = time.perf_counter()
        bench_sql(
            con,
            "generate_lines",
            {"repos": args.repos, "months": args.months, "step": 24, "start": START},
        )
        rows, periods = bench_sql(con, "line_counts").fetchall()[0]
        for period in periods:
            with transaction(con):
                replace_line_groups(con, period)
        last = Period.parse(periods[-1])
        taken = datetime.combine(last.end, datetime.min.time(), tzinfo=UTC)
        store_snapshot(con, snapshot(args.repos, args.images, taken))
        print(
            f"bill of {rows:,} rows ({args.repos:,} repositories, {len(periods)} months) and a "
            f"snapshot of {args.repos * args.images:,} images in {time.perf_counter() - t0:.1f} s"
        )
        t0 = time.perf_counter()
        notes = prepare_report(con, settings, str(last), str(last.shift(-1)))
        print(
            f"prepare_report (marts, findings, candidate policy): {time.perf_counter() - t0:.1f} s"
        )
        for note in notes:
            print(f"  note: {note}")
        for run in range(3):
            files = render_report(con, settings, str(last), out_dir=Path(tmp) / f"r{run}")
            html = files.html.stat().st_size
            md = files.md.stat().st_size
            csvs = sum(p.stat().st_size for p in files.csv)
            print(
                f"render {run + 1}: {files.seconds:.2f} s; HTML {html / 1e6:.2f} MB, "
                f"Markdown {md / 1e6:.2f} MB, {len(files.csv)} CSV files {csvs / 1e6:.2f} MB"
            )
        con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
