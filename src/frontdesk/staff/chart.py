"""The daily trend chart: geometry for a server-rendered SVG of stacked bars.

This module does the arithmetic (scales, bar rectangles, axis ticks) and the
template `staff/_trend_chart.html` draws it. No JavaScript and no style
attributes are involved, so the chart works under the strict CSP and prints
well. Colours come from CSS classes in site.css, with `fill` presentation
attributes as a fallback. The SVG is one labelled image (`role="img"` with a
title and a description); the numbers themselves are in the data table the
page shows beside it, which is what screen-reader users read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from frontdesk.records.votes import DayCount

WIDTH = 640
HEIGHT = 260
MARGIN_LEFT = 44
MARGIN_RIGHT = 12
MARGIN_TOP = 12
MARGIN_BOTTOM = 32


@dataclass(frozen=True)
class Bar:
    label: str  # "Nov 3: 4 yes, 1 no", the bar's tooltip
    x: float
    width: float
    yes_y: float
    yes_height: float
    no_y: float
    no_height: float


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    title: str
    description: str


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is >= value (at least 1), for a tidy y axis."""
    if value <= 1:
        return 1
    power: int = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _round(value: float) -> float:
    return round(value, 2)


def trend_chart(days: list[DayCount], *, page: str) -> Chart:
    left, right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    top, bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM
    top_value = nice_ceiling(max((d.total for d in days), default=0))
    scale = (bottom - top) / top_value
    slot = (right - left) / max(1, len(days))
    gap = min(2.0, slot * 0.2)

    bars = []
    for i, d in enumerate(days):
        yes_height = d.yes * scale
        no_height = d.no * scale
        bars.append(
            Bar(
                label=f"{d.day:%b %-d}: {d.yes} yes, {d.no} no",
                x=_round(left + i * slot + gap / 2),
                width=_round(max(0.5, slot - gap)),
                yes_y=_round(bottom - yes_height),
                yes_height=_round(yes_height),
                no_y=_round(bottom - yes_height - no_height),
                no_height=_round(no_height),
            )
        )

    y_ticks = [Tick(_round(bottom - v * scale), str(v)) for v in sorted({0, top_value // 2, top_value})]
    if top_value == 1:
        y_ticks = [Tick(bottom, "0"), Tick(top, "1")]
    x_ticks = []
    if days:
        chosen = sorted({0, len(days) // 2, len(days) - 1})
        x_ticks = [Tick(_round(left + (i + 0.5) * slot), f"{days[i].day:%b %-d}") for i in chosen]

    yes = sum(d.yes for d in days)
    no = sum(d.no for d in days)
    busiest = max(days, key=lambda d: d.total, default=None)
    description = f"{len(days)} days: {yes} yes and {no} no in all."
    if busiest is not None and busiest.total:
        description += f" The busiest day was {busiest.day:%b %-d} with {busiest.total} votes."
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        bars=bars,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        title=f"Daily yes and no votes for {page}",
        description=description,
    )


# -- ranked horizontal bars (the reports) ---------------------------------------------------------------

ROW_HEIGHT = 26
LABEL_WIDTH = 220
MAX_BARS = 10


@dataclass(frozen=True)
class HBar:
    label: str  # shown left of the bar
    title: str  # the bar's tooltip: "google / cpc: 12 leads, 3 applications"
    y: float
    first_width: float
    second_width: float
    value_x: float
    value: int


@dataclass(frozen=True)
class RankedChart:
    width: int
    height: int
    left: float
    bars: list[HBar]
    title: str
    description: str


def ranked_chart(
    rows: list[tuple[str, int, int]], *, title: str, names: tuple[str, str] = ("leads", "applications")
) -> RankedChart:
    """Stacked horizontal bars for the first `MAX_BARS` of (label, first count, second count), largest first."""
    shown = rows[:MAX_BARS]
    left, right = LABEL_WIDTH, WIDTH - 48
    top_value = max((a + b for _, a, b in shown), default=0) or 1
    scale = (right - left) / top_value
    bars = [
        HBar(
            label=label if len(label) <= 32 else label[:31] + "…",
            title=f"{label}: {a} {names[0]}, {b} {names[1]}",
            y=MARGIN_TOP + i * ROW_HEIGHT,
            first_width=_round(a * scale),
            second_width=_round(b * scale),
            value_x=_round(left + (a + b) * scale + 6),
            value=a + b,
        )
        for i, (label, a, b) in enumerate(shown)
    ]
    description = f"The {len(shown)} largest of {len(rows)}, as bars of {names[0]} and {names[1]}."
    return RankedChart(WIDTH, MARGIN_TOP * 2 + max(1, len(shown)) * ROW_HEIGHT, left, bars, title, description)
