"""Small SVG charts rendered on the server: no JavaScript and no build step. Every label is escaped."""

from collections.abc import Sequence

from markupsafe import Markup, escape

ROW = 22
LABEL_WIDTH = 150
BAR_WIDTH = 360
COLOURS = ("#2f6fdf", "#9bb9f0")


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"
    if unit == "%":
        return f"{value * 100:.0f}%"
    return f"{value:g}"


def bars(
    title: str, rows: Sequence[tuple[str, Sequence[float | None]]], series: Sequence[str], unit: str = ""
) -> Markup:
    """Horizontal bars, one group per row, one bar per series (e.g. p50 and p90), scaled to the largest."""
    values = [v for _, vs in rows for v in vs if v is not None]
    top = max(values) if values else 1.0
    top = top or 1.0
    per_row = ROW * len(series) + 8
    height = 40 + per_row * max(len(rows), 1)
    width = LABEL_WIDTH + BAR_WIDTH + 90
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"'
        f' width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for i, name in enumerate(series):
        x = LABEL_WIDTH + i * 110
        parts.append(f'<rect x="{x}" y="24" width="10" height="10" fill="{COLOURS[i % 2]}"/>')
        parts.append(f'<text x="{x + 14}" y="33" class="legend">{escape(name)}</text>')
    if not rows:
        parts.append('<text x="0" y="60">No data for these filters.</text>')
    for r, (label, vs) in enumerate(rows):
        y0 = 44 + r * per_row
        parts.append(f'<text x="0" y="{y0 + ROW - 6}" class="label">{escape(label[:24])}</text>')
        for i, v in enumerate(vs):
            y = y0 + i * ROW
            w = 0 if v is None else max(BAR_WIDTH * v / top, 1)
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{w:.1f}" height="{ROW - 4}" fill="{COLOURS[i % 2]}"/>'
            )
            parts.append(f'<text x="{LABEL_WIDTH + w + 6:.1f}" y="{y + ROW - 8}" class="value">{_fmt(v, unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
