"""What `generate` returns (kept apart so importing it costs nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SampleSummary:
    out: Path
    seed: int
    periods: list[str]  # YYYY-MM, oldest first
    accounts: list[str]
    regions: list[str]
    repositories: int  # every repository that existed during the history
    repositories_at_end: int  # in the snapshot (deleted ones are gone)
    images_at_end: int
    paths: list[Path] = field(default_factory=list)  # relative to `out`, sorted
    ecr_cost_by_period: dict[str, float] = field(default_factory=dict)  # net ECR total, USD
