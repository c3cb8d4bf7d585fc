"""What a repository would have cost without its action, and how far that guess can be off.

Pure functions over daily cost series (day -> Decimal, gross storage + archive storage): no
database, no Dagster. The formulas, their assumptions and the accuracy measured on the sample
organisation: docs/realized-savings.md.

Two counterfactuals:
- `untouched`: the repository's before-window level moved by the untouched repositories'
  change between the windows (the organisation's trend);
- `own_trend`: the repository's share of the untouched repositories' spend, fitted as a
  straight line over its pre-action history and extended from its before window over the
  after window, times the untouched spend of those days (its own trend and the
  organisation's). Used when the history is long enough and the share moved along its line
  by more than its day-to-day noise.

The interval comes from placebos: the same method run on untouched repositories over the same
days, where the true saving is zero; their errors, standardised by each one's level and noise,
give the spread that is applied to the action's repository.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext

UNTOUCHED = "untouched"
OWN_TREND = "own_trend"
METHOD_LABELS = {
    UNTOUCHED: "untouched repositories' trend",
    OWN_TREND: "own trend + untouched repositories' trend",
}
MIN_HISTORY_DAYS = 28  # own trend: at least four weeks of daily bill before the action
OWN_TREND_NOISES = 5.0  # ... and a share that moved more than five times its day-to-day spread
MIN_NOISE = 0.001  # a perfectly smooth series still has this much spread (0.1%)
INTERVAL_LEVEL = 0.9
MIN_PLACEBOS = 5
PRECISION = 40  # digits of the Decimal context: exact for sums, deterministic for quotients
ZERO = Decimal(0)
QUANTUM = Decimal("1e-12")  # figures are kept to the warehouse's DECIMAL(38,12)

Series = Mapping[date, Decimal]


@dataclass(frozen=True)
class Windows:
    history_start: date  # first day of the pre-action history (== before_start without one)
    before_start: date
    before_end: date
    after_start: date
    after_end: date

    @property
    def n(self) -> int:
        return (self.before_end - self.before_start).days + 1

    @property
    def history_days(self) -> int:
        return (self.before_end - self.history_start).days + 1


@dataclass(frozen=True)
class Estimate:
    method: str
    before_daily: Decimal
    after_daily: Decimal
    counterfactual_daily: Decimal  # what the after window would have cost per day without it
    daily_saving: Decimal  # counterfactual - after
    untouched_saving: Decimal  # the `untouched` counterfactual's, for the interval
    noise: float  # the repository's day-to-day spread around its share's line, relative
    own_trend_shift: float | None  # its share's move between the windows along that line

    @property
    def baseline_change(self) -> Decimal:
        """Counterfactual against the before level, less one (the trend the method assumed)."""
        if not self.before_daily:
            return ZERO
        return self.counterfactual_daily / self.before_daily - 1


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def mean(series: Series, start: date, end: date) -> Decimal:
    span = days(start, end)
    return sum((series.get(d, ZERO) for d in span), ZERO) / len(span)


def _mean_x(span: Sequence[date], origin: date) -> Decimal:
    return sum((Decimal((d - origin).days) for d in span), ZERO) / len(span)


def estimate(target: Series, baseline: Series, w: Windows, method: str | None = None) -> Estimate:
    """The action's daily saving over the after window. `own_trend` when the history holds
    MIN_HISTORY_DAYS days with untouched spend on each and the repository's share of that
    spend moved, along its line, by more than OWN_TREND_NOISES times its day-to-day spread
    between the windows; else `untouched`. `method` forces one (placebos, comparisons)."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        before = mean(target, w.before_start, w.before_end)
        after = mean(target, w.after_start, w.after_end)
        b_before = mean(baseline, w.before_start, w.before_end)
        b_after = mean(baseline, w.after_start, w.after_end)
        untouched = before * b_after / b_before if b_before else before
        history = days(w.history_start, w.before_end)
        long_enough = w.history_days >= MIN_HISTORY_DAYS and all(baseline.get(d) for d in history)
        fitted = (
            [d for d in history if baseline.get(d)]
            if long_enough
            else [d for d in days(w.before_start, w.before_end) if baseline.get(d)]
        )
        line = _share_line(target, baseline, fitted)
        noise = line[2] if line else 0.0
        shift = None
        own = None
        if long_enough and line and b_before:
            slope, origin = line[0], fitted[0]
            share = before / b_before
            after_days = days(w.after_start, w.after_end)
            x_before = _mean_x(days(w.before_start, w.before_end), origin)
            gap = _mean_x(after_days, origin) - x_before
            shift = float(slope * gap / share) if share else 0.0
            own = sum(
                (
                    max(ZERO, share + slope * (Decimal((d - origin).days) - x_before))
                    * baseline.get(d, ZERO)
                    for d in after_days
                ),
                ZERO,
            ) / len(after_days)
        use_own = own is not None and (
            method == OWN_TREND
            or (method is None and abs(shift or 0.0) > OWN_TREND_NOISES * max(noise, MIN_NOISE))
        )
        cf = own if use_own and own is not None else untouched
        before, after, cf, untouched = (x.quantize(QUANTUM) for x in (before, after, cf, untouched))
        return Estimate(
            OWN_TREND if use_own else UNTOUCHED,
            before,
            after,
            cf,
            cf - after,
            untouched - after,
            noise,
            shift,
        )


