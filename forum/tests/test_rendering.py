"""Posts render Markdown to an allowlist of HTML: hostile input arrives inert."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from forum.mentions import Directory, Member
from forum.rendering import ALLOWED_TAGS, quote, render

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    '<div onmouseover="alert(1)">hover</div>',
    "<svg onload=alert(1)><circle r=10 /></svg>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    "<style>body{display:none}</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<form action="https://evil.example"><input name=x><button>Go</button></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<<script>alert(1)//<</script>",
    "<a href='x' onclick='alert(1)'>unclosed <b>broken",
    "<!-- <script>alert(1)</script> -->",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    '[x](https://ok.example "title" onclick="alert(1)")',
    "[x](https://ok.example)<span onclick=alert(1)>y</span>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "<details open ontoggle=alert(1)>",
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
]

ALLOWED_ATTRIBUTES = {"a": {"href", "rel", "class"}, "ol": {"start"}}
SAFE_SCHEMES = {"", "http", "https", "mailto"}


class Inspector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES.get(tag, set()):
                self.problems.append(f"attribute {name} on <{tag}>")
            if (
                name == "href"
                and urlsplit((value or "").strip()).scheme.lower() not in SAFE_SCHEMES
            ):
                self.problems.append(f"href {value!r}")


def executable_content(html: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_input_renders_without_executable_content(source):
    html = render(source).html

    assert executable_content(html) == []
    assert "<script" not in html.lower()


def test_the_inspector_notices_executable_content():
    # Guards the test above: it must be able to fail.
    assert executable_content('<a href="javascript:alert(1)" onclick="x">x</a><script></script>')


def test_markdown_formats_text():
    html = render(
        "**bold** *it* `code`\n\n> quoted\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    ).html

    for fragment in ["<strong>bold</strong>", "<em>it</em>", "<code>code</code>", "<blockquote>",
                     "<li>one</li>", "<table>", "<td>1</td>"]:  # fmt: skip
        assert fragment in html


def test_headings_start_below_the_page_headings():
    html = render("# Our policy\n\n## Scope").html

    assert "<h3>Our policy</h3>" in html
    assert "<h4>Scope</h4>" in html
    assert "<h1" not in html and "<h2" not in html


def test_links_get_nofollow_noopener_ugc():
    html = render("See [the guide](https://cops.usdoj.gov/) or <https://bja.ojp.gov/>.").html

    assert html.count('rel="nofollow noopener ugc"') == 2
    assert 'href="https://cops.usdoj.gov/"' in html


def test_table_alignment_styles_are_dropped():
    # Inline styles would break the page's style-src policy.
    html = render("| a |\n|--:|\n| 1 |").html

    assert "style" not in html


@pytest.fixture
def directory():
    return Directory(
        [
            Member(7, "Dana Whitfield", "dana.whitfield", "Riverton Police Department"),
            Member(9, "Keisha Holloway", "keisha.holloway", "Marion County Sheriff's Office"),
        ]
    )


def test_a_mention_of_a_member_becomes_a_link(directory):
    result = render(
        "Thanks @dana.whitfield!", directory=directory, member_url=lambda uid: f"/m/{uid}/"
    )

    assert '<a href="/m/7/" class="mention" rel="nofollow noopener ugc">@dana.whitfield</a>' in (
        result.html
    )
    assert result.mentioned == [7]
    assert result.unknown == []


def test_a_mention_of_a_non_member_stays_text_and_is_reported(directory):
    result = render("Ask @erin.outsider about it", directory=directory)

    assert "@erin.outsider" in result.html
    assert "<a" not in result.html
    assert result.mentioned == []
    assert result.unknown == ["erin.outsider"]


def test_mentions_in_code_quotes_and_emails_do_not_count(directory):
    result = render(
        "`@dana.whitfield`\n\n> @keisha.holloway said so\n\nmail dana@riverton.example",
        directory=directory,
    )

    assert result.mentioned == []
    assert result.unknown == []


def test_a_mention_is_found_whatever_its_case_and_only_once(directory):
    result = render("@Dana.Whitfield and again @dana.whitfield.", directory=directory)

    assert result.mentioned == [7]
    assert result.html.count('class="mention"') == 2


def test_a_member_can_be_mentioned_by_the_numbered_handle(directory):
    result = render("@keisha.holloway.9", directory=directory)

    assert result.mentioned == [9]


def test_quote_turns_a_post_into_a_blockquote_with_its_author():
    text = quote("First line\n\nSecond line", "Dana Whitfield")

    html = render(text + "I agree.").html
    assert html.startswith("<blockquote>")
    assert "<strong>Dana Whitfield</strong> wrote:" in html
    assert "Second line" in html.split("</blockquote>")[0]
    assert "<p>I agree.</p>" in html
