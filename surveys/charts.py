"""Bar charts for the survey reports, drawn as inline SVG by ``surveys/_chart.html``.

The geometry is worked out here, where it can be tested; the template only places the shapes.
No script and no external resource: the chart prints as it shows, colours come from CSS
classes (static/css/charts.css), and the table beside each chart carries the same figures.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .reports import Share, format_percent

if TYPE_CHECKING:
    from .reports import QuestionSummary
    from .trends import QuestionTrend

WIDTH = 420
MARGIN = 8
VALUE_WIDTH = 84  # right of the plot, for "62.5%" or the reason there is no bar
LABEL_HEIGHT = 18  # an answer's label, above its bars
BAR_HEIGHT = 14
BAR_GAP = 4
GROUP_GAP = 12
LEGEND_ROW = 20
AXIS_HEIGHT = 24
TICKS = (0, 25, 50, 75, 100)
LABEL_CHARACTERS = 60
SERIES_COLOURS = 6  # chart-series-0 … chart-series-5 in charts.css
CAP = 5  # half the height of a whisker's end caps

PLOT_LEFT = MARGIN
PLOT_RIGHT = WIDTH - VALUE_WIDTH


def x_of(percent: float) -> float:
    """Where a percentage falls on the 0–100% axis."""
    return round(PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * percent / 100, 1)


@dataclass(frozen=True)
class Bar:
    series: int
    y: float  # top of the bar
    width: float  # 0 when there is no figure to draw
    value: str  # "62.5%", or why there is no bar ("not shown", "not asked"…)
    whisker: tuple[float, float] | None  # x of the 95% interval's ends

    @property
    def centre_y(self) -> float:
        return self.y + BAR_HEIGHT / 2

    @property
    def value_x(self) -> float:
        return PLOT_RIGHT + 6

    @property
    def text_y(self) -> float:
        return self.centre_y + 4.5

    @property
    def colour(self) -> str:
        return f"chart-series-{self.series % SERIES_COLOURS}"

    @property
    def whisker_path(self) -> str:
        """The interval as one SVG path: a line between two end caps."""
        if self.whisker is None:
            return ""
        low, high = self.whisker
        cy, top, bottom = self.centre_y, self.centre_y - CAP, self.centre_y + CAP
        return (
            f"M{low:.1f} {cy:.1f}H{high:.1f}"
            f"M{low:.1f} {top:.1f}V{bottom:.1f}M{high:.1f} {top:.1f}V{bottom:.1f}"
        )


@dataclass(frozen=True)
class Group:
    label: str
    label_y: float  # baseline of the label
    bars: list[Bar]


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class LegendItem:
    series: int
    label: str
    y: float  # top of the swatch

    @property
    def colour(self) -> str:
        return f"chart-series-{self.series % SERIES_COLOURS}"

    @property
    def text_y(self) -> float:
        return self.y + 11


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str
    height: float
    plot_top: float
    plot_bottom: float
    groups: list[Group]
    ticks: list[Tick]
    legend: list[LegendItem]
    width: int = WIDTH
    plot_left: float = PLOT_LEFT
    plot_right: float = PLOT_RIGHT
    bar_height: int = BAR_HEIGHT

    @property
    def tick_label_y(self) -> float:
        return self.plot_bottom + 16

    @property
    def legend_text_x(self) -> float:
        return self.plot_left + 18


Cell = Share | str  # a figure to draw, or why there is none


def bar_chart(
    *,
    id: str,
    title: str,
    description: str,
    groups: Sequence[tuple[str, Sequence[Cell]]],
    series: Sequence[str] = (),
) -> BarChart:
    """Horizontal bars on a 0–100% axis, one group of bars per answer and one bar per series
    (the waves of a trend; a single unnamed series otherwise), each with its 95% interval."""
    legend = [
        LegendItem(series=i, label=label, y=MARGIN + i * LEGEND_ROW)
        for i, label in enumerate(series)
    ]
    y = MARGIN + (len(legend) * LEGEND_ROW + 4 if legend else 0)
    plot_top = y
    placed = []
    for label, cells in groups:
        y += LABEL_HEIGHT
        label_y = y - 5
        bars = []
        for series_index, cell in enumerate(cells):
            bars.append(_bar(series_index, y, cell))
            y += BAR_HEIGHT + BAR_GAP
        y += GROUP_GAP - BAR_GAP
        placed.append(Group(label=_short(label), label_y=label_y, bars=bars))
    return BarChart(
        id=id,
        title=title,
        description=description,
        height=y + AXIS_HEIGHT,
        plot_top=plot_top,
        plot_bottom=y,
        groups=placed,
        ticks=[Tick(x=x_of(t), label=f"{t}%") for t in TICKS],
        legend=legend,
    )


def _bar(series: int, y: float, cell: Cell) -> Bar:
    if isinstance(cell, str):
        return Bar(series=series, y=y, width=0, value=cell, whisker=None)
    if cell.percent is None:
        return Bar(series=series, y=y, width=0, value="no answers", whisker=None)
    return Bar(
        series=series,
        y=y,
        width=round(x_of(cell.percent) - PLOT_LEFT, 1),
        value=f"{format_percent(cell.percent)}%",
        whisker=(x_of(cell.ci_low), x_of(cell.ci_high)),
    )


def _short(label: str) -> str:
    # SVG text does not wrap; the table beside the chart has the full label.
    return textwrap.shorten(label, LABEL_CHARACTERS, placeholder="…")


def question_chart(summary: QuestionSummary) -> BarChart:
    """One bar per answer of a choice question in one wave."""
    question = summary.question
    return bar_chart(
        id=f"chart-q{question.pk}",
        title=f"{question.text} (n = {summary.n})",
        description=(
            f"Percent of the {summary.n} people who answered choosing each answer, with "
            "95% confidence intervals. The table gives the same figures."
        ),
        groups=[(o.option.label, [o.share]) for o in summary.options],
    )


def trend_chart(trend: QuestionTrend) -> BarChart:
    """Per answer, one bar per wave that asked the question, in time order."""
    waves = [f"{c.wave.title} (n = {c.n})" for c in trend.columns]
    return bar_chart(
        id=f"trend-{trend.code}",
        title=trend.text,
        description=(
            "Percent choosing each answer in each wave, with 95% confidence intervals: "
            f"{'; '.join(waves)}. The table gives the same figures."
        ),
        groups=[(row.label, [cell.chart_value for cell in row.cells]) for row in trend.rows],
        series=waves,
    )
