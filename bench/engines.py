"""Benchmark of the extraction engines on one large month: duckdb and spark (local). Not a test.

    .venv/bin/python bench/engines.py --rows 20000000 [--master local[2]] [--out bench/out]

The month is bench/ingest.py's legacy CUR Parquet month (N line items, ~2% ECR, 60+ columns,
six tag columns, four files). Each engine runs in its own child process, from the location to
the loaded warehouse (Spark: extraction to staged Parquet, then the normal load):
  wall      seconds of the ingest inside the child (Spark: its session start-up shown apart)
  peak      the child's peak resident memory (ru_maxrss); Spark's JVM is a separate process,
            its peak (VmHWM) is shown beside, and their sum is the engine's upper bound
Both engines must load the same rows and dollars (checked, printed). With the cores shared,
wall figures move by up to 30% between runs: compare figures of the same run.

Figures, 2 shared cores (2026-12-01), one run each:
  20,000,000 rows (680 MiB): duckdb 5.30s, peak 517 MB; spark local[*] 67.0s (+29.2s session
  start-up), peak 554 MB Python + 1,252 MB JVM; same rows and dollars; spark/duckdb wall 12.6
  2,000,000 rows (69 MiB): duckdb 0.41s, 162 MB; spark 19.9s (+30.1s start-up), 245 + 754 MB
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = {
    "duckdb": """
from ecrcost.billing import ingest
from ecrcost.warehouse import connect
con = connect(home / 'duckdb.duckdb')
t = time.perf_counter(); r = ingest(con, loc); elapsed = time.perf_counter() - t
startup, jvm_mb = 0.0, 0.0
""",
    "spark": """
from ecrcost.billing.load import load_extracted
from ecrcost.billing.spark import Staging, extract_location, spark_session
from ecrcost.warehouse import connect
t = time.perf_counter()
spark = spark_session(master, {'spark.driver.memory': driver_memory, 'spark.ui.enabled': 'false'})
spark.sparkContext.setLogLevel('ERROR')
startup = time.perf_counter() - t
con = connect(home / 'spark.duckdb')
t = time.perf_counter()
url, found = extract_location(spark, loc, Staging(str(home / 'staging'), home))
r = load_extracted(con, url, found)
elapsed = time.perf_counter() - t
jvm = spark.sparkContext._gateway.proc.pid
status = Path(f'/proc/{jvm}/status').read_text()
jvm_mb = int(next(l for l in status.splitlines() if l.startswith('VmHWM')).split()[1]) / 1024
spark.stop()
""",
}


def measure(engine: str, loc: Path, home: Path, master: str, driver_memory: str) -> dict:
    code = (
        "import json, resource, shutil, time\nfrom pathlib import Path\n"
        f"loc, home = {str(loc)!r}, Path({str(home)!r})\n"
        f"master, driver_memory = {master!r}, {driver_memory!r}\n"
        "shutil.rmtree(home, ignore_errors=True); home.mkdir(parents=True)\n"
        + CHILD[engine]
        + "p = r.periods[0]\n"
        "print(json.dumps({'seconds': elapsed, 'startup': startup, 'jvm_mb': jvm_mb,"
        " 'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,"
        " 'rows': p.ecr_rows, 'cost': round(p.ecr_cost, 6)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{engine} failed: {(out.stderr.strip().splitlines() or ['?'])[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--master", default="local[*]", help="Spark master (default local[*])")
    parser.add_argument("--driver-memory", default="2g", help="spark.driver.memory")
    args = parser.parse_args()
    out = args.out / str(args.rows)
    t = time.perf_counter()
    # bench/ingest.py's month, generated in a child so this process stays small
    gen = f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); import ingest; "
    gen += f"ingest.generate(__import__('pathlib').Path({str(out)!r}), {args.rows})"
    subprocess.run([sys.executable, "-c", gen], cwd=ROOT, check=True)
    loc = out / "legacy"
    size = sum(p.stat().st_size for p in loc.rglob("*.parquet"))
    print(f"{args.rows:,} line items, {size / 2**20:,.0f} MiB of legacy Parquet ({loc});")
    print(f"generated or found in {time.perf_counter() - t:.1f}s")
    results = {}
    for engine in ("duckdb", "spark"):
        r = results[engine] = measure(
            engine, loc, out / f"engine-{engine}", args.master, args.driver_memory
        )
        extra = ""
        if engine == "spark":
            extra = (
                f"  JVM peak {r['jvm_mb']:6.0f} MB (sum {r['peak_mb'] + r['jvm_mb']:.0f} MB)"
                f"  session start-up {r['startup']:.1f}s ({args.master})"
            )
        print(
            f"{engine:7s} wall {r['seconds']:7.2f}s  peak {r['peak_mb']:6.0f} MB{extra}"
            f"  rows {r['rows']:,}  ${r['cost']:,.2f}"
        )
    d, s = results["duckdb"], results["spark"]
    same = (d["rows"], round(d["cost"], 2)) == (s["rows"], round(s["cost"], 2))
    print(f"same rows and dollars: {same};  spark/duckdb wall = {s['seconds'] / d['seconds']:.1f}")


if __name__ == "__main__":
    main()
