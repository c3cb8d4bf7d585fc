"""Progress on a terminal, silence elsewhere (CI, Dagster, pipes)."""

from __future__ import annotations

import sys
import time


class Progress:
    """`with Progress("files", total) as p: p.advance()`; draws only when stderr is a TTY."""

    def __init__(self, label: str, total: int | None = None, stream=None):
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0

    def __enter__(self) -> Progress:
        return self

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.1 or self.done == self.total):
            self._last = now
            of = f"/{self.total}" if self.total else ""
            self.stream.write(f"\r{self.label}: {self.done}{of}")
            self.stream.flush()

    def __exit__(self, *exc) -> None:
        if self.enabled and self.done:
            self.stream.write("\n")
            self.stream.flush()
