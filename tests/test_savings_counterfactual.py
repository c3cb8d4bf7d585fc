"""The counterfactuals and the interval as pure functions, with answers worked by hand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ecrcost.savings import counterfactual as cf

START = date(2026, 1, 1)


def _windows(history: int = 40, n: int = 14) -> cf.Windows:
    acted = START + timedelta(days=history)
    return cf.Windows(
        START,
        acted - timedelta(days=n),
        acted - timedelta(days=1),
        acted + timedelta(days=2),
        acted + timedelta(days=1 + n),
    )


def _series(f) -> dict[date, Decimal]:
    return {START + timedelta(days=i): Decimal(str(f(i))) for i in range(80)}


def test_untouched_moves_the_before_level_with_the_organisation():
    w = _windows(history=20)  # too short for an own trend
    target = _series(lambda i: 2 if i < 20 else 1)
    baseline = _series(lambda i: 10 if i < 20 else 12)  # +20% between the windows
    e = cf.estimate(target, baseline, w)
    assert e.method == cf.UNTOUCHED
    assert (e.before_daily, e.after_daily) == (Decimal(2), Decimal(1))
    assert e.counterfactual_daily == Decimal("2.4") and e.daily_saving == Decimal("1.4")
    assert e.baseline_change == Decimal("0.2")


def test_a_flat_share_keeps_the_untouched_counterfactual():
    # The repository grows exactly like the rest: its own trend adds nothing, so it is not used.
    w = _windows()
    baseline = _series(lambda i: 10 + i / 10)
    target = {d: v / 5 for d, v in baseline.items()}
    assert cf.estimate(target, baseline, w).method == cf.UNTOUCHED
    assert cf.estimate(target, baseline, w, cf.OWN_TREND).method == cf.OWN_TREND


def test_quantile_and_the_placebo_interval():
    assert cf.quantile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert cf.quantile([3.0, 1.0, 2.0], 0.05) == pytest.approx(1.1)
    e = cf.Estimate(
        cf.UNTOUCHED, Decimal(2), Decimal(1), Decimal(3), Decimal(2), Decimal(2), 0.1, None
    )
    errors = {cf.UNTOUCHED: [-1.0, -0.5, 0.0, 0.5, 1.0]}
    i = cf.placebo_interval(e, errors)
    # scale = before 2 x noise 0.1 = 0.2; 5th and 95th percentiles -0.9 and 0.9.
    assert (i.low, i.high) == (pytest.approx(2 - 0.9 * 0.2), pytest.approx(2 + 0.9 * 0.2))
    assert i.placebos == 5 and i.half_width == pytest.approx(0.18)
    assert cf.placebo_interval(e, {cf.UNTOUCHED: [0.0] * 4}) is None  # too few placebos


def test_days_to_decide_narrow_like_noise():
    # Half-width 2 at 14 days, threshold 1 away: 14 x (2/1)^2 = 56 days each side.
    assert cf.days_to_decide(14, 2.0, 1.0) == 56
    assert cf.days_to_decide(14, 1.0, 1.0) == 15  # at least one more day
    assert cf.days_to_decide(14, 1.0, 0.0) is None
