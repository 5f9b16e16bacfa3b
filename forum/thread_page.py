"""What a thread page shows of each of its posts, worked out in one pass in Python.

Left to template tags, each of the page's POSTS_PER_PAGE posts would reverse half a dozen
URLs, format two dates through Django's format parser and localise its number several times,
and drawing the posts would cost more than querying them. Here each post becomes a plain dict
of the strings and yes/no answers its partial prints (forum/_post.html): addresses come from
one ``reverse()`` per route for the whole page, times from a direct formatter, numbers are
formatted once. The template keeps the markup and escapes every string as before.
"""

from collections.abc import Iterable
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_AP
from django.utils.translation import gettext as _

from collaborative.addresses import id_address

from .models import Attachment, Post, Thread


class Clock:
    """Times as the thread page prints them, in the current time zone and language, which
    are looked up once rather than for every date."""

    def __init__(self):
        self.zone = timezone.get_current_timezone()
        self.months = {number: str(name) for number, name in MONTHS_AP.items()}
        self.am, self.pm = _("a.m."), _("p.m.")

    def iso(self, value: datetime) -> str:
        """``value|date:"c"`` in a template."""
        return value.astimezone(self.zone).isoformat()

    def text(self, value: datetime) -> str:
        """``value|date:"N j, Y, g:i a"`` in a template ("Aug. 5, 2026, 2:07 p.m."), without
        Django's general-purpose format parser."""
        local = value.astimezone(self.zone)
        return (
            f"{self.months[local.month]} {local.day}, {local.year:04d}, "
            f"{local.hour % 12 or 12}:{local.minute:02d} {self.pm if local.hour > 11 else self.am}"
        )


def author_role(post: Post) -> str:
    """The line under the author's name: their team in the cohort, else their role."""
    if post.author_team_name:
        return post.author_team_name
    if post.author is not None and post.author.is_staff:
        return "Program staff"
    if post.author is not None and post.author.is_sme:
        return "Subject-matter expert"
    return ""


# What a post whose body is not shown leaves empty. Every key the template asks for is present:
# a missing one costs three failed lookups before the template gives up on it.
NOT_SHOWN = {
    "quoted_address": "",
    "quoted_name": "",
    "quoted_number": "",
    "body_html": "",
    "attachments": (),
    "quote_url": "",
    "suggest_url": "",
    "edit_url": "",
    "flag_url": "",
    "delete_url": "",
    "hide_url": "",
}


def attachments_by_post(posts: Iterable[Post]) -> dict[int, list[tuple[int, str, int]]]:
    """(id, name, size) of the posts' attachments, by post id, in the order they were added.

    One plain query (``prefetch_related`` would also build a queryset per post), and none
    when no post has any (``has_attachments``, annotated by the thread view's query).
    """
    found: dict[int, list[tuple[int, str, int]]] = {}
    attached = [post.pk for post in posts if post.has_attachments]
    if not attached:
        return found
    rows = (
        Attachment.objects.filter(post__in=attached)
        .order_by("pk")
        .values_list("post_id", "pk", "original_name", "size")
    )
    for post_id, pk, name, size in rows:
        found.setdefault(post_id, []).append((pk, name, size))
    return found


def entries(
    posts: Iterable[Post],
    *,
    attachments: dict[int, list[tuple[int, str, int]]],
    user,
    thread: Thread,
    cohort,
    page_number: int,
    read_before: int,
    first_unread: int | None,
    refusal: str,
) -> list[dict]:
    """One dict per post with everything forum/_post.html prints.

    ``posts`` come from the thread view's query (author, quoted post and its author joined,
    ``author_team_name``, ``open_flags`` and ``has_attachments`` annotated), ``attachments``
    from attachments_by_post.
    """
    staff = user.is_staff
    slug = cohort.slug
    clock = Clock()
    post_url = id_address("forum:post", slug)
    edit_url = id_address("forum:post_edit", slug)
    delete_url = id_address("forum:post_delete", slug)
    flag_url = id_address("forum:post_flag", slug)
    hide_url = id_address("forum:post_hide", slug)
    attachment_url = id_address("forum:attachment", slug)
    suggest_url = reverse("training:suggest")

    rows = []
    for post in posts:
        pk = post.pk
        number = str(post.number)
        deleted = post.deleted_at is not None
        hidden = post.hidden_at is not None
        mine = post.author_id is not None and post.author_id == user.pk
        open_flags = post.open_flags
        address = post_url(pk)
        row = {
            "number": number,
            "anchor": f"post-{number}",
            "new": pk > read_before,
            "first_new": post.number == first_unread and post.number != 1,
            "deleted": deleted,
            "hidden": hidden,
            "removed": deleted or hidden,
            "heading": (
                "Deleted post"
                if deleted
                else post.author.display_name
                if post.author is not None
                else "A former member"
            ),
            "role": "" if deleted else author_role(post),
            "address": address,
            "created_iso": clock.iso(post.created),
            "created_text": clock.text(post.created),
            "edited": None,
            "edited_iso": "",
            "open_flags": open_flags,
            # Whether the reader sees the body (else a line saying it was deleted or hidden).
            "shown": not deleted and (staff or not hidden),
            **NOT_SHOWN,
        }
        if post.edited_at is not None and not deleted:
            row["edited"] = post.edited_at
            row["edited_iso"] = clock.iso(post.edited_at)
        if not row["shown"]:
            rows.append(row)
            continue
        quoted = post.quoted
        if quoted is not None and quoted.author is not None:
            row["quoted_address"] = post_url(quoted.pk)
            row["quoted_name"] = quoted.author.display_name
            row["quoted_number"] = str(quoted.number)
        row["body_html"] = post.body_html
        row["attachments"] = [
            {"url": attachment_url(file_id), "name": name, "size": size}
            for file_id, name, size in attachments.get(pk, ())
        ]
        if not refusal:
            row["quote_url"] = f"?page={page_number}&quote={pk}"
            if not hidden:
                row["suggest_url"] = f"{suggest_url}?post={address}"
        if mine:
            if not thread.locked and not hidden:
                row["edit_url"] = edit_url(pk)
            row["delete_url"] = delete_url(pk)
        else:
            if not open_flags or staff:
                row["flag_url"] = flag_url(pk)
            if staff:
                row["delete_url"] = delete_url(pk)
        if staff:
            row["hide_url"] = hide_url(pk)
        rows.append(row)
    return rows
