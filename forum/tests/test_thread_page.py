"""The thread page: what each reader sees of each post, drawn from forum/thread_page.py."""

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import login, make_member, make_user
from forum import posting
from forum.models import Post, ThreadRead
from forum.thread_page import Clock, id_address

from .helpers import PDF, answer, start, upload

pytestmark = pytest.mark.django_db


def address(cohort, thread) -> str:
    return reverse("forum:thread", args=[cohort.slug, thread.pk])


def text(response) -> str:
    return response.content.decode()


def articles(response) -> dict[int, str]:
    """The page's posts, by number: the markup of each <article>."""
    found = re.findall(
        r'(<article class="[^"]*" id="post-(\d+)".*?</article>)', text(response), re.S
    )
    return {int(number): markup for markup, number in found}


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("forum:post", "osw-test"),
        ("forum:post_edit", "osw-test"),
        ("forum:post_delete", "osw-test"),
        ("forum:post_flag", "osw-test"),
        ("forum:post_hide", "osw-test"),
        ("forum:attachment", "osw-test"),
        # A slug holding the stand-in id itself: the id is still the one spliced in.
        ("forum:post_edit", "cohort-2147483647"),
    ],
)
def test_addresses_from_one_reverse_are_those_reverse_gives(name, slug):
    make = id_address(name, slug)

    for pk in (1, 7, 42, 2147483647, 9_000_000_001):
        assert make(pk) == reverse(name, args=[slug, pk])


@pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Chatham", "UTC"])
def test_times_read_as_the_date_filter_writes_them(zone):
    template = Template('{{ when|date:"c" }}|{{ when|date:"N j, Y, g:i a" }}')
    start_at = datetime(2025, 1, 1, 0, 0, 13, 250, tzinfo=UTC)
    moments = [
        start_at + timedelta(days=29 * day, hours=hour, minutes=7 * hour)
        for day in range(13)
        for hour in range(24)
    ]
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        clock = Clock()
        for when in moments:
            assert f"{clock.iso(when)}|{clock.text(when)}" == template.render(
                Context({"when": when})
            )


def test_what_each_reader_sees_of_each_post(client, cohort, general, staff, command, officer, peer):
    sme = make_user("sme@example.com", first="Sam", last="Expert", is_sme=True)
    former = make_user("former@example.com", first="Fay", last="Former")
    team = command.memberships.get().team
    sme_membership = make_member(team, sme)
    make_member(team, former)
    thread = start(general, command)  # 1: command's own
    answer(thread, peer, files=[upload("plan.pdf", PDF)])  # 2: another agency's, attached
    answer(thread, staff, body="Staff here", quoted=Post.objects.get(number=2))  # 3
    answer(thread, sme)  # 4: an expert who is no team's member any more
    answer(thread, former)  # 5: a former member
    deleted = answer(thread, peer, body="Regret this")  # 6
    posting.delete_post(post=deleted, by=peer)
    hidden = answer(thread, officer, body="Names a person")  # 7
    posting.set_post_hidden(post=hidden, by=staff, hidden=True)
    flagged = answer(thread, peer, body="Off topic")  # 8
    posting.flag_post(post=flagged, by=command, reason="off_topic")
    edited = answer(thread, command, body="First draft")  # 9
    posting.edit_post(post=edited, editor=command, body="Second draft")
    sme_membership.delete()
    former.delete()
    slug = cohort.slug

    login(client, command)
    posts = articles(client.get(address(cohort, thread)))

    assert sorted(posts) == list(range(1, 10))
    own = posts[1]
    assert ">Bob Chief<" in own and '<span class="muted">Riverton Police Department</span>' in own
    assert f'href="/cohorts/{slug}/forum/p/{thread.posts.get(number=1).pk}/edit/"' in own
    assert "Delete<span" in own and "Flag for review" not in own and "Hide from members" not in own
    other = posts[2]
    assert "Marion County Sheriff&#x27;s Office" in other and "Flag for review" in other
    assert "Edit<span" not in other and "Delete<span" not in other
    assert ">plan.pdf</a>" in other and "forum/attachments/" in other
    assert "Program staff" in posts[3] and "In reply to" in posts[3]
    assert "Dave Deputy's post #2</a>" in posts[3]
    assert "Subject-matter expert" in posts[4]
    assert "A former member" in posts[5]
    assert "Deleted post" in posts[6] and "This post was deleted." in posts[6]
    assert "Regret this" not in posts[6] and "Quote" not in posts[6]
    assert "This post was hidden by program staff." in posts[7]
    assert "Names a person" not in posts[7] and "Hidden by staff" in posts[7]
    assert "You flagged this" in posts[8] and "Flag for review" not in posts[8]
    assert "Second draft" in posts[9] and "post-edited" in posts[9] and "Edit<span" in posts[9]
    page_quote = f'href="?page=1&amp;quote={flagged.pk}"'
    suggest = f'href="/training/library/suggest/?post=/cohorts/{slug}/forum/p/{flagged.pk}/"'
    assert page_quote in posts[8] and suggest in posts[8]

    login(client, staff)
    posts = articles(client.get(address(cohort, thread)))

    assert "Names a person" in posts[7] and "Show to members" in posts[7]
    assert "Suggest for the library" not in posts[7]  # a hidden post is not suggested
    assert "1 open flag</a>" in posts[8] and "Flag for review" in posts[8]
    assert "Hide from members" in posts[2] and "Delete<span" in posts[2]
    assert "Edit<span" not in posts[2]


