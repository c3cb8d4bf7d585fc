"""Benchmark: attribution marts for 12 months of a 10,000-repository organisation (hourly rows).

    .venv/bin/python bench/attribution.py [--repos 10000] [--months 12] [--step 1] [--db PATH]

Lines are generated straight into cur_ecr_lines with DuckDB (no bill files), then grouped into
cur_ecr_line_groups per period as ingestion does (timed apart: "ingest-time grouping", the cost
ingestion carries so the marts need not); `--step K` keeps one row per K hours; `--db` keeps
the warehouse, and a kept one is reused (its groups are rebuilt). When K > 1 the build time
for hourly rows is extrapolated (linearly in rows), and the output says so. Wall time
depends on what else runs on the machine; the CPU time printed does not.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from ecrcost.attribution import build_marts, reconcile
from ecrcost.billing.groups import replace_line_groups
from ecrcost.settings import load_settings
from ecrcost.warehouse import connect, transaction

BENCH_SQL = Path(__file__).resolve().parent / "sql"  # the benchmark's own statements


def bench_sql(con, name: str, params: dict | None = None):
    """Run bench/sql/<name>.sql (one statement, values bound as $name)."""
    return con.execute((BENCH_SQL / f"{name}.sql").read_text(), params or {})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--step", type=int, default=1, help="hours per generated row")
    parser.add_argument("--db", help="warehouse file (default: a temporary folder)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ecrcost-bench-") as tmp:
        path = Path(args.db) if args.db else Path(tmp) / "warehouse.duckdb"
        con = connect(path)
        settings = load_settings({"home": str(path.parent)}, env={})
        t0 = time.perf_counter()
        # A kept --db with lines is reused as it is (generation takes minutes).
        reused = bench_sql(con, "line_counts").fetchall()[0][0] > 0
        if not reused:
            bench_sql(
                con,
                "generate_lines",
                {
                    "repos": args.repos,
                    "months": args.months,
                    "step": args.step,
                    "start": "2025-01-01",
                },
            )
        rows, periods = bench_sql(con, "line_counts").fetchall()[0]
        generated = time.perf_counter() - t0
        print(
            f"{'reused' if reused else 'generated'} {rows:,} rows ({args.repos:,} repositories, "
            f"{len(periods)} months, one row per {args.step} h) in {generated:.1f} s"
        )

        # What ingestion does after inserting a period's lines, in its transaction.
        t0, cpu0 = time.perf_counter(), time.process_time()
        for period in periods:
            with transaction(con):
                replace_line_groups(con, period)
        grouped, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        print(
            f"ingest-time grouping for {len(periods)} periods: {grouped:.2f} s "
            f"(CPU time {cpu:.2f} s)"
        )

        t0, cpu0 = time.perf_counter(), time.process_time()
        for period in periods:
            s = build_marts(con, settings, period)
            marts, lines = reconcile(con, period)
            assert round(marts, 2) == round(lines, 2), (period, marts, lines)
            print(
                f"  {period}: {s.line_count:,} lines, {s.repositories:,} repositories, "
                f"${s.total_cost:,.2f}, built in {s.seconds:.2f} s, reconciled"
            )
        built, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        # Wall time depends on what else runs; CPU time (all DuckDB threads) does not.
        load = os.getloadavg()[0]
        print(f"load average {load:.1f} on {os.cpu_count()} cores; CPU time {cpu:.2f} s")
        print(
            f"build_marts for {len(periods)} periods: {built:.2f} s "
            f"({rows / built / 1e6:.1f} M rows/s)"
        )
        if args.step > 1:
            hourly = built * args.step
            print(
                f"EXTRAPOLATED to hourly rows ({rows * args.step:,} rows, linear in rows): "
                f"~{hourly:.1f} s (not measured)"
            )
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
