"""`ecrcost sample`: write the sample organisation (bill in four layouts, inventory, truth)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ecrcost.fmt import money
from ecrcost.sample.generator import generate


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sample",
        help="write a realistic sample organisation: its bill in four layouts, inventory, truth",
        description="Generate a deterministic sample ECR organisation: legacy CUR (Parquet and "
        "CSV), CUR 2.0 and FOCUS 1.2 deliveries of the same bill, an inventory snapshot, an "
        "action log and truth files for checking every later stage.",
    )
    parser.add_argument(
        "--out",
        required=True,
        help="folder to write (replaced if it holds an "
        "earlier sample; must otherwise be new or empty)",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--months", type=int, default=12, help="billing periods (default 12)")
    parser.add_argument("--end", help="last billing period YYYY-MM (default: last closed month)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings: Any) -> int:
    s = generate(Path(args.out), seed=args.seed, months=args.months, end=args.end)
    costs = s.ecr_cost_by_period
    print(
        f"sample organisation written to {s.out} (seed {s.seed}, {len(s.periods)} periods "
        f"{s.periods[0]}..{s.periods[-1]})"
    )
    print(
        f"{len(s.accounts)} accounts, {len(s.regions)} regions, {s.repositories} repositories "
        f"({s.repositories_at_end} at the end, {s.images_at_end} images in the snapshot)"
    )
    print(
        "bill layouts: cur-legacy-parquet, cur-legacy-csv, cur2, focus (the same bill); "
        "inventory/ and truth/ alongside"
    )
    print(
        f"ECR net cost: {money(costs[s.periods[0]])} in {s.periods[0]} ... "
        f"{money(costs[s.periods[-1]])} in {s.periods[-1]}"
    )
    return 0
