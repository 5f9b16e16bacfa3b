"""Hostile text for the stored-XSS browser suite (tests/test_browser_xss.py).

Every payload that managed to run would set ``window.__xss`` (``top.__xss`` from inside a
frame), which ``tests.browser.xss_fired`` reads. None is longer than 100 characters, so each
fits whole into the shortest free-text fields (rank, attendee's role).
"""

from __future__ import annotations

PAYLOADS: list[str] = [
    # <script> variants: case, nesting, splitting, a src.
    "<script>window.__xss=1</script>",
    "<SCRIPT>window.__xss=1</SCRIPT>",
    "<ScRiPt>window.__xss=1</sCrIpT>",
    "<scr<script>ipt>window.__xss=1</scr</script>ipt>",
    "<script>/*</script><script>*/window.__xss=1</script>",
    '<script src="data:text/javascript,window.__xss=1"></script>',
    "<script\n>window.__xss=1</script\n>",
    # Event handlers.
    '<img src=x onerror="window.__xss=1">',
    "<IMG SRC=x OnErRoR=window.__xss=1>",
    '<img src="x" onerror="&#119;indow.__xss=1">',
    '<svg onload="window.__xss=1">',
    '<body onload="window.__xss=1">',
    '<details open ontoggle="window.__xss=1"><summary>x</summary></details>',
    '<input autofocus onfocus="window.__xss=1">',
    '<video src=x onerror="window.__xss=1"></video>',
    '<audio src=x onerror="window.__xss=1"></audio>',
    '<form><button formaction="javascript:window.__xss=1">go</button></form>',
    # javascript: (and vbscript:) addresses in links.
    '<a href="javascript:window.__xss=1">plain js link</a>',
    '<a href="JaVaScRiPt:window.__xss=1">mixed-case js link</a>',
    '<a href="&#106;avascript:window.__xss=1">entity js link</a>',
    '<a href=" \tjavascript:window.__xss=1">padded js link</a>',
    '<a href="java&#x09;script:window.__xss=1">tab js link</a>',
    '<a href="vbscript:window.__xss=1">vbscript link</a>',
    "javascript:window.__xss=1",
    # Markdown links, images, references and autolinks.
    "[md js link](javascript:window.__xss=1)",
    "[md upper link](JAVASCRIPT:window.__xss=1)",
    "[md entity link](&#106;avascript:window.__xss=1)",
    "[md spaced link]( javascript:window.__xss=1 )",
    "![md js image](javascript:window.__xss=1)",
    "[md ref link][evil]\n\n[evil]: javascript:window.__xss=1",
    "<javascript:window.__xss=1>",
    "[md data link](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
    # SVG.
    "<svg><script>window.__xss=1</script></svg>",
    '<svg><animate onbegin="window.__xss=1" attributeName="x" dur="1s"/></svg>',
    '<svg><a xlink:href="javascript:window.__xss=1"><text y="20">svg link</text></a></svg>',
    # Frames, objects, meta refresh, base, styles.
    '<iframe srcdoc="&lt;script&gt;top.__xss=1&lt;/script&gt;"></iframe>',
    '<iframe src="javascript:top.__xss=1"></iframe>',
    '<object data="data:text/html,<script>top.__xss=1</script>"></object>',
    '<embed src="data:text/html,<script>top.__xss=1</script>">',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">',
    '<base href="javascript:window.__xss=1//">',
    "<style>@import 'javascript:window.__xss=1';</style>",
    '<div style="width:expression(window.__xss=1)">css expression</div>',
    '<a href="data:text/html,<script>window.__xss=1</script>">data link</a>',
    # Broken HTML and breakouts from attributes, textareas and titles.
    "<p>unclosed <b><i><script>window.__xss=1</script>",
    '"><script>window.__xss=1</script>',
    "'><img src=x onerror=window.__xss=1>",
    "</textarea><script>window.__xss=1</script>",
    "</title><script>window.__xss=1</script>",
    "' onmouseover='window.__xss=1' x='",
    '" onfocus="window.__xss=1" autofocus x="',
    '<!--<img src="--><img src=x onerror=window.__xss=1//">',
    '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>">',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
    "<img src=x onerror=window.__xss=1",
    # Template injection and encoded forms.
    "{{7*7}} ${7*7} #{7*7} {% debug %}",
    "{{constructor.constructor('window.__xss=1')()}}",
    "${window.__xss=1}",
    "%3Cscript%3Ewindow.__xss=1%3C/script%3E",
    "&lt;script&gt;window.__xss=1&lt;/script&gt;",
    "\\u003cscript\\u003ewindow.__xss=1\\u003c/script\\u003e",
    "@<img src=x onerror=window.__xss=1>",
]

# Payloads rendered as plain text (not Markdown) must come back exactly as typed: these are
# looked for in the page's visible text to prove the content was shown, not dropped.
TEXT_SAMPLES: list[str] = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    "</textarea><script>window.__xss=1</script>",
    "{{7*7}} ${7*7} #{7*7} {% debug %}",
]

# What Markdown renders as visible text for some payloads (raw HTML is shown, not parsed).
MARKDOWN_SAMPLES: list[str] = [
    "<script>window.__xss=1</script>",
    '<svg onload="window.__xss=1">',
    "md js link",
]


def pack(limit: int, *, separator: str = " ", payloads: list[str] | None = None) -> list[str]:
    """The payloads packed into as few values of at most ``limit`` characters as possible.

    Every payload lands whole in exactly one value, so storing every value of the list in a
    field stores every payload in it. Payloads longer than ``limit`` are left out (only the
    40-character phone number is that short).
    """
    values: list[str] = []
    current = ""
    for payload in payloads if payloads is not None else PAYLOADS:
        if len(payload) > limit:
            continue
        candidate = f"{current}{separator}{payload}" if current else payload
        if len(candidate) <= limit:
            current = candidate
        else:
            values.append(current)
            current = payload
    if current:
        values.append(current)
    return values


assert len(PAYLOADS) == len(set(PAYLOADS)) >= 40
assert all(len(payload) <= 100 for payload in PAYLOADS)
