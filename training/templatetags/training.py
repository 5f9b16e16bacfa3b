from django import template
from django.utils.safestring import mark_safe

from forum.rendering import render

register = template.Library()


@register.filter
def markdown(source: str) -> str:
    """Staff-written Markdown as sanitised HTML (the forum's renderer and allowlist)."""
    return mark_safe(render(source or "").html)  # noqa: S308 - sanitised by nh3
