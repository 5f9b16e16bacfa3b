"""Markdown to safe HTML for posts.

markdown-it renders with raw HTML switched off, and nh3 then keeps only an allowlist of tags,
attributes and URL schemes, so whatever a member types (script tags, event handlers,
``javascript:`` or ``data:`` links, SVG, broken markup) arrives in the page as inert text.
Every link gets ``rel="nofollow noopener ugc"``.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .mentions import MENTION_RE, Directory

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
ALLOWED_CLASSES = {"a": {"mention"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener ugc"

_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable(["table", "strikethrough"])
    # Images would load from anywhere; share pictures as attachments instead.
    .disable("image")
)
_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    allowed_classes=ALLOWED_CLASSES,
    url_schemes=URL_SCHEMES,
    link_rel=LINK_REL,
    strip_comments=True,
)


def sanitise(html: str) -> str:
    return _cleaner.clean(html)


@dataclass
class Rendered:
    html: str
    mentioned: list[int] = field(default_factory=list)  # user ids, in order, no repeats
    unknown: list[str] = field(default_factory=list)  # handles that are not cohort members


def render(
    source: str,
    *,
    directory: Directory | None = None,
    member_url: Callable[[int], str] | None = None,
) -> Rendered:
    """Render a post's Markdown source to sanitised HTML, linking @mentions of members.

    Mentions inside quotations are linked but not counted, so quoting a post does not notify
    the people it mentioned again; mentions inside code are left alone.
    """
    result = Rendered(html="")
    tokens = _markdown.parse(source)
    quote_depth = 0
    for token in tokens:
        if token.type in {"heading_open", "heading_close"}:
            # Headings start at h3 so that a post never competes with the page's own h1/h2.
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"
        elif token.type == "blockquote_open":
            quote_depth += 1
        elif token.type == "blockquote_close":
            quote_depth -= 1
        elif token.type == "inline" and token.children and directory is not None:
            token.children = _link_mentions(
                token.children, directory, member_url, result, counted=quote_depth == 0
            )
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    result.html = sanitise(html)
    return result


def _link_mentions(
    children: list[Token],
    directory: Directory,
    member_url: Callable[[int], str] | None,
    result: Rendered,
    *,
    counted: bool,
) -> list[Token]:
    out: list[Token] = []
    link_depth = 0
    for child in children:
        if child.type == "link_open":
            link_depth += 1
        elif child.type == "link_close":
            link_depth -= 1
        if child.type != "text" or link_depth or "@" not in child.content:
            out.append(child)
            continue
        text = child.content
        position = 0
        for match in MENTION_RE.finditer(text):
            member = directory.resolve(match[1])
            if member is None:
                if counted and match[1] not in result.unknown:
                    result.unknown.append(match[1])
                continue
            if match.start() > position:
                out.append(_text(text[position : match.start()]))
            href = member_url(member.user_id) if member_url else "#"
            link = Token("link_open", "a", 1, attrs={"href": href, "class": "mention"})
            out += [link, _text(match[0]), Token("link_close", "a", -1)]
            position = match.end()
            if counted and member.user_id not in result.mentioned:
                result.mentioned.append(member.user_id)
        if position < len(text):
            out.append(_text(text[position:]))
    return out


def _text(content: str) -> Token:
    return Token("text", "", 0, content=content)


def quote(source: str, author_name: str) -> str:
    """The Markdown that quotes a post in a reply."""
    lines = source.strip().splitlines() or [""]
    quoted = "\n".join(f"> {line}".rstrip() for line in lines)
    name = re.sub(r"([\\`*_\[\]<>#])", r"\\\1", author_name)
    return f"> **{name}** wrote:\n>\n{quoted}\n\n"
