"""Benchmark: how close realized savings come to the sample organisation's truth, per seed.

    .venv/bin/python bench/savings.py [--seeds 7,11,13,17,19] [--months 12] [--end 2026-10]

For each seed: the sample organisation (`ecrcost sample`), its legacy Parquet bill ingested into
an in-memory warehouse, its action log imported, and every action judged for the last period,
once with ecrcost's choice of counterfactual (its own trend where it has the history) and once
with the untouched repositories' trend alone. Each estimate is compared with the truth over the
same after window (truth/action_days.csv: the cost with and without the action, per day).
Prints, per counterfactual, the median and 90th-percentile relative error and the share of
true effects inside their 90% interval. The figures do not depend on the machine's load; the
seconds printed do.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from ecrcost import warehouse
from ecrcost.actions.log import import_actions
from ecrcost.billing import ingest
from ecrcost.fmt import money, share
from ecrcost.sample import generate
from ecrcost.savings import realized_savings
from ecrcost.savings.accuracy import Scored, daily_truth, score, summarise
from ecrcost.savings.counterfactual import OWN_TREND, UNTOUCHED
from ecrcost.settings import Settings

METHODS = {"ecrcost (own trend where it departs)": None, "untouched repositories only": UNTOUCHED}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="7,11,13,17,19")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--end", default="2026-10")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    scored: dict[str, list[Scored]] = {label: [] for label in METHODS}
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            out = Path(tmp) / f"seed-{seed}"
            generate(out, seed=seed, months=args.months, end=args.end)
            con = warehouse.connect(":memory:")
            ingest(con, str(out / "cur-legacy-parquet"))
            import_actions(con, out / "inventory" / "actions.json")
            truth = daily_truth(out / "truth")
            for label, method in METHODS.items():
                found = score(realized_savings(con, Settings(), args.end, method), truth)
                scored[label] += found
                for s in found if method is None else []:
                    print(
                        f"seed {seed:>3}  {s.repository_name:<24} {s.method:<9} "
                        f"true {money(s.true_monthly):>8}  estimate {money(s.estimate):>8}  "
                        f"error {share(s.relative_error):>6}  "
                        f"interval {money(s.low)}..{money(s.high)} "
                        f"{'in' if s.covered else 'OUT'}"
                    )
            con.close()
    print()
    print(f"{len(seeds)} seeds ({args.seeds}), {args.months} months to {args.end}")
    for label, found in scored.items():
        a = summarise(found)
        own = sum(s.method == OWN_TREND for s in found)
        print(
            f"{label:<36} actions {a.actions:>3} (own trend {own:>3})  median error "
            f"{share(a.median_error):>6}  90th percentile {share(a.p90_error):>6}  "
            f"inside the {share(a.level, places=0)} interval {share(a.coverage)}"
        )
    print(f"({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
