import html


def page_text(response) -> str:
    """The response body with HTML entities decoded, so names like Sheriff's match as written."""
    return html.unescape(response.content.decode())
