from django import template

from surveys.reports import format_percent

register = template.Library()


@register.filter
def pct(value: float | None) -> str:
    """62.5 → "62.5", 28.0 → "28"."""
    return "" if value is None else format_percent(value)
