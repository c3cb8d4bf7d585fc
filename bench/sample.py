"""Time `ecrcost sample` (12 months, the demo's size) and report rows and bytes written.

Run by hand or by `make bench`; not part of the test suite. CPU time is reported next to wall
time because the machine may be shared.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from ecrcost.sample import generate


def main(months: int = 12) -> int:
    out = Path(tempfile.mkdtemp(prefix="ecrcost-bench-")) / "org"
    wall, cpu = time.perf_counter(), time.process_time()
    summary = generate(out, seed=7, months=months, end="2026-10")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(
        f"sample: {months} months, {summary.repositories} repositories, "
        f"{len(summary.paths)} files, {size / 1e6:.1f} MB in {wall:.1f} s wall, "
        f"{cpu:.1f} s CPU (all threads)"
    )
    shutil.rmtree(out.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 12))
