"""Line charts drawn with Pillow (no plotting library): one panel per measure, stacked in a PNG."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

Series = dict[str, list[tuple[float, float]]]  # name → (x, y) points
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
WIDTH, PANEL, MARGIN = 1200, 260, 70
TICKS = {  # a fault's letter on the charts
    "rq worker": "K",
    "gunicorn": "G",
    "redis restarted": "R",
    "redis lost": "L",
    "postgres": "P",
    "api": "A",
}


def legend() -> str:
    return ", ".join(f"{letter} {name}" for name, letter in TICKS.items())


def tick(label: str) -> str:
    return next((letter for name, letter in TICKS.items() if label.startswith(name)), "?")


def save(path: Path, title: str, panels: list[tuple[str, Series]], marks: list[tuple[float, str]]) -> Path:
    """Draw each (title, series) panel under the figure's title; `marks` are vertical ticks (faults)."""
    image = Image.new("RGB", (WIDTH, 40 + PANEL * len(panels)), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    draw.text((MARGIN, 12), title, fill="black", font=font)
    for i, (name, series) in enumerate(panels):
        _panel(
            draw, font, (MARGIN, 40 + i * PANEL, WIDTH - 20, 40 + (i + 1) * PANEL - 40), name, series, marks
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def _panel(
    draw: ImageDraw.ImageDraw,
    font: ImageFont.ImageFont | ImageFont.FreeTypeFont,
    box: tuple[int, int, int, int],
    name: str,
    series: Series,
    marks: list[tuple[float, str]],
) -> None:
    left, top, right, bottom = box
    points = [p for pts in series.values() for p in pts]
    if not points:
        return
    x0, x1 = min(x for x, _ in points), max(x for x, _ in points)
    y1 = max(y for _, y in points) * 1.1 or 1.0
    span = (x1 - x0) or 1.0

    def at(x: float, y: float) -> tuple[float, float]:
        return left + (x - x0) / span * (right - left), bottom - y / y1 * (bottom - top)

    draw.rectangle(box, outline="#999999")
    draw.text((left, top - 14), name, fill="black", font=font)
    for k in range(5):  # the y grid, labelled
        y = y1 * k / 4
        _, py = at(x0, y)
        draw.line([(left, py), (right, py)], fill="#eeeeee")
        draw.text((4, py - 6), f"{y:,.0f}" if y1 >= 10 else f"{y:.2f}", fill="#555555", font=font)
    for x, label in marks:
        if x0 <= x <= x1:
            px, _ = at(x, 0)
            draw.line([(px, top), (px, bottom)], fill="#f3c0c0")
            draw.text((px + 2, top + 2), tick(label), fill="#c04040", font=font)
    for n, (label, pts) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        if len(pts) > 1:
            draw.line([at(x, y) for x, y in pts], fill=colour, width=2)
        draw.text((right - 200, top + 4 + 12 * n), label, fill=colour, font=font)
    draw.text((left, bottom + 4), f"{x0:.0f} s", fill="#555555", font=font)
    draw.text((right - 40, bottom + 4), f"{x1:.0f} s", fill="#555555", font=font)
