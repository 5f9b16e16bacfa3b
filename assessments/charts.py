"""The domain-score chart of a team's results, drawn by the survey charts' template.

The geometry types, axis and colours are the survey charts' (surveys/charts.py and
surveys/_chart.html); only the bars differ: a domain score is a mean, not a proportion, so it
has no confidence interval to draw.
"""

from __future__ import annotations

import textwrap

from surveys.charts import (
    AXIS_HEIGHT,
    BAR_GAP,
    BAR_HEIGHT,
    GROUP_GAP,
    LABEL_CHARACTERS,
    LABEL_HEIGHT,
    LEGEND_ROW,
    MARGIN,
    PLOT_LEFT,
    TICKS,
    Bar,
    BarChart,
    Group,
    LegendItem,
    Tick,
    x_of,
)

from .models import Round
from .scoring import TeamResults


def _bar(series: int, y: float, value: float | None) -> Bar:
    if value is None:
        return Bar(series=series, y=y, width=0, value="not rated", whisker=None)
    return Bar(
        series=series,
        y=y,
        width=round(x_of(value) - PLOT_LEFT, 1),
        value=f"{value:.0f}%",
        whisker=None,
    )


def domain_chart(results: TeamResults, *, team) -> BarChart:
    """Per domain, one bar per submitted round and one for the cohort average when shown."""
    series = [Round(r).label for r in results.rounds]
    bench = results.benchmark
    with_bench = bench is not None and bench.shown
    if with_bench:
        series.append(f"Cohort average, {Round(bench.round).label.lower()} ({bench.teams} teams)")
    legend = [
        LegendItem(series=i, label=label, y=MARGIN + i * LEGEND_ROW)
        for i, label in enumerate(series)
    ]
    y = MARGIN + len(legend) * LEGEND_ROW + 4
    plot_top = y
    groups = []
    for row in results.rows:
        y += LABEL_HEIGHT
        label_y = y - 5
        values = [row.scores.get(r) for r in results.rounds]
        if with_bench:
            values.append(row.benchmark)
        bars = []
        for index, value in enumerate(values):
            bars.append(_bar(index, y, value))
            y += BAR_HEIGHT + BAR_GAP
        y += GROUP_GAP - BAR_GAP
        groups.append(
            Group(
                label=textwrap.shorten(row.title, LABEL_CHARACTERS, placeholder="…"),
                label_y=label_y,
                bars=bars,
            )
        )
    rounds = ", ".join(series)
    return BarChart(
        id=f"domains-{team.pk}",
        title=f"Domain scores of {team.name}",
        description=(
            f"Each domain's score as a percent of the highest level, for: {rounds}. "
            "The table gives the same figures."
        ),
        height=y + AXIS_HEIGHT,
        plot_top=plot_top,
        plot_bottom=y,
        groups=groups,
        ticks=[Tick(x=x_of(t), label=f"{t}%") for t in TICKS],
        legend=legend,
    )