def _share_line(
    target: Series, baseline: Series, span: Sequence[date]
) -> tuple[Decimal, Decimal, float] | None:
    """Least-squares line through the repository's share of the untouched spend over `span`:
    (slope per day, mean share, residual spread relative to the mean share); None on fewer
    than two days or a zero share."""
    if len(span) < 2:
        return None
    origin = span[0]
    xs = [Decimal((d - origin).days) for d in span]
    ys = [target.get(d, ZERO) / baseline[d] for d in span]
    mx = sum(xs, ZERO) / len(xs)
    my = sum(ys, ZERO) / len(ys)
    if not my:
        return None
    sxx = sum(((x - mx) ** 2 for x in xs), ZERO)
    slope = sum(((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)), ZERO) / sxx
    residuals = [float(y - my - slope * (x - mx)) for x, y in zip(xs, ys, strict=True)]
    spread = math.sqrt(sum(r * r for r in residuals) / len(residuals)) / float(my)
    return slope, my, spread


@dataclass(frozen=True)
class Interval:
    low: float  # daily saving
    high: float
    placebos: int
    half_width: float  # (high - low) / 2, what more days would narrow


def standardised_error(e: Estimate) -> float | None:
    """A placebo's estimated saving (where nothing was done, so all of it is error) relative
    to its before level and its day-to-day noise; None without a before level."""
    if e.before_daily <= 0:
        return None
    return float(e.daily_saving / e.before_daily) / max(e.noise, MIN_NOISE)


def placebo_interval(
    e: Estimate, errors: Mapping[str, Sequence[float]], level: float = INTERVAL_LEVEL
) -> Interval | None:
    """Where the true daily saving lies at `level`: the point less the placebos' standardised
    errors (`errors[method]`) scaled back by this repository's before level and noise. With the
    own trend, the interval also spans the untouched counterfactual's: which trend would have
    continued is itself uncertain. None with fewer than MIN_PLACEBOS placebos."""
    tail = (1 - level) / 2
    scale = float(e.before_daily) * max(e.noise, MIN_NOISE)
    bounds = []
    points = {UNTOUCHED: float(e.untouched_saving), OWN_TREND: float(e.daily_saving)}
    for method in dict.fromkeys([UNTOUCHED, e.method]):
        errs = errors.get(method, [])
        if len(errs) < MIN_PLACEBOS:
            return None
        lo, hi = quantile(errs, tail), quantile(errs, 1 - tail)
        bounds += [points[method] - hi * scale, points[method] - lo * scale]
    low, high = min(bounds), max(bounds)
    return Interval(low, high, len(errors[UNTOUCHED]), (high - low) / 2)


def quantile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default, type 7)."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    i = math.floor(pos)
    j = min(i + 1, len(ordered) - 1)
    return ordered[i] + (ordered[j] - ordered[i]) * (pos - i)


def days_to_decide(n: int, half_width: float, distance: float) -> int | None:
    """Days each side at which the interval, narrowing like day-to-day noise (1/sqrt(days)),
    no longer reaches across a threshold `distance` away from the point; None if it never
    would (the point is on the threshold)."""
    if distance <= 0:
        return None
    return max(n + 1, math.ceil(n * (half_width / distance) ** 2))
