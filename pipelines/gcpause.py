"""The cyclic garbage collector paused around building large, cycle-free structures.

Python's collector runs whenever allocations outnumber deallocations by a threshold, and each
run walks every young container object; building millions of them (a snapshot file's parsed
JSON and its Image objects, the columns staged from them) makes it run thousands of times over
objects that reference counting frees anyway. Reading the 1M-image snapshot of bench/pipeline.py
takes ~13 s with it running and ~4.6 s paused (bench/pipeline.py's docstring).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside; nested pauses re-enable the collector only at the
    outermost one (and never one that was off before)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
