"""Inline SVG charts (no script, no fonts to fetch): every label is escaped, values are in
<title> tooltips. Each chart is `<svg class="chart" data-chart=NAME>` with a visible title
(`.chart-title`, also the SVG's <title>), axis labels with units, round tick values and one
`.bar` per datum, which the browser test counts.

Choices:
- Colours are the Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008), told apart
  with the common colour-vision deficiencies; a rise in cost is vermillion, a saving blue.
- Ticks are round: a step of 1, 2, 2.5 or 5 times a power of ten, at most about 5 steps.
- A long label is shortened with "…" (the full text is the label's <title>); the plot leaves
  room for the longest value label, so none is cut.
- The viewBox is 1000 wide and the SVG fills its box; on a narrow screen the box scrolls
  (style.css), so text keeps a readable size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from ecrcost.fmt import money, signed_money

FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"
# Okabe-Ito
BLUE = "#0072B2"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#8c8c8c"
INK = "#1f2937"
MUTED = "#4b5563"
GRID = "#e5e7eb"

WIDTH = 1000
TITLE_H = 30  # the visible title's band
CHAR_W = 6.6  # average width of a 12 px system-ui character, for fitting labels


def nice_ticks(top: float, steps: int = 5) -> list[float]:
    """Round tick values from 0 to at least `top`: 0, 50, 100, 150 for 125.79."""
    top = top if top > 0 else 1.0
    raw = top / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    count = max(1, math.ceil(top / step - 1e-9))
    return [round(step * i, 10) for i in range(count + 1)]


def tick_label(value: float, step: float) -> str:
    """$ with cents only when the step needs them ($50, $2.50)."""
    return money(value, 0 if float(step).is_integer() else 2)


def shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _label(x: float, y: float, text: str, limit: int, anchor: str = "end") -> str:
    """A text label shortened to `limit` characters, its full text in a <title>."""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="12" text-anchor="{anchor}" fill="{INK}">'
        f"<title>{escape(text)}</title>{escape(shorten(text, limit))}</text>"
    )


def _svg(name: str, title: str, height: int, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" data-chart="{escape(name)}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" style="{FONT}">'
        f"<title>{escape(title)}</title>"
        f'<text class="chart-title" x="0" y="18" font-size="15" font-weight="600" '
        f'fill="{INK}">{escape(title)}</text>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _legend(x: float, y: float, items: Sequence[tuple[str, str]]) -> list[str]:
    out = []
    for colour, text in items:
        out.append(
            f'<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{colour}" rx="2"/>'
            f'<text x="{x + 17:.1f}" y="{y + 11}" font-size="12" fill="{MUTED}">'
            f"{escape(text)}</text>"
        )
        x += 17 + len(text) * CHAR_W + 22
    return out


def column_chart(
    name: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    highlight: int | None = None,
    y_label: str = "$ (net)",
    x_label: str = "billing month",
) -> Markup:
    """Vertical bars, one per label (a 12-month spend trend); `highlight` marks one bar, a None
    value is a month not loaded (no bar, "n/a" under it)."""
    height, left, bottom, right = 320, 78, 52, 10
    top = TITLE_H + 12
    plot_h = height - bottom - top
    ticks = nice_ticks(max([0.0, *(v for v in values if v is not None)]))
    scale = ticks[-1]
    step = (WIDTH - left - right) / max(len(values), 1)
    body = []
    for t in ticks:
        y = top + plot_h - plot_h * t / scale
        body.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="12" text-anchor="end" '
            f'fill="{MUTED}">{escape(tick_label(t, ticks[1]))}</text>'
        )
    mid = top + plot_h / 2
    body.append(
        f'<text x="14" y="{mid:.1f}" font-size="12" text-anchor="middle" fill="{MUTED}" '
        f'transform="rotate(-90 14 {mid:.1f})">{escape(y_label)}</text>'
        f'<text x="{left + (WIDTH - left - right) / 2:.1f}" y="{height - 6}" font-size="12" '
        f'text-anchor="middle" fill="{MUTED}">{escape(x_label)}</text>'
    )
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + i * step + step * 0.15
        centre = x + step * 0.35
        body.append(
            f'<text x="{centre:.1f}" y="{height - bottom + 18}" font-size="12" '
            f'text-anchor="middle" fill="{INK}">{escape(label)}</text>'
        )
        if value is None:
            body.append(
                f'<text x="{centre:.1f}" y="{top + plot_h - 4}" font-size="11" '
                f'text-anchor="middle" fill="{MUTED}">n/a</text>'
            )
            continue
        h = plot_h * max(value, 0.0) / scale
        colour = BLUE if i == highlight else SKY
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{colour}" rx="2"><title>{escape(label)}: '
            f"{escape(money(value))}</title></rect>"
        )
    body.append(
        f'<line x1="{left}" x2="{WIDTH - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{MUTED}"/>'
    )
    return _svg(name, title, height, body)


def bar_chart(
    name: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    x_label: str = "$ (net)",
    colour: str = BLUE,
) -> Markup:
    """Horizontal bars, largest first as given (top repositories, spend per tag value)."""
    row, left, bottom = 26, 340, 44
    top = TITLE_H + 8
    texts = [money(v) for v in values]
    right = max([len(t) for t in texts] + [4]) * CHAR_W + 16  # room for the longest value
    plot_w = WIDTH - left - right
    height = top + row * len(values) + bottom
    ticks = nice_ticks(max([0.0, *values]))
    scale = ticks[-1]
    limit = int((left - 12) / CHAR_W)
    plot_bottom = top + row * len(values)
    body = []
    for t in ticks:
        x = left + plot_w * t / scale
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{plot_bottom}" stroke="{GRID}"/>'
            f'<text x="{x:.1f}" y="{plot_bottom + 16}" font-size="12" text-anchor="middle" '
            f'fill="{MUTED}">{escape(tick_label(t, ticks[1]))}</text>'
        )
    body.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" font-size="12" '
        f'text-anchor="middle" fill="{MUTED}">{escape(x_label)}</text>'
    )
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        y = top + i * row
        w = plot_w * max(value, 0.0) / scale
        body.append(
            _label(left - 8, y + 17, label, limit)
            + f'<rect class="bar" x="{left}" y="{y + 5}" width="{max(w, 1):.1f}" '
            f'height="{row - 10}" fill="{colour}" rx="2"><title>{escape(label)}: '
            f"{escape(text)}</title></rect>"
            f'<text x="{left + w + 6:.1f}" y="{y + 17}" font-size="12" '
            f'fill="{INK}">{escape(text)}</text>'
        )
    body.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{plot_bottom}" stroke="{MUTED}"/>')
    return _svg(name, title, height, body)


def paired_bar_chart(
    name: str,
    title: str,
    labels: Sequence[str],
    predicted: Sequence[float | None],
    realized: Sequence[float | None],
) -> Markup:
    """Predicted (orange) against realized (blue; vermillion when the cost rose) per label,
    around a zero line so a rise shows to the left; a legend names the series."""
    row, left, bottom = 44, 340, 44
    top = TITLE_H + 26
    numbers = [v for v in [*predicted, *realized] if v is not None]
    texts = [money(v) for v in numbers] or ["$0.00"]
    right = max(len(t) for t in texts) * CHAR_W + 16
    plot_w = WIDTH - left - right
    ticks = nice_ticks(max([0.0, *(abs(v) for v in numbers)]))
    scale = ticks[-1]
    lowest = min([0.0, *(v for v in realized if v is not None)])
    neg_ticks = nice_ticks(-lowest, 2) if lowest < 0 else [0.0]
    span = scale + neg_ticks[-1]
    unit = plot_w / span
    zero = left + neg_ticks[-1] * unit
    plot_bottom = top + row * len(labels)
    height = plot_bottom + bottom
    limit = int((left - 12) / CHAR_W)
    body = _legend(
        left,
        TITLE_H,
        [
            (ORANGE, "predicted $/month"),
            (BLUE, "realized $/month, net of the trend"),
            (VERMILLION, "cost rose"),
        ],
    )
    for t in [*(-v for v in neg_ticks[1:]), *ticks]:
        x = zero + t * unit
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{plot_bottom}" stroke="{GRID}"/>'
            f'<text x="{x:.1f}" y="{plot_bottom + 16}" font-size="12" text-anchor="middle" '
            f'fill="{MUTED}">{escape(tick_label(t, ticks[1]))}</text>'
        )
    body.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" font-size="12" '
        f'text-anchor="middle" fill="{MUTED}">$ per month</text>'
    )
    for i, label in enumerate(labels):
        y = top + i * row
        body.append(_label(left - 8, y + 25, label, limit))
        for j, (value, colour) in enumerate(((predicted[i], ORANGE), (realized[i], BLUE))):
            by = y + 6 + j * 16
            if value is None:
                body.append(
                    f'<text x="{zero + 4:.1f}" y="{by + 11}" font-size="11" fill="{MUTED}">'
                    f"{'no prediction' if j == 0 else 'too early'}</text>"
                )
                continue
            w = abs(value) * unit
            x = zero if value >= 0 else zero - w
            fill = VERMILLION if (j == 1 and value < 0) else colour
            text = money(value)
            body.append(
                f'<rect class="bar" x="{x:.1f}" y="{by}" width="{max(w, 1):.1f}" height="13" '
                f'fill="{fill}" rx="2"><title>{escape(label)} '
                f"{'predicted' if j == 0 else 'realized'}: {escape(text)}</title></rect>"
                f'<text x="{zero + max(w, 0) + 4 if value >= 0 else zero + 4:.1f}" '
                f'y="{by + 11}" font-size="11" fill="{INK}">{escape(text)}</text>'
            )
    body.append(
        f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top}" y2="{plot_bottom}" stroke="{MUTED}"/>'
    )
    return _svg(name, title, height, body)


def waterfall_chart(
    name: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    x_label: str = "$ per month (net)",
) -> Markup:
    """A waterfall (the spend bridge): the first and last values are totals drawn from zero,
    those between are changes floating from the running total (a rise vermillion, a fall
    green). One `.bar` per value, each with its value beside it and in its tooltip."""
    row, left, bottom = 26, 340, 44
    top = TITLE_H + 8
    values = [float(v) for v in values]
    texts = [
        money(v) if i in (0, len(values) - 1) else signed_money(v) for i, v in enumerate(values)
    ]
    right = max([len(t) for t in texts] + [4]) * CHAR_W + 16
    plot_w = WIDTH - left - right
    height = top + row * len(values) + bottom
    ends = [values[0]]  # the running total after each value
    for v in values[1:-1]:
        ends.append(ends[-1] + v)
    ends.append(values[-1])
    ticks = nice_ticks(max([0.0, *ends]))
    low = min(0.0, *ends)
    scale = ticks[-1] - low or 1.0

    def x(v: float) -> float:
        return left + plot_w * (v - low) / scale

    limit = int((left - 12) / CHAR_W)
    plot_bottom = top + row * len(values)
    body = []
    for t in ticks:
        body.append(
            f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top}" y2="{plot_bottom}" '
            f'stroke="{GRID}"/><text x="{x(t):.1f}" y="{plot_bottom + 16}" font-size="12" '
            f'text-anchor="middle" fill="{MUTED}">{escape(tick_label(t, ticks[1]))}</text>'
        )
    body.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" font-size="12" '
        f'text-anchor="middle" fill="{MUTED}">{escape(x_label)}</text>'
    )
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        y = top + i * row
        total = i in (0, len(values) - 1)
        start = 0.0 if total else ends[i - 1]
        end = value if total else ends[i]
        colour = BLUE if total else (GREEN if value < 0 else VERMILLION)
        x0, x1 = sorted((x(start), x(end)))
        body.append(
            _label(left - 8, y + 17, label, limit)
            + f'<rect class="bar" x="{x0:.1f}" y="{y + 5}" width="{max(x1 - x0, 1):.1f}" '
            f'height="{row - 10}" fill="{colour}" rx="2"><title>{escape(label)}: '
            f"{escape(text)}</title></rect>"
            f'<text x="{x1 + 6:.1f}" y="{y + 17}" font-size="12" fill="{INK}">{escape(text)}</text>'
        )
    body.append(
        f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="{top}" y2="{plot_bottom}" stroke="{MUTED}"/>'
    )
    return _svg(name, title, height, body)
