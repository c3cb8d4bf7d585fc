"""The sample organisation: a realistic ECR estate and its bill in every supported layout.

`generate(out)` writes four billing deliveries (legacy CUR Parquet and CSV, CUR 2.0, FOCUS 1.2),
an inventory snapshot, an action log and the truth files. duckdb and pyarrow load only when it
runs, so importing this package (as the CLI does) stays cheap.
"""

from __future__ import annotations

from ecrcost.sample.generator import generate
from ecrcost.sample.summary import SampleSummary

__all__ = ["SampleSummary", "generate"]
