"""Generate the sample organisation into a folder, all or nothing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ecrcost.errors import UserError
from ecrcost.periods import Period
from ecrcost.prices import PriceTable
from ecrcost.sample import billing, inventory, layouts, model
from ecrcost.sample.summary import SampleSummary
from ecrcost.sqlfiles import load_sql

MARKER = Path("truth") / "period_totals.csv"  # a folder holding it is a previous sample
MAX_MONTHS = 36


def generate(
    out: Path | str, seed: int = 7, months: int = 12, end: str | None = None
) -> SampleSummary:
    """Write the sample into `out`; its last billing period is `end` (YYYY-MM, default the last
    closed month)."""
    out = Path(out)
    last = Period.last_closed() if end is None else Period.parse(end, "--end")
    if not 1900 <= last.year <= 2099:
        raise UserError(f"--end {end!r}: expected a month of the years 1900 to 2099")
    if not 1 <= months <= MAX_MONTHS:
        raise UserError(f"--months {months}: expected 1 to {MAX_MONTHS}")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise UserError(
            f"{out}: exists and is not an earlier sample; choose an empty or new folder for --out"
        )
    prices = PriceTable()  # list prices: the sample's bill is priced like AWS's, not the user's
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        org = model.build_org(seed, model.periods_for(last, months))
        con = billing.build_lines(org, prices)
        paths = layouts.write_all(con, org, tmp)
        snap = inventory.snapshot(org)
        paths.append(snap.write(tmp / "inventory" / "snapshot.json.gz"))
        records = inventory.actions(org, prices)
        paths.append(inventory.write_actions(records, tmp / "inventory" / "actions.json"))
        paths += inventory.write_truth(con, org, prices, tmp / "truth", records)
        rel = con.sql(load_sql("sample/truth_period_totals"))
        totals = {row[0]: row[rel.columns.index("total_ecr_cost")] for row in rel.fetchall()}
        con.close()
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return SampleSummary(
        out=out,
        seed=seed,
        periods=[p.label for p in org.periods],
        accounts=sorted({r.account_id for r in org.repos}),
        regions=sorted({r.region for r in org.repos}),
        repositories=len(org.repos),
        repositories_at_end=len(snap.repositories),
        images_at_end=sum(len(r.images) for r in snap.repositories),
        paths=sorted(p.relative_to(tmp) for p in paths),
        ecr_cost_by_period=totals,
    )
