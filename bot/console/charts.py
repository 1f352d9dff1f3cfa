"""Charts drawn on the server as SVG, labelled in Chinese: no script, no external request.

`bars` and `lines` take labelled series and return markup for a template (`{{ chart | safe }}`);
every label is escaped here. Colours follow the console's palette.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#07c160", "#1a73e8", "#fa8c16", "#eb2f96", "#722ed1", "#13c2c2")
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 480, 230, 46, 30, 26


def _nice_max(value: float) -> float:
    """The axis top: four equal steps of 1, 2 or 5 times a power of ten, so ticks are round numbers."""
    if value <= 0:
        return 4
    raw = value / 4
    power = 10 ** max(len(str(int(raw))) - 1, 0) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return float(step * 4)


def _frame(title: str, top: float, labels: Sequence[str], every: int) -> list[str]:
    inner_w, inner_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    out = [f'<text x="{LEFT}" y="14" class="t">{escape(title)}</text>']
    for i in range(5):
        y = TOP + inner_h * i / 4
        value = top * (4 - i) / 4
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - 8}" y2="{y:.1f}" class="g"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="y">{_short(value)}</text>')
    n = max(len(labels), 1)
    for i, label in enumerate(labels):
        if i % every == 0 or i == n - 1:
            x = LEFT + inner_w * (i + 0.5) / n
            out.append(f'<text x="{x:.1f}" y="{HEIGHT - 8}" class="x">{escape(label)}</text>')
    return out


def _short(value: float) -> str:
    if value >= 10_000:
        return f"{value / 10_000:.1f}万".replace(".0万", "万")
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _svg(parts: list[str], title: str, legend: Sequence[str]) -> Markup:
    keys = "".join(
        f'<span><i style="background:{PALETTE[i % len(PALETTE)]}"></i>{escape(name)}</span>'
        for i, name in enumerate(legend)
    )
    style = (
        "<style>.t{font-size:13px;fill:#333}.y{font-size:10px;fill:#999;text-anchor:end}"
        ".x{font-size:10px;fill:#999;text-anchor:middle}.g{stroke:#f0f0f0}</style>"
    )
    body = "".join(parts)
    return Markup(
        f'<figure class="chart-box"><svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">{style}{body}</svg>'
        f'<figcaption class="legend">{keys}</figcaption></figure>'
    )


def bars(title: str, labels: Sequence[str], series: dict[str, Sequence[float]]) -> Markup:
    """Grouped bars: one group per label, one bar per series."""
    top = _nice_max(max((v for values in series.values() for v in values), default=0))
    n, k = max(len(labels), 1), max(len(series), 1)
    inner_w, inner_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    group = inner_w / n
    width = max(group * 0.7 / k, 1)
    parts = _frame(title, top, labels, max(1, n // 10))
    for j, (name, values) in enumerate(series.items()):
        colour = PALETTE[j % len(PALETTE)]
        for i, value in enumerate(values):
            h = inner_h * value / top
            x = LEFT + group * i + group * 0.15 + width * j
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP + inner_h - h:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(labels[i])} {escape(name)}：{_short(value)}</title></rect>'
            )
    return _svg(parts, title, list(series))


def lines(title: str, labels: Sequence[str], series: dict[str, Sequence[float]]) -> Markup:
    """One line per series over the labels (days, usually)."""
    top = _nice_max(max((v for values in series.values() for v in values), default=0))
    n = max(len(labels), 1)
    inner_w, inner_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    parts = _frame(title, top, labels, max(1, n // 8))
    for j, (name, values) in enumerate(series.items()):
        colour = PALETTE[j % len(PALETTE)]
        points = " ".join(
            f"{LEFT + inner_w * (i + 0.5) / n:.1f},{TOP + inner_h - inner_h * v / top:.1f}"
            for i, v in enumerate(values)
        )
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(values):
            x, y = LEFT + inner_w * (i + 0.5) / n, TOP + inner_h - inner_h * v / top
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(labels[i])} {escape(name)}：{_short(v)}</title></circle>"
            )
    return _svg(parts, title, list(series))
