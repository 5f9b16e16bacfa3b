from django import template

from surveys import charts
from surveys.reports import QuestionSummary, format_percent
from surveys.trends import QuestionTrend

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    """62.5 → "62.5", 28.0 → "28"."""
    return "" if value is None else format_percent(value)


@register.simple_tag
def question_chart(summary: QuestionSummary) -> charts.BarChart:
    """{% question_chart summary as chart %}: the bars of a choice question in one wave."""
    return charts.question_chart(summary)


@register.simple_tag
def trend_chart(trend: QuestionTrend) -> charts.BarChart:
    """{% trend_chart trend as chart %}: a question's answers across waves."""
    return charts.trend_chart(trend)