def test_a_locked_thread_offers_no_quote_or_edit(client, cohort, general, command, staff):
    thread = start(general, command)
    posting.moderate_thread(thread=thread, by=staff, locked=True)
    login(client, command)

    post = articles(client.get(address(cohort, thread)))[1]

    assert "Quote" not in post and "Suggest for the library" not in post
    assert "Edit<span" not in post and "Delete<span" in post


def test_reading_a_page_again_writes_nothing(client, cohort, general, command, peer):
    thread = start(general, command)
    answer(thread, peer)
    login(client, command)
    client.get(address(cohort, thread))
    mark = ThreadRead.objects.get(user=command, thread=thread).last_read_post_id

    with CaptureQueriesContext(connection) as queries:
        again = client.get(address(cohort, thread))

    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
    assert "tag-new" not in text(again)
    newer = answer(thread, peer, body="Something new")
    newest = client.get(address(cohort, thread))
    assert ThreadRead.objects.get(user=command, thread=thread).last_read_post_id == newer.pk > mark
    assert 'id="new"' in text(newest) and articles(newest)[3].startswith(
        '<article class="post is-new'
    )


@pytest.mark.parametrize(
    ("page", "numbers"),
    [("", (1, 20)), ("2", (21, 40)), ("last", (41, 45)), ("99", (41, 45)), ("x", (1, 20))],
)
def test_pages_are_runs_of_post_numbers(client, cohort, general, command, page, numbers):
    thread = start(general, command)
    for i in range(44):
        answer(thread, command, body=f"Reply {i}")
    login(client, command)

    response = client.get(address(cohort, thread), {"page": page} if page else {})

    first, last = numbers
    assert [p.number for p in response.context["posts"]] == list(range(first, last + 1))
    assert sorted(articles(response)) == list(range(first, last + 1))
    assert response.context["page"].paginator.num_pages == 3


@pytest.mark.parametrize("replies", [2, 30])
@pytest.mark.parametrize("attached", [True, False], ids=["attachments", "no-attachments"])
def test_the_query_count_does_not_grow_with_the_posts_shown(
    client, cohort, general, command, peer, replies, attached, django_assert_num_queries
):
    thread = start(general, command)
    for i in range(replies):
        files = [upload(f"f{i}.pdf", PDF)] if attached and i % 3 == 0 else []
        post = answer(thread, peer if i % 2 else command, body=f"Reply {i}", files=files)
        if i % 4 == 1:
            posting.flag_post(post=post, by=command, reason="spam")
    login(client, command)
    client.get(address(cohort, thread))

    # session, user, cohort, thread with the read mark, posts with their flags, watch
    # choices, and the attachments when a post on the page has any
    with django_assert_num_queries(7 if attached else 6):
        response = client.get(address(cohort, thread))

    assert len(response.context["posts"]) == min(replies + 1, 20)
    assert ("/forum/attachments/" in text(response)) == attached
