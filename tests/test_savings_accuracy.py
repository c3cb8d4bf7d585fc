"""Accuracy you can quote, on a small configuration of the sample organisation (bench/savings.py
prints the full figures across more seeds and months): the realized saving within 10% of the
truth for the median action and within 25% for 90% of them, and the true effects inside their
intervals at least at the nominal rate."""

from __future__ import annotations

import pytest

from ecrcost import warehouse
from ecrcost.actions.log import import_actions
from ecrcost.billing import ingest
from ecrcost.sample import generate
from ecrcost.savings import realized_savings
from ecrcost.savings.accuracy import Scored, daily_truth, score, summarise
from ecrcost.savings.counterfactual import INTERVAL_LEVEL, OWN_TREND, UNTOUCHED
from ecrcost.settings import Settings

# Two seeds of the bench's configuration (12 months, so the organisation is past its first
# months of fast growth: with 4-6 months a young organisation's actions save little and the
# relative errors of tiny savings dominate, docs/realized-savings.md).
SEEDS = (7, 11)
MONTHS, END = 12, "2026-10"


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> dict[str | None, list[Scored]]:
    out: dict[str | None, list[Scored]] = {None: [], UNTOUCHED: []}
    for seed in SEEDS:
        folder = tmp_path_factory.mktemp(f"seed{seed}") / "org"
        generate(folder, seed=seed, months=MONTHS, end=END)
        con = warehouse.connect(":memory:")
        ingest(con, str(folder / "cur-legacy-parquet"))
        import_actions(con, folder / "inventory" / "actions.json")
        truth = daily_truth(folder / "truth")
        for method in out:
            out[method] += score(realized_savings(con, Settings(), END, method), truth)
        con.close()
    return out


@pytest.mark.slow
def test_the_realized_saving_is_within_the_thresholds_of_the_truth(scored):
    found = scored[None]
    assert len(found) >= 3 * len(SEEDS)  # every seed's actions were judged with full windows
    a = summarise(found)
    assert a.median_error < 0.10, a
    assert a.p90_error < 0.25, a
    assert a.coverage is not None and a.coverage >= INTERVAL_LEVEL, a
    assert {s.method for s in found} <= {UNTOUCHED, OWN_TREND}


@pytest.mark.slow
def test_the_untouched_counterfactual_alone_is_measured_too(scored):
    a = summarise(scored[UNTOUCHED])
    assert {s.method for s in scored[UNTOUCHED]} == {UNTOUCHED}
    assert a.actions == len(scored[None])
    assert a.median_error < 0.10 and a.p90_error < 0.25, a


def test_an_estimate_far_from_the_truth_fails_the_thresholds():
    # The check can fail: one action in three off by 40% and outside its interval.
    good = Scored("a", "r", UNTOUCHED, 10.0, 10.2, 9.0, 11.0)
    bad = Scored("b", "r", UNTOUCHED, 10.0, 14.0, 13.0, 15.0)
    a = summarise([good, good, bad])
    assert a.median_error == pytest.approx(0.02)
    assert a.p90_error == pytest.approx(0.02 + 0.8 * (0.4 - 0.02))  # interpolated, > 25%
    assert a.coverage == pytest.approx(2 / 3)
