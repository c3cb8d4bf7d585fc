"""The report's spend bridge: from the prior period's spend to this period's, step by step (the
realized saving of each action among them), as a waterfall chart, a table and its CSV. The
steps are `ecrcost.savings.bridge`'s, over the same stored verdicts `ecrcost savings` prints,
so every figure equals `ecrcost savings --output json` and reconciles with the marts."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

from ecrcost.fmt import money, signed_money
from ecrcost.reports import charts
from ecrcost.reports.sections import Column, Context, Section, Table, unavailable
from ecrcost.savings.realized import stored_verdicts
from ecrcost.savings.view import bridge_or_why, floats

RISE = "#D55E00"  # spend going up (the palette's vermillion); down is charts.GREEN


def bridge(ctx: Context) -> Section:
    key, title = "bridge", "Spend bridge from the prior period"
    found, why = bridge_or_why(ctx.con, ctx.period, stored_verdicts(ctx.con, ctx.period))
    if found is None:
        return unavailable(key, title, why or "not available")
    s = Section(key, f"Spend bridge: {found.prior} to {found.period}")
    running = found.start
    rows = []
    for step in found.steps:
        if step.key not in ("start", "end"):
            running += step.amount
        rows.append(
            floats(
                {
                    "step": step.key,
                    "label": step.label,
                    "amount": step.amount if step.key not in ("start", "end") else None,
                    "spend": step.amount if step.key in ("start", "end") else running,
                    "repositories": step.repositories or None,
                    "action_id": step.action_id,
                }
            )
        )
    s.text.append(
        f"{found.prior}'s ECR spend, plus each change, is {found.period}'s, to the cent of the "
        "attribution marts. Untouched repositories moved on their own; touched ones are shown "
        "as they would have changed without their actions, each action's realized saving "
        "apart; new repositories were first billed this period, deleted ones last billed in "
        "the prior period."
    )
    s.text += [f"Not a step of its own: {note}." for note in found.not_in_bridge]
    s.charts.append(
        waterfall_chart(
            "bridge",
            f"ECR spend from {found.prior} to {found.period}",
            [r["label"] for r in rows],
            [r["amount"] if r["amount"] is not None else r["spend"] for r in rows],
        )
    )
    s.tables.append(
        Table(
            "bridge",
            "The bridge, step by step",
            [
                Column("step", "step", show=False),
                Column("label", "step", "name"),
                Column("amount", "change", "signed_money"),
                Column("spend", "spend after it", "money"),
                Column("repositories", "repositories", "int"),
                Column("action_id", "action", show=False),
            ],
            rows,
        )
    )
    return s


def waterfall_chart(
    name: str, title: str, labels: Sequence[str], values: Sequence[Decimal | float]
) -> Markup:
    """A waterfall: the first and last values are totals (bars from zero), the ones between
    are changes floating from the running total (green down, vermillion up). One `.bar` per
    value, labels escaped, each value in its tooltip."""
    width, left, right, row = 860, 330, 110, 26
    height = row * len(values) + 16
    running = [0.0]
    for v in values[1:-1]:
        running.append(running[-1] + float(v))
    ends = [float(values[0]) + r for r in running]
    top_value = max([float(values[0]), float(values[-1]), *ends, 0.0]) or 1.0
    low_value = min([0.0, *ends])
    unit = (width - left - right) / (top_value - low_value)

    def x(v: float) -> float:
        return left + (v - low_value) * unit

    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 8 + i * row
        v = float(value)
        if i in (0, len(values) - 1):
            start, end, colour, text = 0.0, v, charts.BLUE, money(v)
        else:
            start = ends[i - 1] if i > 1 else float(values[0])
            end = start + v
            colour, text = (charts.GREEN if v < 0 else RISE), signed_money(v)
        x0, x1 = sorted((x(start), x(end)))
        body.append(
            f'<text x="{left - 8}" y="{y + 15}" font-size="12" text-anchor="end" '
            f'fill="#111827">{escape(_short(label))}</text>'
            f'<rect class="bar" x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 1):.1f}" '
            f'height="{row - 8}" fill="{colour}" rx="2"><title>{escape(label)}: '
            f"{escape(text)}</title></rect>"
            f'<text x="{x1 + 6:.1f}" y="{y + 15}" font-size="12" fill="#374151">'
            f"{escape(text)}</text>"
        )
    head = (
        f'<svg class="chart" data-chart="{escape(name)}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px;{charts.FONT}"><title>{escape(title)}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _short(label: str, limit: int = 46) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
