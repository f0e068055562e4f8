"""The statement's charts, drawn by matplotlib as SVG text to inline in the page (no file, no
network). Money arrives as Decimal and becomes float here, for drawing only.

One figure and axes per chart size and process are reused (emptied between charts): building
axes and their ticks dominates the cost of a small chart. Each day's bars are one SVG group with
the id `day-<YYYY-MM-DD>`, so the page says which days have spend (the browser test counts
them); colours follow the product's place in the catalogue, so a product keeps its colour on
every page; the legend is HTML.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import matplotlib

matplotlib.use("svg")
from matplotlib import rcParams  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

rcParams["svg.fonttype"] = "none"  # text stays text: smaller, sharper, selectable
rcParams["svg.hashsalt"] = "rated-events-statement"  # ids stable from run to run
rcParams["font.size"] = 9
rcParams["axes.spines.top"] = False
rcParams["axes.spines.right"] = False

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
_canvases: dict[tuple[float, float], tuple[Figure, Axes]] = {}


def canvas(size: tuple[float, float]) -> tuple[Figure, Axes]:
    """The figure and axes of this size, emptied of the last chart's data (axes, ticks and
    their text objects are kept: building them again costs more than the chart)."""
    if size not in _canvases:
        fig = Figure(figsize=size, dpi=96)
        _canvases[size] = (fig, fig.add_subplot())
    fig, axes = _canvases[size]
    for artist in [*axes.collections, *axes.lines, *axes.patches, *axes.texts]:
        artist.remove()
    return fig, axes


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def svg_text(fig: Figure, title: str) -> str:
    """The figure as an inline <svg> element that scales with the page."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # inline, the RDF metadata block and its namespaces are dead weight
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.DOTALL)
    text = re.sub(r'\s+xmlns:(?:dc|cc|rdf)="[^"]*"', "", text)
    # the page sizes it (CSS): drop the fixed size, keep the viewBox
    text = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", text, count=1)
    return text.replace("<svg", f'<svg role="img" aria-label="{title}"', 1)


def day_ticks(axes, first: date, days: int) -> None:
    step = max(1, round(days / 6))
    # no label in the last half step: it would stick out of the chart
    positions = list(range(0, max(days - step // 2, 1), step))
    axes.set_xticks(positions)
    axes.set_xticklabels([(first + timedelta(days=p)).strftime("%b %d") for p in positions])


def daily_spend_chart(
    daily: dict[tuple[date, str], Decimal],
    products: list[str],
    product_colors: dict[str, str],
    first: date,
    last: date,
    unit: tuple[Decimal, str],
) -> str:
    """Spend per day: one bar group per day with spend, stacked by product (negative spend
    below the axis), drawn as one collection per day whose SVG group has the id
    `day-<YYYY-MM-DD>`. `unit` = (divisor, label): amounts are drawn divided by it (cents as
    dollars)."""
    divisor, label = unit
    days = max((last - first).days, 1)
    fig, axes = canvas((8.0, 2.8))
    top, bottom = 0.0, 0.0
    for offset in range(days):
        day = first + timedelta(days=offset)
        up = down = 0.0
        shapes, colors = [], []
        for product in products:
            value = daily.get((day, product))
            if not value:
                continue
            height = float(value / divisor)
            base = up if height > 0 else down
            shapes.append(
                [
                    (offset - 0.4, base),
                    (offset - 0.4, base + height),
                    (offset + 0.4, base + height),
                    (offset + 0.4, base),
                ]
            )
            colors.append(product_colors[product])
            if height > 0:
                up += height
            else:
                down += height
        if not shapes:
            continue
        group = PolyCollection(shapes, facecolors=colors, linewidths=0)
        group.set_gid(f"day-{day.isoformat()}")
        axes.add_collection(group, autolim=False)
        top, bottom = max(top, up), min(bottom, down)
    span = (top - bottom) or 1.0
    axes.set_ylim(bottom - (0.04 * span if bottom < 0 else 0), top + 0.04 * span)
    axes.set_xlim(-0.6, days - 0.4)
    day_ticks(axes, first, days)
    axes.axhline(0, color="#888", linewidth=0.6)
    axes.set_ylabel(label)
    axes.yaxis.set_major_locator(MaxNLocator(5))
    axes.grid(axis="y", alpha=0.3)
    fig.subplots_adjust(left=0.09, right=0.99, top=0.96, bottom=0.12)
    return svg_text(fig, "spend per day, stacked by product")


def burn_down_chart(
    points: list[tuple[datetime, Decimal]], amount: Decimal, unit: tuple[Decimal, str]
) -> str:
    """What a commit or credit segment has left, at the end of each day of the period."""
    divisor, label = unit
    fig, axes = canvas((4.0, 1.9))
    start = points[0][0]
    xs = [(moment - start).total_seconds() / 86400 for moment, _ in points]
    ys = [float(value / divisor) for _, value in points]
    axes.step(xs, ys, where="pre", color=PALETTE[0], linewidth=1.6)
    axes.fill_between(xs, ys, step="pre", color=PALETTE[0], alpha=0.15, linewidth=0)
    axes.set_ylim(0, max(float(amount / divisor), max(ys, default=0.0)) * 1.05 or 1)
    axes.set_xlim(0, max(xs[-1], 1))
    days = max(int(xs[-1]), 1)
    day_ticks(axes, start.date(), days + 1)
    axes.set_ylabel(label)
    axes.yaxis.set_major_locator(MaxNLocator(4))
    axes.grid(axis="y", alpha=0.3)
    fig.subplots_adjust(left=0.17, right=0.97, top=0.94, bottom=0.16)
    return svg_text(fig, "remaining balance over the period")
