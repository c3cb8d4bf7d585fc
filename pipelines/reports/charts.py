"""Inline SVG charts (no script, no fonts to fetch): every label is escaped, values are in
<title> tooltips. Each chart is `<svg class="chart" data-chart=NAME>` with one `.bar` per datum,
which the browser test counts."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from ecrcost.fmt import money

FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"
BLUE = "#2563eb"
GREY = "#9ca3af"
GREEN = "#16a34a"
RED = "#dc2626"
HIGHLIGHT = "#1e3a8a"


def _short(label: str, limit: int = 46) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _svg(name: str, title: str, width: int, height: int, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" data-chart="{escape(name)}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px;{FONT}">'
        f"<title>{escape(title)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")


def column_chart(
    name: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    highlight: int | None = None,
) -> Markup:
    """Vertical bars, one per label (e.g. a 12-month spend trend); `highlight` marks one bar."""
    width, height, left, bottom, top = 720, 260, 64, 36, 16
    plot_h = height - bottom - top
    top_value = max([0.0, *values]) or 1.0
    step = (width - left - 8) / max(len(values), 1)
    body = []
    for i in range(5):  # gridlines with their values
        v = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        body.append(
            f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#6b7280">{escape(money(v))}</text>'
        )
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * max(value, 0.0) / top_value
        x = left + i * step + step * 0.15
        colour = HIGHLIGHT if i == highlight else BLUE
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{colour}" rx="2"><title>{escape(label)}: '
            f"{escape(money(value))}</title></rect>"
            f'<text x="{x + step * 0.35:.1f}" y="{height - bottom + 16}" font-size="11" '
            f'text-anchor="middle" fill="#374151">{escape(label)}</text>'
        )
    return _svg(name, title, width, height, body)


def bar_chart(
    name: str, title: str, labels: Sequence[str], values: Sequence[float], colour: str = BLUE
) -> Markup:
    """Horizontal bars, largest first as given (top repositories, spend per tag value)."""
    row, left, right = 24, 330, 100
    width = 860
    height = row * len(values) + 12
    top_value = max([0.0, *values]) or 1.0
    plot_w = width - left - right
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 6 + i * row
        w = plot_w * max(value, 0.0) / top_value
        body.append(
            f'<text x="{left - 8}" y="{y + 15}" font-size="12" text-anchor="end" '
            f'fill="#111827">{escape(_short(label))}</text>'
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
            f'fill="{colour}" rx="2"><title>{escape(label)}: {escape(money(value))}</title></rect>'
            f'<text x="{left + w + 6:.1f}" y="{y + 15}" font-size="12" '
            f'fill="#374151">{escape(money(value))}</text>'
        )
    return _svg(name, title, width, height, body)


def paired_bar_chart(
    name: str,
    title: str,
    labels: Sequence[str],
    predicted: Sequence[float | None],
    realized: Sequence[float | None],
) -> Markup:
    """Predicted (grey) against realized (green, red when the cost rose) per label, around a
    zero line so a rise shows to the left."""
    row, left, right = 40, 330, 100
    width = 860
    legend = 22
    height = legend + row * len(labels) + 8
    numbers = [abs(v) for v in [*predicted, *realized] if v is not None]
    scale = max(numbers or [1.0]) or 1.0
    lowest = min([0.0, *(v for v in realized if v is not None)])
    plot_w = width - left - right
    neg_w = plot_w * (-lowest) / (scale - lowest) if lowest < 0 else 0.0
    unit = (plot_w - neg_w) / scale
    zero = left + neg_w
    body = [
        f'<rect x="{left}" y="4" width="12" height="10" fill="{GREY}"/>'
        f'<text x="{left + 16}" y="13" font-size="11" fill="#374151">predicted $/month</text>'
        f'<rect x="{left + 140}" y="4" width="12" height="10" fill="{GREEN}"/>'
        f'<text x="{left + 156}" y="13" font-size="11" fill="#374151">'
        "realized $/month (net of trend)</text>"
    ]
    for i, label in enumerate(labels):
        y = legend + i * row
        body.append(
            f'<text x="{left - 8}" y="{y + 22}" font-size="12" text-anchor="end" '
            f'fill="#111827">{escape(_short(label))}</text>'
        )
        for j, (value, colour) in enumerate(((predicted[i], GREY), (realized[i], GREEN))):
            by = y + 4 + j * 15
            if value is None:
                body.append(
                    f'<text x="{zero + 4:.1f}" y="{by + 11}" font-size="11" fill="#6b7280">'
                    f"{'no prediction' if j == 0 else 'too early'}</text>"
                )
                continue
            w = abs(value) * unit
            x = zero if value >= 0 else zero - w
            fill = RED if (j == 1 and value < 0) else colour
            body.append(
                f'<rect class="bar" x="{x:.1f}" y="{by}" width="{max(w, 1):.1f}" height="12" '
                f'fill="{fill}" rx="2"><title>{escape(label)} '
                f"{'predicted' if j == 0 else 'realized'}: {escape(money(value))}</title></rect>"
                f'<text x="{zero + max(w, 0) + 4 if value >= 0 else zero + 4:.1f}" y="{by + 11}" '
                f'font-size="11" fill="#374151">{escape(money(value))}</text>'
            )
    body.append(
        f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{legend}" y2="{height - 4}" stroke="#6b7280"/>'
    )
    return _svg(name, title, width, height, body)
