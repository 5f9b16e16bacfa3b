import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from surveys import charts
from surveys.charts import PLOT_LEFT, PLOT_RIGHT, bar_chart, x_of
from surveys.reports import Share

PLOT_WIDTH = PLOT_RIGHT - PLOT_LEFT


def one_bar(cell, **extra):
    return bar_chart(id="c", title="T", description="D", groups=[("Yes", [cell])], **extra)


def test_the_axis_runs_from_0_to_100_percent_across_the_plot():
    assert x_of(0) == PLOT_LEFT
    assert x_of(100) == PLOT_RIGHT
    assert x_of(50) == pytest.approx(PLOT_LEFT + PLOT_WIDTH / 2, abs=0.05)
    chart = one_bar(Share.of(1, 2))
    assert [t.label for t in chart.ticks] == ["0%", "25%", "50%", "75%", "100%"]
    assert [t.x for t in chart.ticks] == [x_of(p) for p in (0, 25, 50, 75, 100)]


def test_a_bar_is_as_long_as_its_percent_with_the_wilson_interval_as_whisker():
    share = Share.of(30, 48)  # 62.5%, 95% CI 48.4–74.8%
    bar = one_bar(share).groups[0].bars[0]

    assert bar.width == pytest.approx(PLOT_WIDTH * 0.625, abs=0.05)
    assert bar.value == "62.5%"
    low, high = bar.whisker
    assert low == pytest.approx(PLOT_LEFT + PLOT_WIDTH * share.ci_low / 100, abs=0.05)
    assert high == pytest.approx(PLOT_LEFT + PLOT_WIDTH * share.ci_high / 100, abs=0.05)
    assert low < PLOT_LEFT + bar.width < high
    assert bar.whisker_path.startswith(f"M{low:.1f} {bar.centre_y:.1f}H{high:.1f}")


def test_a_cell_without_figures_draws_no_bar_and_says_why():
    suppressed = one_bar("not shown").groups[0].bars[0]
    empty = one_bar(Share.of(0, 0)).groups[0].bars[0]

    assert (suppressed.width, suppressed.whisker, suppressed.value) == (0, None, "not shown")
    assert (empty.width, empty.whisker, empty.value) == (0, None, "no answers")
    assert suppressed.whisker_path == ""


def test_zero_and_everyone_give_an_empty_and_a_full_bar():
    none, everyone = (one_bar(Share.of(k, 7)).groups[0].bars[0] for k in (0, 7))

    assert none.width == 0 and none.value == "0%"
    assert none.whisker[0] == PLOT_LEFT  # the interval still shows how unsure 0 of 7 is
    assert everyone.width == PLOT_WIDTH and everyone.whisker[1] == PLOT_RIGHT


def test_groups_and_bars_are_stacked_without_overlapping_inside_the_plot():
    chart = bar_chart(
        id="c",
        title="T",
        description="D",
        groups=[("A", [Share.of(1, 4), Share.of(2, 4)]), ("B", [Share.of(3, 4), "not asked"])],
        series=["Wave 1", "Wave 2"],
    )
    bars = [bar for group in chart.groups for bar in group.bars]
    tops = [bar.y for bar in bars]

    assert [bar.series for bar in bars] == [0, 1, 0, 1]
    assert tops == sorted(tops)
    for upper, lower in zip(bars, bars[1:], strict=False):
        assert upper.y + charts.BAR_HEIGHT <= lower.y
    assert chart.groups[1].label_y > bars[1].y + charts.BAR_HEIGHT  # B's label below A's bars
    assert chart.plot_top <= chart.groups[0].label_y - 12
    assert bars[-1].y + charts.BAR_HEIGHT <= chart.plot_bottom < chart.height


def test_a_legend_names_each_series_above_the_plot():
    chart = bar_chart(
        id="c", title="T", description="D", groups=[("A", ["x", "y"])], series=["Mid", "End"]
    )
    without = bar_chart(id="c", title="T", description="D", groups=[("A", ["x"])])

    assert [(item.label, item.colour) for item in chart.legend] == [
        ("Mid", "chart-series-0"),
        ("End", "chart-series-1"),
    ]
    assert chart.legend[-1].y + 12 <= chart.plot_top
    assert without.legend == [] and without.plot_top < chart.plot_top


def test_long_labels_are_shortened_on_the_chart_only():
    label = "I have shared it with both internal and external members " * 3
    chart = bar_chart(id="c", title="T", description="D", groups=[(label, [Share.of(1, 2)])])

    assert len(chart.groups[0].label) <= charts.LABEL_CHARACTERS
    assert chart.groups[0].label.endswith("…")


def test_the_template_draws_an_accessible_svg_without_inline_styles():
    chart = bar_chart(
        id="chart-q7",
        title="Reached out to a peer <b>?</b>",
        description="Percent choosing each answer.",
        groups=[("Yes", [Share.of(30, 48)]), ("No", ["not shown"])],
    )
    html = render_to_string("surveys/_chart.html", {"chart": chart})

    assert re.search(r'<svg[^>]* role="img"[^>]* aria-labelledby="chart-q7-title"', html)
    assert '<title id="chart-q7-title">Reached out to a peer &lt;b&gt;?&lt;/b&gt;</title>' in html
    assert '<desc id="chart-q7-desc">' in html and 'aria-describedby="chart-q7-desc"' in html
    assert (
        "style=" not in html
        and "<script" not in html
        and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    bar = chart.groups[0].bars[0]
    assert f'width="{bar.width}"' in html
    assert html.count('class="chart-bar chart-series-0"') == 1  # no bar for the hidden cell
    assert ">not shown</text>" in html and ">62.5%</text>" in html


def test_coordinates_are_not_localised():
    chart = one_bar(Share.of(30, 48))
    with translation.override("de"):
        html = render_to_string("surveys/_chart.html", {"chart": chart})

    assert f'width="{chart.groups[0].bars[0].width}"' in html
    assert not re.search(r'(x|y|width|height)="\d+,\d', html)
