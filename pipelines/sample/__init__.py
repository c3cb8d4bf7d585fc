"""The sample organisation: a realistic ECR estate and its bill in every supported layout.

`generate(out)` writes four billing deliveries (legacy CUR Parquet and CSV, CUR 2.0, FOCUS 1.2),
an inventory snapshot, an action log and the truth files. Heavy imports happen on call, so
importing this package (as the CLI does) stays cheap.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.sample.summary import SampleSummary

__all__ = ["SampleSummary", "generate"]


def generate(out: Path, seed: int = 7, months: int = 12, end: str | None = None) -> SampleSummary:
    from pipelines.sample.generator import generate as _generate

    return _generate(Path(out), seed=seed, months=months, end=end)
