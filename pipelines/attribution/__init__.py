"""Attribution and chargeback: actual ECR spend per repository and per cost-allocation tag.

The Dagster assets (pipelines/orchestration/assets.py) call `build_marts(con, settings, period)` per monthly partition and
the blocking check compares the two figures of `reconcile(con, period)` to the cent.
"""

from ecrcost.attribution.marts import MartSummary, build_marts, ensure_marts, reconcile

__all__ = ["MartSummary", "build_marts", "ensure_marts", "reconcile"]
